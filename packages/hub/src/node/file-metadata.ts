/**
 * What the Hub says about a file before it is fetched, from a HEAD request on its `resolve` URL, as
 * Python's client asks: the commit the revision points to (`X-Repo-Commit`), the file's ETag and size.
 * Large (LFS) files answer with a redirect to the CDN whose `X-Linked-Etag` (the SHA-256 of the bytes)
 * and `X-Linked-Size` describe the file; the redirect is not followed. Redirects within the Hub (a
 * renamed repository) are.
 */

import { isBlobName, isCommitId, shown } from '../cache-names.js';
import { Deadline } from '../deadline.js';
import { normalizeEtag, sha256FromEtag } from '../digest.js';
import { authorization } from '../endpoint.js';
import { HubError } from '../errors.js';
import { type RequestSubject, refusal, unreachable } from '../http-errors.js';
import { DEFAULT_TIMEOUT_MS, silent, type TransferOptions } from '../transfer.js';
import { promisedByName } from './blob-check.js';

export interface FileMetadata {
  commit: string;
  /** The blob's name in the cache. */
  etag: string;
  size: number;
  /** Present for LFS files: what the bytes must hash to. */
  sha256?: string;
  /** Present for small files: their git object id, which the bytes must hash to. */
  gitOid?: string;
}

const MAX_REDIRECTS = 5;

export async function fetchFileMetadata(
  url: string,
  subject: RequestSubject,
  options: TransferOptions,
): Promise<FileMetadata> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await head(current, subject, options);
    const location = response.headers.get('location');
    const isRedirect = response.status >= 300 && response.status < 400 && location != null;
    const next = isRedirect ? new URL(location, current) : undefined;
    if (next && next.origin === new URL(current).origin && hop < MAX_REDIRECTS) {
      current = next.href;
      continue;
    }
    if (!isRedirect && !response.ok) throw refusal(response, subject);
    return describe(response, subject);
  }
}

async function head(url: string, subject: RequestSubject, options: TransferOptions): Promise<Response> {
  const deadline = new Deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal);
  try {
    return await (options.fetch ?? fetch)(url, {
      method: 'HEAD',
      redirect: 'manual',
      // The size must be the file's, not a compressed transfer's.
      headers: { 'accept-encoding': 'identity', ...authorization(options.token) },
      signal: deadline.signal,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw deadline.expired ? silent(subject, deadline.ms) : unreachable(error, subject);
  } finally {
    deadline.clear();
  }
}

/**
 * The headers become names in the cache (the commit a folder, the ETag a file), so each must be what
 * it claims to be: a server's say-so never picks a path.
 */
function describe(response: Response, subject: RequestSubject): FileMetadata {
  const headers = response.headers;
  const commit = headers.get('x-repo-commit');
  const etagHeader = headers.get('x-linked-etag') ?? headers.get('etag');
  const sizeHeader = headers.get('x-linked-size') ?? headers.get('content-length');
  const notHub = (what: string) =>
    new HubError(
      'http',
      `${subject.endpoint} answered for ${subject.path} of ${subject.id} with ${what}: is HF_ENDPOINT a Hugging Face Hub?`,
    );
  if (commit == null || etagHeader == null) throw notHub('no X-Repo-Commit or ETag');
  if (!isCommitId(commit)) throw notHub(`'${shown(commit)}' as X-Repo-Commit, which is no commit id`);
  const etag = normalizeEtag(etagHeader);
  if (!isBlobName(etag)) {
    throw notHub(`the ETag '${shown(etag)}', which is neither a SHA-256 nor a git object id`);
  }
  if (sizeHeader == null) throw notHub('no size (neither Content-Length nor X-Linked-Size)');
  const size = /^\s*\d{1,15}\s*$/.test(sizeHeader) ? Number(sizeHeader) : Number.NaN;
  if (!Number.isSafeInteger(size)) throw notHub(`'${shown(sizeHeader)}' as the size`);
  // An LFS file's linked ETag is its SHA-256; a file stored with Xet only may carry its Xet hash
  // there instead, which is no SHA-256 of the bytes: then only the size is checked.
  const xetHash = headers.get('x-xet-hash');
  const isXetHash = xetHash != null && normalizeEtag(xetHash) === etag;
  const sha256 = headers.has('x-linked-etag') && !isXetHash ? sha256FromEtag(etag) : undefined;
  const gitOid = headers.has('x-linked-etag') ? undefined : promisedByName(etag).gitOid;
  return { commit, etag, size, ...(sha256 ? { sha256 } : {}), ...(gitOid ? { gitOid } : {}) };
}
