/**
 * The book's copies hold one weights file per size and no config.json. A checkpoint directory for one
 * is assembled in scratchgpt's own cache: the book's config for that size and a link to the weights in
 * the Hugging Face cache, which itself is left exactly as the Hub serves it.
 */
import { mkdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@scratchgpt/files';
import { type BookSize, bookConfig, CONFIG_FILE, WEIGHTS_FILE } from '../model-id.js';

export interface BookCheckpoint {
  /** scratchgpt's own cache, where the directory is assembled. */
  scratchgptCacheDir: string;
  /** The commit of the book's repository the weights come from. */
  commit: string;
  size: BookSize;
  /** The weights in the Hugging Face cache, which the directory links to. */
  weightsFile: string;
}

export async function bookCheckpointDir({
  scratchgptCacheDir,
  commit,
  size,
  weightsFile,
}: BookCheckpoint): Promise<string> {
  const directory = join(scratchgptCacheDir, 'book', commit, size);
  const config = `${JSON.stringify(bookConfig(size), null, 2)}\n`;
  const configPath = join(directory, CONFIG_FILE);
  if ((await readFile(configPath, 'utf8').catch(() => undefined)) !== config) {
    await mkdir(directory, { recursive: true });
    await writeFileAtomic(configPath, config);
  }
  const link = join(directory, WEIGHTS_FILE);
  await rm(link, { force: true });
  await symlink(await realpath(weightsFile), link);
  return directory;
}
