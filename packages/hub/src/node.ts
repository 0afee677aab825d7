/**
 * Node only: models into the Hugging Face cache on disk, shared with Python's `huggingface_hub`.
 */
export {
  type DownloadedModel,
  type DownloadModelOptions,
  downloadModel,
  resolveModelDirectory,
} from './node/download-model.js';
export { RepoCache, repoFolderName } from './node/repo-cache.js';
export {
  type HubSettings,
  hubCacheDir,
  hubSettingsFromEnv,
  MAX_TIMEOUT_SECONDS,
  parseTimeoutSeconds,
} from './node/settings.js';
