export {
  type Batch,
  createDataLoader,
  type DataLoader,
  type DataLoaderOptions,
  type WindowDataset,
} from './data-loader.js';
export { GPTDataset, type GPTDatasetOptions, type Sample, type TokenSource } from './gpt-dataset.js';
export { splitTrainValidation } from './split.js';
export { lastSafeSplit } from './stream/safe-split.js';
export {
  type TextBatches,
  type TextBatchesOptions,
  TooFewTokensError,
  textToBatches,
} from './text-batches.js';
