import { readFileSync } from 'node:fs';

/** The bundled corpora (repository `data/`), read once per test file. */
export function readCorpus(name: 'the-verdict.txt' | 'tinyshakespeare.txt'): string {
  return readFileSync(new URL(`../../../../data/${name}`, import.meta.url), 'utf8');
}
