/**
 * One repository in the Hugging Face cache, laid out as Python's `huggingface_hub` lays it out:
 *
 *   models--owner--name/
 *     blobs/<etag>                      the files' bytes, named by the Hub's ETag (SHA-256 for LFS files)
 *     snapshots/<commit>/<path>         relative symlinks into blobs/, one folder per commit
 *     refs/<revision>                   the commit a branch or tag pointed to when last fetched
 *
 * Nothing in it is trusted blindly: every name is checked before it becomes a path, folders are only
 * written through when no link leads them elsewhere, and a snapshot entry counts only when it leads
 * to a blob of this repository whose bytes match its name.
 */
import { lstat, mkdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '@scratchgpt/files';
import { isBlobName, isCommitId, revisionProblem, shown } from '../cache-names.js';
import { HubError } from '../errors.js';
import { type BlobCheck, checkBlob, promisedByName } from './blob-check.js';

/** A ref file holds a commit id and a newline; anything much longer is not one. */
const MAX_REF_BYTES = 256;

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
    if (!isBlobName(etag)) throw refused(`'${shown(etag)}' is not a blob name`);
    return join(this.folder, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    if (!isCommitId(commit)) throw refused(`'${shown(commit)}' is not a commit id`);
    return join(this.folder, 'snapshots', commit);
  }

  filePath(commit: string, path: string): string {
    const segments = path.split('/');
    if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw refused(`'${shown(path)}' is not a file path of a repository`);
    }
    return join(this.snapshotDir(commit), ...segments);
  }

  refPath(revision: string): string {
    const problem = revisionProblem(revision);
    if (problem !== undefined) throw refused(problem);
    return join(this.folder, 'refs', ...revision.split('/'));
  }

  /** The commit a revision names: itself if it is a commit id, else what refs/ recorded. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (isCommitId(revision)) return revision;
    const path = this.refPath(revision);
    const stats = await lstat(path).catch(() => undefined);
    if (!stats?.isFile() || stats.size > MAX_REF_BYTES || !(await this.holds(path))) return undefined;
    const commit = (await readFile(path, 'utf8')).trim();
    return isCommitId(commit) ? commit : undefined;
  }

  async recordRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    if (!isCommitId(commit)) throw refused(`'${shown(commit)}' is not a commit id`);
    const path = this.refPath(revision);
    await this.makeDir(dirname(path));
    await writeFileAtomic(path, commit);
  }

  /**
   * What snapshots/<commit>/<path> leads to: a blob of this repository, checked against the hash its
   * name promises, or a plain file in its place (where links are not available); a link anywhere
   * else is refused.
   */
  async snapshotFile(commit: string, path: string): Promise<BlobCheck> {
    const pointer = this.filePath(commit, path);
    const real = await realpath(pointer).catch(() => undefined);
    if (real === undefined) return { state: 'missing' };
    const root = await realpath(this.folder);
    const name = basename(real);
    if (dirname(real) === join(root, 'blobs') && isBlobName(name))
      return checkBlob(real, promisedByName(name));
    if (real === join(root, relative(this.folder, pointer))) return checkBlob(real, {});
    return { state: 'bad', why: `leads outside the cache's blobs/ (to ${real})` };
  }

  /** Whether snapshots/<commit>/<path> leads to blobs/<etag> of this repository. */
  async linksTo(commit: string, path: string, etag: string): Promise<boolean> {
    const real = await realpath(this.filePath(commit, path)).catch(() => undefined);
    return real !== undefined && real === join(await realpath(this.folder), 'blobs', etag);
  }

  /** Makes blobs/ ready for a download into it. */
  async prepareBlobs(): Promise<void> {
    await this.makeDir(join(this.folder, 'blobs'));
  }

  /** Points snapshots/<commit>/<path> at blobs/<etag> with a relative link, as Python does. */
  async link(commit: string, path: string, etag: string): Promise<void> {
    const pointer = this.filePath(commit, path);
    await this.makeDir(dirname(pointer));
    await rm(pointer, { recursive: true, force: true });
    await symlink(relative(dirname(pointer), this.blobPath(etag)), pointer);
  }

  /**
   * Creates a folder of this repository one level at a time, refusing any level that is a link or
   * not a folder, so nothing is ever written through a link that leads out of the cache.
   */
  private async makeDir(dir: string): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    let current = this.cacheDir;
    for (const part of relative(this.cacheDir, dir).split(sep)) {
      current = join(current, part);
      const stats = await lstat(current).catch(() => undefined);
      if (stats === undefined) await mkdir(current).catch(ignoreExisting);
      else if (stats.isSymbolicLink() || !stats.isDirectory()) {
        throw new HubError(
          'integrity',
          `${current} is a link or a file where the Hugging Face cache keeps a folder: remove it and run again`,
        );
      }
    }
  }

  /** Whether `path`, every link followed, is where it appears to be inside this repository's folder. */
  private async holds(path: string): Promise<boolean> {
    const real = await realpath(path).catch(() => undefined);
    return real !== undefined && real === join(await realpath(this.folder), relative(this.folder, path));
  }
}

function refused(why: string): HubError {
  return new HubError('integrity', `${why}: refusing to use it as a path in the Hugging Face cache`);
}

function ignoreExisting(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error;
}
