/**
 * The book's copies hold one weights file per size and no config.json. A checkpoint directory for one
 * is assembled in scratchgpt's own cache: the book's config for that size and a link to the weights in
 * the Hugging Face cache, which itself is left exactly as the Hub serves it.
 */
import { readFile, realpath, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type BookSize, bookConfig } from '../model-id.js';
import { writeFileAtomic } from './atomic-file.js';

export async function bookCheckpointDir(
  scratchgptCacheDir: string,
  commit: string,
  size: BookSize,
  weightsFile: string,
): Promise<string> {
  const directory = join(scratchgptCacheDir, 'book', commit, size);
  const config = `${JSON.stringify(bookConfig(size), null, 2)}\n`;
  const configPath = join(directory, 'config.json');
  if ((await readFile(configPath, 'utf8').catch(() => undefined)) !== config) {
    await writeFileAtomic(configPath, config);
  }
  const link = join(directory, 'model.safetensors');
  await rm(link, { force: true });
  await symlink(await realpath(weightsFile), link);
  return directory;
}
