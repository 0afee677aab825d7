/**
 * One repository in the Hugging Face cache, laid out as Python's `huggingface_hub` lays it out:
 *
 *   models--owner--name/
 *     blobs/<etag>                      the files' bytes, named by the Hub's ETag (SHA-256 for LFS files)
 *     snapshots/<commit>/<path>         relative symlinks into blobs/, one folder per commit
 *     refs/<revision>                   the commit a branch or tag pointed to when last fetched
 */
import { lstat, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

const COMMIT = /^[0-9a-f]{40}$/;

export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export class RepoCache {
  readonly folder: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    this.folder = join(cacheDir, repoFolderName(repo));
  }

  blobPath(etag: string): string {
    return join(this.folder, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    return join(this.folder, 'snapshots', commit);
  }

  filePath(commit: string, path: string): string {
    return join(this.snapshotDir(commit), ...path.split('/'));
  }

  /** The commit a revision names: itself if it is a commit id, else what refs/ recorded. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (COMMIT.test(revision)) return revision;
    try {
      const commit = (await readFile(join(this.folder, 'refs', ...revision.split('/')), 'utf8')).trim();
      return COMMIT.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  async recordRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    await writeFileAtomic(join(this.folder, 'refs', ...revision.split('/')), commit);
  }

  /** Whether the snapshot holds the file (a link that leads to a blob, or a plain file). */
  async hasFile(commit: string, path: string): Promise<boolean> {
    try {
      return (await stat(this.filePath(commit, path))).isFile();
    } catch {
      return false;
    }
  }

  async hasBlob(etag: string): Promise<boolean> {
    try {
      return (await lstat(this.blobPath(etag))).isFile();
    } catch {
      return false;
    }
  }

  /** Points snapshots/<commit>/<path> at blobs/<etag> with a relative link, as Python does. */
  async link(commit: string, path: string, etag: string): Promise<void> {
    const pointer = this.filePath(commit, path);
    await mkdir(dirname(pointer), { recursive: true });
    await rm(pointer, { force: true });
    await symlink(relative(dirname(pointer), this.blobPath(etag)), pointer);
  }
}
