/**
 * Output paths, checked before any work starts: a path that cannot be written fails at once in one
 * line, instead of after the work with the work lost (and a temporary file left beside it).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { stringFlag, type Values } from './args.js';
import { CommandError, UsageError } from './errors.js';

/** A path flag's value; an empty one names nothing (and would mean the current folder). */
export function outputPathFlag(values: Values, name: string): string | undefined {
  const value = stringFlag(values, name);
  if (value === '') throw new UsageError(`--${name} is empty: give the path to write to`);
  return value;
}

/**
 * Checks that `path` can be written as a file: not a directory or a device, in a folder that exists
 * and may be written in. Returns whether a file is there already.
 */
export async function checkOutputFile(path: string, flag: string): Promise<boolean> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') throw new CommandError(`${flag} ${path}: a folder on its path is a file`);
    throw new CommandError(`${flag} ${path} cannot be used (${error.code ?? error.message})`);
  });
  if (info?.isDirectory()) throw new CommandError(`${flag} ${path} is a directory: give a file name`);
  if (info !== undefined && !info.isFile())
    throw new CommandError(`${flag} ${path} is not a regular file: give a file name`);
  const folder = dirname(resolve(path));
  const folderInfo = await stat(folder).catch(() => undefined);
  if (folderInfo === undefined)
    throw new CommandError(`${flag} ${path}: the folder ${folder} does not exist: create it first`);
  if (!folderInfo.isDirectory()) throw new CommandError(`${flag} ${path}: ${folder} is not a folder`);
  await access(folder, constants.W_OK).catch(() => {
    throw new CommandError(`${flag} ${path}: cannot write in ${folder} (permission denied)`);
  });
  return info !== undefined;
}
