/**
 * The Hub's description of a revision (`GET /api/models/<repo>/revision/<revision>?blobs=true`): the
 * commit it points to and, for each file, its size and, for LFS files, its SHA-256. Browsers use it
 * instead of Python's HEAD requests, because they hide the headers of the redirect an LFS file answers with.
 */
import { HubError } from './errors.js';

export interface RevisionInfo {
  commit: string;
  files: Map<string, { size: number; sha256?: string }>;
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

export function parseRevisionInfo(json: unknown, source: string): RevisionInfo {
  const value = json as { sha?: unknown; siblings?: unknown } | null;
  if (typeof value?.sha !== 'string' || !Array.isArray(value.siblings)) {
    throw new HubError(
      'http',
      `${source} is not a model description from a Hugging Face Hub (no sha and siblings)`,
    );
  }
  const files: RevisionInfo['files'] = new Map();
  for (const sibling of value.siblings as Sibling[]) {
    if (typeof sibling.rfilename !== 'string') continue;
    const size = typeof sibling.lfs?.size === 'number' ? sibling.lfs.size : sibling.size;
    if (typeof size !== 'number') continue;
    const sha256 = typeof sibling.lfs?.sha256 === 'string' ? sibling.lfs.sha256.toLowerCase() : undefined;
    files.set(sibling.rfilename, { size, ...(sha256 ? { sha256 } : {}) });
  }
  return { commit: value.sha, files };
}
