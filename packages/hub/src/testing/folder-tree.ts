/**
 * A folder's tree as sorted lines (path, then `dir`, a size or a link's target), for tests that check
 * that nothing was created, changed or removed in a folder: compare the lines before and after.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export function folderTree(root: string, options: { skip?: string } = {}): string[] {
  const entries: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === options.skip) continue;
      const stats = lstatSync(path);
      const what = stats.isSymbolicLink()
        ? `-> ${readlinkSync(path)}`
        : stats.isDirectory()
          ? 'dir'
          : `${stats.size} bytes`;
      entries.push(`${relative(root, path)} ${what}`);
      if (stats.isDirectory()) walk(path);
    }
  };
  walk(root);
  return entries.sort();
}
