import { isUtf8 } from 'node:buffer';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FileKindError, MAX_JSON_FILE_BYTES, readRegularFile } from '@scratchgpt/gpt-model/node';
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

/**
 * A text or data file as a string. Binary input is refused (a NUL byte never occurs in text), and bytes
 * that are not UTF-8 are read as U+FFFD with one warning naming the file, instead of silently.
 */
export async function readText(
  path: string,
  flag = '--data',
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw readError(error as NodeJS.ErrnoException, path, flag);
  }
  if (bytes.includes(0)) {
    throw new CommandError(`${flag} ${path} is not a text file: it holds NUL bytes (give a UTF-8 text file)`);
  }
  if (!isUtf8(bytes)) {
    warn(
      `warning: ${path} is not valid UTF-8: the bytes that are not are read as U+FFFD (�); save it as UTF-8 to keep them`,
    );
  }
  return bytes.toString('utf8');
}

/**
 * A file of a model or run directory, read only if it is a regular file of at most `maxBytes` (a JSON
 * settings file by default): a FIFO or a link to a device is refused instead of hanging or growing.
 */
export async function readDirectoryFile(
  path: string,
  flag: string,
  maxBytes = MAX_JSON_FILE_BYTES,
): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, maxBytes);
  } catch (error) {
    if (error instanceof FileKindError) throw new CommandError(error.message);
    throw readError(
      error as NodeJS.ErrnoException,
      path,
      flag,
      path.endsWith('.json') ? 'text file' : 'file',
    );
  }
}

/** {@link readDirectoryFile} as UTF-8 text. */
export async function readDirectoryText(path: string, flag: string): Promise<string> {
  return new TextDecoder().decode(await readDirectoryFile(path, flag));
}

function readError(
  error: NodeJS.ErrnoException,
  path: string,
  flag: string,
  what = 'text file',
): CommandError {
  if (error.code === 'ENOENT') return new CommandError(`${flag} ${path}: no such file`);
  if (error.code === 'EISDIR') return new CommandError(`${flag} ${path}: is a directory, not a ${what}`);
  return new CommandError(`${flag} ${path}: ${error.message}`);
}
