/**
 * A model id to its files in a browser (or a worker), kept in Cache Storage so a reload does not
 * download again and an offline page still loads what it fetched before: GPT-2's config and weights,
 * or a Qwen3, Llama or Gemma 3 repository whole (the files `obtainWeightFiles` reads from its config,
 * as on Node). Entries are keyed by the files' URLs at their commit, which never change; the revision's
 * description is stored last, so a cached description always finds its files. Each file is checked
 * against the size and SHA-256 the Hub announced before it is stored.
 */
import { Deadline } from '../deadline.js';
import { sha256Hex } from '../digest.js';
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

export async function fetchModelInBrowser(
  model: string | ModelId,
  options: BrowserModelOptions = {},
): Promise<BrowserModel> {
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

  const fileBytes = async (path: string): Promise<Uint8Array> => {
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
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if (bytes.byteLength === expected.size) return bytes;
      await store.delete(key);
    }
    if (source === 'cache') {
      throw new HubError(
        'offline',
        `${path} of ${id.text} is no longer stored in this browser: connect to download it again`,
      );
    }
    const bytes = await download(key, expected, subject(path), options);
    downloadedBytes += bytes.byteLength;
    await store.put(
      key,
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    return bytes;
  };

  const files = new Map<string, Uint8Array>();
  const obtain = async (path: string, optional: boolean): Promise<Uint8Array | undefined> => {
    if (optional && !info.files.has(path)) return undefined;
    const bytes = await fileBytes(path);
    files.set(path, bytes);
    return bytes;
  };
  const [first] = modelFiles(id);
  let config: unknown;
  if (id.bookSize !== undefined) {
    config = bookConfig(id.bookSize);
    await options.beforeWeights?.(config);
    await obtain(first!.path, false);
  } else {
    config = parseConfig((await obtain(CONFIG_FILE, false))!, id.text);
    await options.beforeWeights?.(config);
    const text = async (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    await obtainWeightFiles(config, { obtain, text }, id.text);
  }
  if (source === 'hub') {
    await store.put(
      infoUrl,
      new Response(described.text, { headers: { 'content-type': 'application/json' } }),
    );
  }
  const weights = files.get(id.bookSize === undefined ? WEIGHTS_FILE : first!.path);
  return { id, commit: info.commit, config, files, weights, source, downloadedBytes };
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

/** The whole file into one buffer of the announced size, checked before it is returned. */
async function download(
  url: string,
  expected: { size: number; sha256?: string },
  subject: RequestSubject,
  options: BrowserModelOptions,
): Promise<Uint8Array> {
  const opened = await openBody(url, 0, subject, options);
  const bytes = new Uint8Array(expected.size);
  let received = 0;
  try {
    for await (const chunk of chunksOf(opened)) {
      if (received + chunk.byteLength > expected.size) {
        throw new HubError(
          'integrity',
          `${subject.path} of ${subject.id} is longer than the ${expected.size} bytes the Hub announced`,
        );
      }
      bytes.set(chunk, received);
      received += chunk.byteLength;
      options.onProgress?.({ file: subject.path, loaded: received, total: expected.size });
    }
  } catch (error) {
    if (error instanceof HubError || options.signal?.aborted) throw error;
    throw cutOff(subject, received, expected.size, error);
  }
  if (received !== expected.size) throw cutOff(subject, received, expected.size, undefined);
  if (expected.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (actual !== expected.sha256) {
      throw new HubError(
        'integrity',
        `${subject.path} of ${subject.id} does not match the Hub's checksum (SHA-256 ${actual.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…): nothing was stored, try again`,
      );
    }
  }
  return bytes;
}

function parseConfig(bytes: Uint8Array, id: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new HubError('integrity', `config.json of ${id} is not valid JSON (${(error as Error).message})`);
  }
}
