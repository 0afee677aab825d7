export {
  ADAPTER_FILE,
  CLASSIFIER_SETTINGS_FILE,
  type ClassifierFiles,
  type ClassifierFilesToLoad,
  HEAD_FILE,
  type LoadedClassifier,
  type LoadedOpenBase,
  loadClassifier,
  type SerializeClassifierOptions,
  serializeClassifier,
} from './checkpoint/files.js';
export {
  CLASSIFIER_FORMAT,
  ClassifierFileError,
  type ClassifierSettings,
  type ClassifierSettingsOptions,
  classifierSettings,
  parseClassifierSettings,
  settingsToJson,
} from './checkpoint/settings.js';
export {
  type Classification,
  type ClassifySettings,
  classify,
  classifyTexts,
  encodeStart,
} from './classify.js';
export { balanceClasses } from './data/balance.js';
export { classCounts, indexClasses, type LabelledExamples } from './data/classes.js';
export {
  ClassificationDataset,
  type ClassificationDatasetOptions,
  type ClassificationExample,
  encodeText,
  padTokenIdOf,
} from './data/dataset.js';
export { type DelimitedRow, readDelimited } from './data/delimited.js';
export {
  formatOfFileName,
  LabelledDataError,
  type LabelledFormat,
  type LabelledText,
  type ReadLabelledOptions,
  readLabelledTexts,
} from './data/labelled-text.js';
export {
  type ClassificationBatch,
  type ClassificationLoader,
  type ClassificationLoaderOptions,
  createClassificationLoader,
} from './data/loader.js';
export {
  type ClassificationData,
  type ClassificationDataOptions,
  prepareClassificationData,
  type SplitData,
} from './data/prepare.js';
export { randomSplit, type Split, type SplitRatios } from './data/split.js';
export { type ClassifierEvaluation, type EvaluateClassifierOptions, evaluateClassifier } from './evaluate.js';
export { type BackboneModel, backboneOf, type ClassifierBackbone } from './model/backbone.js';
export { type CreateClassifierOptions, createClassifier } from './model/create.js';
export {
  type ClassifierOptions,
  GPTClassifier,
  type Pooling,
  poolings,
  type TrainablePart,
  trainableParts,
} from './model/gpt-classifier.js';
export { classificationLoss, classificationObjective, classLogits } from './objective.js';
