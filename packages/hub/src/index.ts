export {
  type BrowserModel,
  type BrowserModelBlobs,
  type BrowserModelOptions,
  DEFAULT_CACHE_NAME,
  fetchModelInBrowser,
  openModelInBrowser,
} from './browser/browser-model.js';
export { DEFAULT_ENDPOINT, resolveUrl, revisionInfoUrl } from './endpoint.js';
export { HubError, type HubErrorCode } from './errors.js';
export {
  BOOK_REPO,
  type BookSize,
  bookConfig,
  GPT2_REPOS,
  looksLikeModelId,
  type ModelId,
  modelFiles,
  parseModelId,
  type RepoFile,
} from './model-id.js';
export type { DownloadProgress, ProgressCallback } from './transfer.js';
