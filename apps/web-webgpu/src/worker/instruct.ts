/**
 * Instruction tuning in the worker: the book's 1,100 entries (bundled with the page), split in file
 * order, batched with the collate function of chapter 7, cut to the model's context.
 */
import {
  createInstructionLoader,
  InstructionDataset,
  parseInstructionData,
  promptFormat,
  splitInstructionData,
} from '@scratchgpt/instruct';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import instructionData from '../../../../data/instruction-data.json?raw';
import type { FromWorker, InstructSettings } from '../protocol.js';
import type { TrainingRun } from './training.js';

export function instructionRun(
  settings: InstructSettings,
  contextLength: number,
  post: (message: FromWorker) => void,
): TrainingRun {
  const { train, validation } = splitInstructionData(
    parseInstructionData(instructionData, 'instruction-data.json'),
  );
  const options = { tokenizer: getGPT2Tokenizer(), format: promptFormat(settings.format) };
  const common = { batchSize: settings.batchSize, allowedMaxLength: contextLength };
  const trainBatches = createInstructionLoader(new InstructionDataset(train, options), {
    ...common,
    seed: settings.seed,
  });
  const validationBatches = createInstructionLoader(new InstructionDataset(validation, options), {
    ...common,
    shuffle: false,
    dropLast: false,
  });
  const tokens = (loader: typeof trainBatches) => loader.dataset.lengths().reduce((sum, n) => sum + n, 0);
  post({
    type: 'data',
    trainTokens: tokens(trainBatches),
    validationTokens: tokens(validationBatches),
    batchesPerEpoch: trainBatches.length,
  });
  return {
    data: { train: trainBatches, validation: validationBatches },
    lr: settings.lr,
    evalEvery: settings.evalEvery,
  };
}
