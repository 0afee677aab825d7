/** `classify eval`: loss, accuracy and the confusion matrix of a classifier on each split of its data. */
import type { Flags, FlagValues } from '../../args.js';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { dataFlags, dataSettings, loadClassificationData, requestedData } from './data.js';
import { evaluateSplits, reportEvaluation, splitNames } from './evaluation.js';
import { checkModelMemory, describeModel } from './model.js';
import { findClassifier, loadClassifierFiles, readClassifierSettings } from './run.js';

const evalFlags = {
  model: { type: 'string', value: 'DIR', required: true, help: 'a classifier checkpoint or run' },
  split: { type: 'string', choices: [...splitNames, 'all'], default: 'all', help: 'the split to evaluate' },
  ...dataFlags,
} as const satisfies Flags;

export const classifyEval = defineCommand({
  summary: 'loss, accuracy and confusion matrix of a classifier on each split',
  usage: ['scratchgpt classify eval --model DIR [--data FILE] [--split train|validation|test|all] [options]'],
  description: `Loss, accuracy and the confusion matrix of each split. A run is evaluated on its own data and split
unless --data (and the data flags) say otherwise.`,
  flags: evalFlags,
  notes:
    'With --json: {"classes","train","validation","test"} (each {"accuracy","loss","examples","correct","confusion"}).',
  run: (values, context) => runClassifyEval(values, context),
});

async function runClassifyEval(
  values: FlagValues<typeof evalFlags>,
  context: CommandContext,
): Promise<number> {
  const { model: directory, split } = values;
  const location = await findClassifier(directory, 'classify eval');
  const settings = await readClassifierSettings(location.files);
  const model = await describeModel(location.files);
  // A run's own data and split, unless flags say otherwise; a checkpoint's: the flags and defaults.
  const requested = requestedData(values);
  const saved: Partial<ClassifyRunSettings> = location.manifest?.run ?? {};
  // Only the split matters here: --split-seed, else --seed, else the run's.
  const seed = context.seedGiven ? context.seed : (saved.splitSeed ?? saved.seed ?? context.seed);
  const dataSettingsUsed = dataSettings(
    {
      ...(requested.data === undefined ? saved : {}),
      ...(context.seedGiven ? { splitSeed: context.seed } : {}),
      ...requested,
    },
    seed,
  );
  const data = await loadClassificationData(dataSettingsUsed, {
    tokenizer: model.tokenizer,
    contextLength: model.contextLength,
    maxLength: settings.maxLength,
    classes: settings.classes,
  });

  await context.startBackend();
  checkModelMemory(model, {
    batchSize: dataSettingsUsed.batchSize,
    tokens: settings.maxLength,
    training: false,
  });
  const { classifier } = await loadClassifierFiles(location);
  const evaluations = await evaluateSplits(classifier, data, split === 'all' ? splitNames : [split]);
  reportEvaluation(context.output, evaluations, settings.classes);
  classifier.dispose();
  return 0;
}
