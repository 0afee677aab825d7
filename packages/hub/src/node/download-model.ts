/**
 * A model id to a checkpoint directory on disk (`config.json` + `model.safetensors`), downloading what
 * the Hugging Face cache lacks. Every file is asked for at the commit the first answer named, so the
 * directory never mixes two revisions. When the Hub cannot be reached, or `HF_HUB_OFFLINE` is set, the
 * cached snapshot of the revision is used, as Python's client does.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { resolveUrl } from '../endpoint.js';
import { HubError } from '../errors.js';
import { isNetworkFailure, type RequestSubject } from '../http-errors.js';
import {
  bookConfig,
  CONFIG_FILE,
  type ModelId,
  modelFiles,
  parseModelId,
  type RepoFile,
} from '../model-id.js';
import type { ProgressCallback, TransferOptions } from '../transfer.js';
import { obtainWeightFiles, refuseOversized } from '../weight-files.js';
import { type BlobCheck, checkBlob } from './blob-check.js';
import { downloadBlob } from './blob-download.js';
import { bookCheckpointDir } from './book-checkpoint.js';
import { fetchFileMetadata } from './file-metadata.js';
import { RepoCache } from './repo-cache.js';
import { type HubSettings, hubSettingsFromEnv } from './settings.js';

export interface DownloadModelOptions {
  /** Overrides of what the environment says (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, the caches). */
  settings?: Partial<HubSettings>;
  onProgress?: ProgressCallback;
  /**
   * Sees the model's config.json before its weights are fetched or used; throwing stops there (a model
   * too large for the backend is refused before gigabytes are downloaded).
   */
  beforeWeights?: (config: unknown) => void | Promise<void>;
  /** Said when the cache stands in for the Hub. */
  onNote?: (line: string) => void;
  /** Further attempts after a cut or silent connection, each resuming (default 2, at most 10). */
  retries?: number;
  /** The wait before the first retry, doubled for each further one up to 8 s (default 1 s). */
  retryDelayMs?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface DownloadedModel {
  id: ModelId;
  commit: string;
  /** A checkpoint directory: the snapshot, or for the book's copies one assembled beside the cache. */
  directory: string;
  files: Array<{ path: string; size: number; downloaded: boolean }>;
  /** Whether the Hub was asked, or only the cache. */
  source: 'hub' | 'cache';
}

export async function downloadModel(
  model: string | ModelId,
  options: DownloadModelOptions = {},
): Promise<DownloadedModel> {
  const id = typeof model === 'string' ? parseModelId(model) : model;
  const settings = { ...hubSettingsFromEnv(), ...options.settings };
  const download: Download = { id, cache: new RepoCache(settings.cacheDir, id.repo), settings, options };
  if (settings.offline) return fromCache(download, 'HF_HUB_OFFLINE is set');
  try {
    return await fromHub(download);
  } catch (error) {
    if (!isNetworkFailure(error) || !(await isCached(id, download.cache))) throw error;
    options.onNote?.(`${(error as Error).message}; using the cached copy of ${id.text}`);
    return fromCache(download, 'the Hub cannot be reached');
  }
}

/** One `downloadModel` call: the model, its folder in the cache, the settings in force and the caller's options. */
interface Download {
  id: ModelId;
  cache: RepoCache;
  settings: HubSettings;
  options: DownloadModelOptions;
}

/** The checkpoint directory of a model id: what `--model gpt2` means. */
export async function resolveModelDirectory(
  model: string | ModelId,
  options: DownloadModelOptions = {},
): Promise<string> {
  return (await downloadModel(model, options)).directory;
}

async function fromHub(download: Download): Promise<DownloadedModel> {
  const { id, cache, settings, options } = download;
  let commit: string | undefined;
  const files: DownloadedModel['files'] = [];
  const obtain = async (file: RepoFile, optional = false): Promise<string | undefined> => {
    const subject = subjectOf(id, file, settings);
    const transfer: TransferOptions = {
      token: settings.token,
      fetch: options.fetch,
      signal: options.signal,
      timeoutMs: settings.timeoutMs,
    };
    const url = resolveUrl(settings.endpoint, id.repo, commit ?? id.revision, file.path);
    const metadata = await fetchFileMetadata(url, subject, transfer).catch((error: unknown) => {
      if (optional && error instanceof HubError && error.code === 'not-found') return undefined;
      throw error;
    });
    if (metadata === undefined) return undefined;
    commit ??= metadata.commit;
    refuseOversized(file.path, metadata.size, id.text);
    const target = { ...metadata, path: cache.blobPath(metadata.etag) };
    // The blob is checked every time: a cached copy is used only when its size and hash are the Hub's.
    const cached = await checkBlob(target.path, target);
    if (cached.state === 'bad') {
      options.onNote?.(`the cached ${file.path} of ${id.text} ${cached.why}: downloading it again`);
      await rm(target.path, { recursive: true, force: true });
    }
    if (cached.state !== 'ok') {
      await cache.prepareBlobs();
      const pinned = resolveUrl(settings.endpoint, id.repo, commit, file.path);
      await downloadBlob(pinned, target, subject, {
        ...transfer,
        onProgress: options.onProgress,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
      });
    }
    if (!(await cache.linksTo(commit, file.path, metadata.etag)))
      await cache.link(commit, file.path, metadata.etag);
    files.push({ path: file.path, size: metadata.size, downloaded: cached.state !== 'ok' });
    return cache.filePath(commit, file.path);
  };
  await obtainModel(download, obtain, () => commit);
  if (commit === undefined) throw new Error('internal: a model has at least one file');
  await cache.recordRef(id.revision, commit);
  return { id, commit, directory: await checkpointDir(download, commit), files, source: 'hub' };
}

/**
 * The config first, then (once `beforeWeights` accepted it) the weights it calls for: the book's one
 * file, or what {@link obtainWeightFiles} reads from the config.
 */
async function obtainModel(
  download: Download,
  obtain: (file: RepoFile, optional?: boolean) => Promise<string | undefined>,
  commitOf: () => string | undefined,
): Promise<void> {
  const { id } = download;
  const [first, ...rest] = modelFiles(id);
  if (id.bookSize !== undefined) {
    await checkConfig(download, undefined);
    for (const file of [first!, ...rest]) await obtain(file);
    return;
  }
  await obtain(first!);
  const config = await checkConfig(download, commitOf());
  const source = {
    obtain: (path: string, optional: boolean) => obtain({ path, role: 'weights' }, optional),
    text: async (file: string, path: string) => {
      refuseOversized(path, (await stat(file)).size, id.text);
      return readFile(file, 'utf8');
    },
  };
  await obtainWeightFiles(config, source, id.text);
}

async function fromCache(download: Download, why: string): Promise<DownloadedModel> {
  const { id, cache } = download;
  const commit = await cache.commitOf(id.revision);
  const notCached = () =>
    new HubError(
      'offline',
      `${why} and ${id.text} is not in the Hugging Face cache (${cache.folder}): fetch it once where the Hub is reachable and copy that folder here, or load a directory holding config.json and model.safetensors`,
    );
  if (commit === undefined) throw notCached();
  const files: DownloadedModel['files'] = [];
  const obtain = async (file: RepoFile, optional = false): Promise<string | undefined> => {
    const check = await cache.snapshotFile(commit, file.path);
    if (check.state === 'missing') {
      if (optional) return undefined;
      throw notCached();
    }
    const path = cache.filePath(commit, file.path);
    files.push({ path: file.path, size: trusted(check, path, id), downloaded: false });
    return path;
  };
  await obtainModel(download, obtain, () => commit);
  return { id, commit, directory: await checkpointDir(download, commit), files, source: 'cache' };
}

/**
 * Whether the cache holds the revision's first file (its config.json, or the book's weights): which
 * other files a model needs is read from that config, and `fromCache` checks each of them.
 */
async function isCached(id: ModelId, cache: RepoCache): Promise<boolean> {
  const commit = await cache.commitOf(id.revision);
  if (commit === undefined) return false;
  const [first] = modelFiles(id);
  return (await cache.snapshotFile(commit, first!.path)).state !== 'missing';
}

/** The size of a cached file that passed its checks; one that did not is refused in one line. */
function trusted(check: BlobCheck, path: string, id: ModelId): number {
  if (check.state === 'ok') return check.size;
  const why = check.state === 'bad' ? check.why : 'is missing';
  throw new HubError(
    'integrity',
    `the cached ${path} of ${id.text} ${why}: remove it and download ${id.text} again where the Hub is reachable`,
  );
}

/** The config.json (or the book's), shown to `beforeWeights` before any weight is fetched or used. */
async function checkConfig({ id, cache, options }: Download, commit: string | undefined): Promise<unknown> {
  if (id.bookSize !== undefined) {
    const config = bookConfig(id.bookSize);
    await options.beforeWeights?.(config);
    return config;
  }
  if (commit === undefined) throw new Error('internal: config.json comes before the weights');
  const path = cache.filePath(commit, CONFIG_FILE);
  refuseOversized(CONFIG_FILE, (await stat(path)).size, id.text);
  const text = await readFile(path, 'utf8');
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new HubError(
      'integrity',
      `config.json of ${id.text} is not valid JSON (${(error as Error).message})`,
    );
  }
  await options.beforeWeights?.(config);
  return config;
}

async function checkpointDir({ id, cache, settings }: Download, commit: string): Promise<string> {
  if (id.bookSize === undefined) return cache.snapshotDir(commit);
  const weights = modelFiles(id).find((file) => file.role === 'weights')!;
  return bookCheckpointDir({
    scratchgptCacheDir: settings.scratchgptCacheDir,
    commit,
    size: id.bookSize,
    weightsFile: cache.filePath(commit, weights.path),
  });
}

function subjectOf(id: ModelId, file: RepoFile, settings: HubSettings): RequestSubject {
  return {
    id: id.text,
    repo: id.repo,
    revision: id.revision,
    path: file.path,
    endpoint: settings.endpoint,
    hasToken: settings.token !== undefined,
  };
}
