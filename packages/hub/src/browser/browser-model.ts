/**
 * A model id to its files in a browser (or a worker), kept in Cache Storage so a reload does not
 * download again and an offline page still loads what it fetched before: GPT-2's config and weights,
 * or a Qwen3, Llama or Gemma 3 repository whole (the files `obtainWeightFiles` reads from its config,
 * as on Node). Entries are keyed by the files' URLs at their commit, which never change; the revision's
 * description is stored last, so a cached description always finds its files. A download streams
 * straight into Cache Storage, checked against the size and SHA-256 the Hub announced as its bytes
 * pass: a file that fails a check is never stored, and no buffer holds a whole file on its way.
 * `openModelInBrowser` hands the files over as Blobs of that storage, read by range when a loader asks
 * for a tensor; `fetchModelInBrowser` reads them whole.
 */
import { Deadline } from '../deadline.js';
import { authorization, DEFAULT_ENDPOINT, resolveUrl, revisionInfoUrl, trimEndpoint } from '../endpoint.js';
import { HubError } from '../errors.js';
import { isNetworkFailure, type RequestSubject, refusal, unreachable } from '../http-errors.js';
import {
  bookConfig,
  CONFIG_FILE,
  type ModelId,
  modelFiles,
  parseModelId,
  WEIGHTS_FILE,
} from '../model-id.js';
import { parseRevisionInfo, type RevisionInfo } from '../revision-info.js';
import { Sha256 } from '../sha256.js';
import {
  chunksOf,
  cutOff,
  DEFAULT_TIMEOUT_MS,
  openBody,
  type ProgressCallback,
  silent,
} from '../transfer.js';
import { obtainWeightFiles, refuseOversized } from '../weight-files.js';

export const DEFAULT_CACHE_NAME = 'scratchgpt-hub';

export interface BrowserModelOptions {
  /** The Hub (default https://huggingface.co). */
  endpoint?: string;
  token?: string;
  onProgress?: ProgressCallback;
  /** Sees config.json before the weights (and a tokenizer) are fetched; throwing stops there. */
  beforeWeights?: (config: unknown) => void | Promise<void>;
  /** The Cache Storage cache to keep files in (default `scratchgpt-hub`). */
  cacheName?: string;
  caches?: CacheStorage;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** The longest the Hub may stay silent: before it answers, and between two chunks (default 10 s). */
  timeoutMs?: number;
}

export interface BrowserModel {
  id: ModelId;
  commit: string;
  /** config.json, parsed (for the book's copies, the book's config). */
  config: unknown;
  /**
   * Every file fetched, by its path in the repository, config.json first: for the full layout also the
   * tokenizer and generation files the repository has, and model.safetensors or the index and its shards.
   */
  files: ReadonlyMap<string, Uint8Array>;
  /** The weights when they are one file: model.safetensors (or the book's file); undefined when sharded. */
  weights: Uint8Array | undefined;
  /** Whether the Hub was asked, or only the browser's storage (offline). */
  source: 'hub' | 'cache';
  /** Bytes fetched from the network this time. */
  downloadedBytes: number;
}

/** {@link BrowserModel} with each file as a Blob of the browser's storage, its bytes not yet read. */
export interface BrowserModelBlobs extends Omit<BrowserModel, 'files' | 'weights'> {
  /**
   * Every file, as {@link BrowserModel.files} lists them. A Blob of Cache Storage is read when asked
   * (`slice(start, end).arrayBuffer()` reads a range), so a loader can take the weights tensor by tensor.
   */
  files: ReadonlyMap<string, Blob>;
  weights: Blob | undefined;
}

/** {@link openModelInBrowser} with every file read whole into memory. */
export async function fetchModelInBrowser(
  model: string | ModelId,
  options: BrowserModelOptions = {},
): Promise<BrowserModel> {
  const opened = await openModelInBrowser(model, options);
  const files = new Map<string, Uint8Array>();
  for (const [path, blob] of opened.files) files.set(path, new Uint8Array(await blob.arrayBuffer()));
  return { ...opened, files, weights: files.get(weightsPath(opened.id)) };
}

/**
 * A model's files from the Hub, or from the browser's storage where it holds them, as Blobs of that
 * storage: the weights are downloaded (or found) without ever being held in memory whole.
 */
export async function openModelInBrowser(
  model: string | ModelId,
  options: BrowserModelOptions = {},
): Promise<BrowserModelBlobs> {
  const id = typeof model === 'string' ? parseModelId(model) : model;
  const endpoint = trimEndpoint(options.endpoint ?? DEFAULT_ENDPOINT);
  const store = await (options.caches ?? globalThis.caches).open(options.cacheName ?? DEFAULT_CACHE_NAME);
  const infoUrl = revisionInfoUrl(endpoint, id.repo, id.revision);
  const subject = (path: string): RequestSubject => ({
    id: id.text,
    repo: id.repo,
    revision: id.revision,
    path,
    endpoint,
    hasToken: options.token !== undefined,
    endpointSetting: 'the Hub endpoint',
    timeoutSetting: 'the timeout',
  });

  let described: { info: RevisionInfo; text: string };
  let source: BrowserModel['source'] = 'hub';
  try {
    described = await describeRevision(infoUrl, subject('the model description'), options);
  } catch (error) {
    if (!isNetworkFailure(error)) throw error;
    const cached = await store.match(infoUrl);
    if (cached === undefined) {
      throw new HubError(
        'offline',
        `${(error as Error).message}; ${id.text} is not stored in this browser yet: connect once to download it, it then stays here`,
      );
    }
    const text = await cached.text();
    described = { info: parseRevisionInfo(JSON.parse(text), infoUrl), text };
    source = 'cache';
  }
  const { info } = described;
  let downloadedBytes = 0;

  const fileBlob = async (path: string): Promise<Blob> => {
    const expected = info.files.get(path);
    if (expected === undefined) {
      throw new HubError(
        'not-found',
        `${id.text} has no ${path} at revision ${id.revision}: it is not a checkpoint scratchgpt can load`,
      );
    }
    refuseOversized(path, expected.size, id.text);
    const key = resolveUrl(endpoint, id.repo, info.commit, path);
    const hit = await store.match(key);
    if (hit !== undefined) {
      const blob = await hit.blob();
      if (blob.size === expected.size) return blob;
      await store.delete(key);
    }
    if (source === 'cache') {
      throw new HubError(
        'offline',
        `${path} of ${id.text} is no longer stored in this browser: connect to download it again`,
      );
    }
    await downloadInto(store, key, expected, subject(path), options);
    downloadedBytes += expected.size;
    const stored = await store.match(key);
    if (stored === undefined) {
      throw new HubError(
        'integrity',
        `${path} of ${id.text} was downloaded, but this browser's storage does not hold it: free some space for this site and load again`,
      );
    }
    return stored.blob();
  };

  const files = new Map<string, Blob>();
  const obtain = async (path: string, optional: boolean): Promise<Blob | undefined> => {
    if (optional && !info.files.has(path)) return undefined;
    const blob = await fileBlob(path);
    files.set(path, blob);
    return blob;
  };
  const [first] = modelFiles(id);
  let config: unknown;
  if (id.bookSize !== undefined) {
    config = bookConfig(id.bookSize);
    await options.beforeWeights?.(config);
    await obtain(first!.path, false);
  } else {
    config = parseConfig(await (await obtain(CONFIG_FILE, false))!.text(), id.text);
    await options.beforeWeights?.(config);
    await obtainWeightFiles(config, { obtain, text: (blob) => blob.text() }, id.text);
  }
  if (source === 'hub') {
    await store.put(
      infoUrl,
      new Response(described.text, { headers: { 'content-type': 'application/json' } }),
    );
  }
  const weights = files.get(weightsPath(id));
  return { id, commit: info.commit, config, files, weights, source, downloadedBytes };
}

/** The one weights file of a model: model.safetensors, or the book's file (absent when sharded). */
function weightsPath(id: ModelId): string {
  return id.bookSize === undefined ? WEIGHTS_FILE : (modelFiles(id)[0] as { path: string }).path;
}

async function describeRevision(
  url: string,
  subject: RequestSubject,
  options: BrowserModelOptions,
): Promise<{ info: RevisionInfo; text: string }> {
  // One deadline for the answer and its small body.
  const deadline = new Deadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal);
  let text: string;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      headers: authorization(options.token),
      signal: deadline.signal,
    });
    if (!response.ok) throw refusal(response, subject);
    text = await response.text();
  } catch (error) {
    if (error instanceof HubError || options.signal?.aborted) throw error;
    throw deadline.expired ? silent(subject, deadline.ms) : unreachable(error, subject);
  } finally {
    deadline.clear();
  }
  return { info: parseRevisionInfo(JSON.parse(text), url), text };
}

/**
 * The file streamed from the Hub into Cache Storage under `url`, its size and SHA-256 checked as the
 * bytes pass. A check that fails errors the stream before its end, and Cache.put stores a response
 * only once its body has been read to the end: a file that fails is never stored.
 */
async function downloadInto(
  store: Cache,
  url: string,
  expected: { size: number; sha256?: string },
  subject: RequestSubject,
  options: BrowserModelOptions,
): Promise<void> {
  const opened = await openBody(url, 0, subject, options);
  const chunks = chunksOf(opened);
  const hash = expected.sha256 === undefined ? undefined : new Sha256();
  let received = 0;
  /** Why the stream failed, said as the Hub's errors are: what the cache reports is the browser's. */
  let failure: unknown;
  const fail = (error: unknown): never => {
    failure =
      error instanceof HubError || options.signal?.aborted
        ? error
        : cutOff(subject, received, expected.size, error);
    throw failure;
  };
  const checked = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (error) {
        return fail(error);
      }
      if (next.done) {
        if (received !== expected.size) fail(cutOff(subject, received, expected.size, undefined));
        const actual = hash?.hex();
        if (actual !== undefined && actual !== expected.sha256) {
          fail(
            new HubError(
              'integrity',
              `${subject.path} of ${subject.id} does not match the Hub's checksum (SHA-256 ${actual.slice(0, 12)}…, expected ${expected.sha256?.slice(0, 12)}…): nothing was stored, try again`,
            ),
          );
        }
        controller.close();
        return;
      }
      const chunk = next.value;
      if (received + chunk.byteLength > expected.size) {
        fail(
          new HubError(
            'integrity',
            `${subject.path} of ${subject.id} is longer than the ${expected.size} bytes the Hub announced`,
          ),
        );
      }
      hash?.update(chunk);
      received += chunk.byteLength;
      options.onProgress?.({ file: subject.path, loaded: received, total: expected.size });
      controller.enqueue(chunk);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  try {
    await store.put(
      url,
      new Response(checked, {
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
  } catch (error) {
    await chunks.return(undefined);
    if (failure !== undefined) throw failure;
    if (options.signal?.aborted) throw error;
    throw new HubError(
      'integrity',
      `${subject.path} of ${subject.id} could not be stored in this browser (${(error as Error).message}): free some space for this site and load again`,
    );
  }
}

function parseConfig(text: string, id: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HubError('integrity', `config.json of ${id} is not valid JSON (${(error as Error).message})`);
  }
}
