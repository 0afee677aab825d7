import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CommandError } from './errors.js';

/** The Verdict (Edith Wharton, 1908), the book's training text, shipped as the default data. */
export function defaultDataPath(): string {
  return bundledData('the-verdict.txt', 'text');
}

/** The SMS Spam Collection (label<TAB>text), the book's chapter 6 data: `classify`'s default. */
export function smsDataPath(): string {
  return bundledData('sms-spam-collection.tsv', 'labelled data');
}

function bundledData(name: string, what: string): string {
  // The repository's data/ folder, from src/ or dist/ alike.
  const path = fileURLToPath(new URL(`../../../data/${name}`, import.meta.url));
  if (!existsSync(path)) throw new CommandError(`The bundled ${what} is missing (${path}); pass --data FILE`);
  return path;
}

export async function readText(path: string, flag = '--data'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CommandError(`${flag} ${path}: no such file`);
    if (code === 'EISDIR') throw new CommandError(`${flag} ${path}: is a directory, not a text file`);
    throw new CommandError(`${flag} ${path}: ${(error as Error).message}`);
  }
}
