import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function corpusPath(name: 'the-verdict.txt' | 'tinyshakespeare.txt'): string {
  return fileURLToPath(new URL(`../../../../data/${name}`, import.meta.url));
}

/** The bundled corpora (repository `data/`). */
export function readCorpus(name: 'the-verdict.txt' | 'tinyshakespeare.txt'): string {
  return readFileSync(corpusPath(name), 'utf8');
}
