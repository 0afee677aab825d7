/**
 * A Hugging Face Hub on loopback for tests: two HTTP servers, the Hub and its CDN, on free ports of
 * 127.0.0.1. The Hub answers `resolve` as the real one does (small files with their git ETag, LFS
 * files with a redirect to the CDN carrying `X-Linked-Etag` and `X-Linked-Size`, `X-Repo-Commit`
 * always, `X-Error-Code` with 404 and 401), and the revision API browsers use. The CDN serves byte
 * ranges and refuses requests that carry an Authorization header, as signed CDN URLs do. Faults can be
 * switched on: connections cut after some bytes, a corrupted byte, a slow network, and a hostile or
 * broken Hub (headers of its choosing, no answer at all, a body that stops without closing). Every
 * request is logged.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  files: Record<string, Uint8Array>;
  /** Branches and tags → commit; `main` is added, pointing at the files' commit. */
  refs?: Record<string, string>;
  /** A private repository: requests must carry `Authorization: Bearer <token>`. */
  token?: string;
}

export interface FakeHubRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
  /** The status sent (0 while the response is under way). */
  status: number;
}

export interface FakeHubFaults {
  /** The next `times` CDN responses stop after `afterBytes` bytes of body, the socket destroyed. */
  cut?: { afterBytes: number; times: number } | undefined;
  /** The CDN serves LFS files with one byte changed (their checksum no longer matches). */
  corrupt?: boolean | undefined;
  /** A slow network: the CDN sends bodies `chunkBytes` at a time, `delayMs` apart. */
  slow?: { chunkBytes: number; delayMs: number } | undefined;
  /**
   * Headers the Hub's `resolve` answers (for `file`, else every file) carry instead of its own (a name
   * → value), or without (a name → null): a hostile ETag or X-Repo-Commit, a HEAD without Content-Length.
   */
  hubHeaders?: { headers: Record<string, string | null>; file?: string } | undefined;
  /** The Hub accepts connections and never answers. */
  silent?: boolean | undefined;
  /** The CDN sends the first `afterBytes` of a body, then nothing more, the connection held open. */
  stall?: { afterBytes: number } | undefined;
}

export interface FakeHub {
  endpoint: string;
  cdn: string;
  requests: FakeHubRequest[];
  faults: FakeHubFaults;
  /** The commit each repository's files are at. */
  commitOf(repo: string): string;
  /** Requests for a file's bytes (GET), on the Hub or the CDN. */
  downloadsOf(path: string): FakeHubRequest[];
  close(): Promise<void>;
}

interface StoredFile {
  bytes: Uint8Array;
  lfs: boolean;
  /** git's blob id for small files, the SHA-256 for LFS files: the ETag either way. */
  etag: string;
  sha256: string;
}

interface StoredRepo {
  commit: string;
  refs: Record<string, string>;
  files: Map<string, StoredFile>;
  token?: string | undefined;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range',
  'access-control-expose-headers':
    'etag, x-repo-commit, x-linked-etag, x-linked-size, x-error-code, content-range, content-length, accept-ranges',
};

export async function startFakeHub(options: { repos: Record<string, FakeRepo> }): Promise<FakeHub> {
  const repos = new Map(Object.entries(options.repos).map(([name, repo]) => [name, store(repo)]));
  const blobs = new Map<string, StoredFile>();
  for (const repo of repos.values()) for (const file of repo.files.values()) blobs.set(file.sha256, file);
  const requests: FakeHubRequest[] = [];
  const faults: FakeHubFaults = {};

  // Logged as the request arrives (a cut connection's status is set when it closes).
  const log = (server: FakeHubRequest['server'], request: IncomingMessage, response: ServerResponse) => {
    const entry: FakeHubRequest = {
      server,
      method: request.method ?? 'GET',
      path: decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname),
      range: request.headers.range ?? null,
      authorization: request.headers.authorization ?? null,
      status: 0,
    };
    requests.push(entry);
    response.on('close', () => {
      entry.status = response.statusCode;
    });
  };

  const cdnServer = createServer((request, response) => {
    log('cdn', request, response);
    serveCdn(request, response, blobs, faults);
  });
  const cdn = await listen(cdnServer);
  const hubServer = createServer((request, response) => {
    log('hub', request, response);
    if (faults.silent) return;
    serveHub(request, response, { repos, cdn, hostile: faults.hubHeaders });
  });
  const endpoint = await listen(hubServer);

  return {
    endpoint,
    cdn,
    requests,
    faults,
    commitOf: (repo) => repos.get(repo)!.commit,
    downloadsOf: (path) => {
      const blobPaths = new Set(
        [...repos.values()].flatMap((repo) => {
          const file = repo.files.get(path);
          return file?.lfs ? [`/blobs/${file.sha256}`] : [];
        }),
      );
      return requests.filter(
        (r) =>
          r.method === 'GET' &&
          (blobPaths.has(r.path) ||
            (r.server === 'hub' && r.path.includes('/resolve/') && r.path.endsWith(`/${path}`))),
      );
    },
    close: async () => {
      await Promise.all([close(hubServer), close(cdnServer)]);
    },
  };
}

function store(repo: FakeRepo): StoredRepo {
  const files = new Map<string, StoredFile>();
  for (const [path, bytes] of Object.entries(repo.files)) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const lfs = path.endsWith('.safetensors');
    const gitId = createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
    files.set(path, { bytes, lfs, sha256, etag: lfs ? sha256 : gitId });
  }
  const commit = createHash('sha1')
    .update([...files].map(([path, file]) => `${path}:${file.etag}`).join('\n'))
    .digest('hex');
  return { commit, refs: { main: commit, ...repo.refs }, files, token: repo.token };
}

function serveHub(
  request: IncomingMessage,
  response: ServerResponse,
  hub: {
    repos: Map<string, StoredRepo>;
    /** Where LFS files redirect to. */
    cdn: string;
    hostile: FakeHubFaults['hubHeaders'];
  },
) {
  const { repos, cdn, hostile } = hub;
  if (request.method === 'OPTIONS') return end(response, 204, {});
  // Matched before decoding: a revision may hold an encoded '/' (refs/pr/1, or a hostile '../x').
  const path = new URL(request.url ?? '/', 'http://x').pathname;
  const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
  const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
  const match = (api ?? resolve)?.map((part) => decodeURIComponent(part));
  if (match == null) return end(response, 404, { 'x-error-code': 'EntryNotFound' });
  const [, name, revision] = match as [string, string, string];
  const repo = repos.get(name);
  if (repo == null) return end(response, 404, { 'x-error-code': 'RepositoryNotFound' });
  if (repo.token !== undefined && request.headers.authorization !== `Bearer ${repo.token}`) {
    return end(response, 401, { 'x-error-code': 'RepositoryNotFound' });
  }
  // A hostile Hub also serves the files at the commit it made up.
  const madeUp = hostile?.headers['x-repo-commit'] === revision ? revision : undefined;
  const commit = repo.refs[revision] ?? (revision === repo.commit ? revision : madeUp);
  if (commit === undefined) return end(response, 404, { 'x-error-code': 'RevisionNotFound' });
  if (api != null) return describeRevision(response, name, repo);
  const file = repo.files.get(match[3]!);
  if (file == null) return end(response, 404, { 'x-error-code': 'EntryNotFound', 'x-repo-commit': commit });
  const overrides = hostile && (hostile.file ?? match[3]) === match[3] ? hostile.headers : {};
  if (file.lfs) {
    const headers = {
      ...CORS,
      'content-length': '0',
      location: `${cdn}/blobs/${file.sha256}?expires=${Date.now() + 3_600_000}`,
      'x-repo-commit': commit,
      'x-linked-etag': `"${file.sha256}"`,
      'x-linked-size': String(file.bytes.byteLength),
      etag: `"${file.etag}"`,
    };
    response.writeHead(302, overridden(headers, overrides));
    return response.end();
  }
  const headers = {
    ...CORS,
    'x-repo-commit': commit,
    etag: `"${file.etag}"`,
    'content-length': String(file.bytes.byteLength),
    'content-type': 'application/octet-stream',
  };
  response.writeHead(200, overridden(headers, overrides));
  response.end(request.method === 'HEAD' ? undefined : file.bytes);
}

function overridden(
  headers: Record<string, string>,
  overrides: Record<string, string | null>,
): Record<string, string> {
  const result = { ...headers };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete result[name];
    else result[name] = value;
  }
  return result;
}

function describeRevision(response: ServerResponse, name: string, repo: StoredRepo) {
  const siblings = [...repo.files].map(([path, file]) => ({
    rfilename: path,
    size: file.bytes.byteLength,
    blobId: file.etag,
    ...(file.lfs ? { lfs: { sha256: file.sha256, size: file.bytes.byteLength, pointerSize: 134 } } : {}),
  }));
  const body = JSON.stringify({ id: name, sha: repo.commit, siblings });
  response.writeHead(200, { ...CORS, 'content-type': 'application/json' });
  response.end(body);
}

function serveCdn(
  request: IncomingMessage,
  response: ServerResponse,
  blobs: Map<string, StoredFile>,
  faults: FakeHubFaults,
) {
  if (request.method === 'OPTIONS') return end(response, 204, {});
  if (request.headers.authorization !== undefined) return end(response, 400, {});
  const sha256 = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(request.url ?? '/', 'http://x').pathname)?.[1];
  const file = sha256 === undefined ? undefined : blobs.get(sha256);
  if (file == null) return end(response, 404, {});
  let bytes = file.bytes;
  if (faults.corrupt) {
    bytes = bytes.slice();
    const middle = bytes.length >> 1;
    bytes[middle] = (bytes[middle]! + 1) & 0xff;
  }
  const size = bytes.byteLength;
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  if (start >= size && range) return end(response, 416, { 'content-range': `bytes */${size}` });
  const body = bytes.subarray(start);
  response.writeHead(range ? 206 : 200, {
    ...CORS,
    'accept-ranges': 'bytes',
    etag: `"${file.sha256}"`,
    'content-length': String(body.byteLength),
    'content-type': 'application/octet-stream',
    ...(range ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  if (request.method === 'HEAD') return void response.end();
  const cut = faults.cut;
  if (cut && cut.times > 0) {
    cut.times--;
    response.write(body.subarray(0, cut.afterBytes), () => {
      // Let the bytes reach the client, then drop the connection mid-body.
      setTimeout(() => response.socket?.destroy(), 20);
    });
    return;
  }
  if (faults.stall) return void response.write(body.subarray(0, faults.stall.afterBytes));
  if (faults.slow) return void trickle(response, body, faults.slow);
  response.end(body);
}

async function trickle(
  response: ServerResponse,
  body: Uint8Array,
  { chunkBytes, delayMs }: { chunkBytes: number; delayMs: number },
): Promise<void> {
  for (let offset = 0; offset < body.byteLength && !response.destroyed; offset += chunkBytes) {
    response.write(body.subarray(offset, offset + chunkBytes));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  response.end();
}

function end(response: ServerResponse, status: number, headers: Record<string, string>): ServerResponse {
  response.writeHead(status, { ...CORS, 'content-length': '0', ...headers });
  return response.end();
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An endpoint nothing listens on (a port that was free a moment ago): what an unreachable Hub looks like. */
export function unreachableEndpoint(): Promise<string> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}
