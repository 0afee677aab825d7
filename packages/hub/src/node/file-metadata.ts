/**
 * What the Hub says about a file before it is fetched, from a HEAD request on its `resolve` URL, as
 * Python's client asks: the commit the revision points to (`X-Repo-Commit`), the file's ETag and size.
 * Large (LFS) files answer with a redirect to the CDN whose `X-Linked-Etag` (the SHA-256 of the bytes)
 * and `X-Linked-Size` describe the file; the redirect is not followed. Redirects within the Hub (a
 * renamed repository) are.
 */

import { normalizeEtag, sha256FromEtag } from '../digest.js';
import { authorization } from '../endpoint.js';
import { HubError } from '../errors.js';
import { type RequestSubject, refusal, unreachable } from '../http-errors.js';
import type { TransferOptions } from '../transfer.js';

export interface FileMetadata {
  commit: string;
  /** The blob's name in the cache. */
  etag: string;
  size: number;
  /** Present for LFS files: what the bytes must hash to. */
  sha256?: string;
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
  try {
    return await (options.fetch ?? fetch)(url, {
      method: 'HEAD',
      redirect: 'manual',
      // The size must be the file's, not a compressed transfer's.
      headers: { 'accept-encoding': 'identity', ...authorization(options.token) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw unreachable(error, subject);
  }
}

function describe(response: Response, subject: RequestSubject): FileMetadata {
  const headers = response.headers;
  const commit = headers.get('x-repo-commit');
  const etagHeader = headers.get('x-linked-etag') ?? headers.get('etag');
  const size = Number(headers.get('x-linked-size') ?? headers.get('content-length'));
  if (commit == null || etagHeader == null || !Number.isSafeInteger(size)) {
    throw new HubError(
      'http',
      `${subject.endpoint} did not describe ${subject.path} of ${subject.id} (no X-Repo-Commit, ETag or size): is HF_ENDPOINT a Hugging Face Hub?`,
    );
  }
  const etag = normalizeEtag(etagHeader);
  // An LFS file's linked ETag is its SHA-256; a file stored with Xet only may carry its Xet hash
  // there instead, which is no SHA-256 of the bytes: then only the size is checked.
  const xetHash = headers.get('x-xet-hash');
  const isXetHash = xetHash != null && normalizeEtag(xetHash) === etag;
  const sha256 = headers.has('x-linked-etag') && !isXetHash ? sha256FromEtag(etag) : undefined;
  return { commit, etag, size, ...(sha256 ? { sha256 } : {}) };
}
