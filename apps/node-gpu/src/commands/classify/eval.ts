/** `classify eval`: loss, accuracy and the confusion matrix of a classifier on each split of its data. */
import { parseFlags, requireString, stringFlag } from '../../args.js';
import type { ClassifyRunSettings } from '../../classify-run-settings.js';
import { UsageError } from '../../errors.js';
import { checkMemory } from '../../memory-check.js';
import { readConfigOf } from '../../model-config.js';
import type { CommandContext } from '../context.js';
import { dataFlags, dataSettings, loadClassificationData, requestedData } from './data.js';
import { evaluateSplits, reportEvaluation, type SplitName, splitNames } from './evaluation.js';
import { findClassifier, loadClassifierFiles, readClassifierSettings } from './run.js';

export const evalFlags = { ...dataFlags, model: { type: 'string' }, split: { type: 'string' } } as const;

export async function runClassifyEval(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, evalFlags, 'classify eval');
  const directory = requireString(values, 'model', 'classify eval');
  const split = stringFlag(values, 'split') ?? 'all';
  if (split !== 'all' && !splitNames.includes(split as SplitName)) {
    throw new UsageError(`--split must be one of ${[...splitNames, 'all'].join(', ')}, got '${split}'`);
  }
  const location = await findClassifier(directory, 'classify eval');
  const settings = await readClassifierSettings(location.files);
  const config = await readConfigOf(location.files);
  // A run's own data and split, unless flags say otherwise; a checkpoint's: the flags and defaults.
  const requested = requestedData(values);
  const saved: Partial<ClassifyRunSettings> = location.manifest?.run ?? {};
  const seed = context.seedGiven ? context.seed : (saved.seed ?? context.seed);
  const dataSettingsUsed = dataSettings(
    { ...(requested.data === undefined ? saved : {}), ...requested },
    seed,
  );
  const data = await loadClassificationData(dataSettingsUsed, {
    contextLength: config.contextLength,
    maxLength: settings.maxLength,
    classes: settings.classes,
  });

  await context.startBackend();
  checkMemory(config, { batchSize: dataSettingsUsed.batchSize, tokens: settings.maxLength, training: false });
  const { classifier } = await loadClassifierFiles(location);
  const evaluations = await evaluateSplits(
    classifier,
    data,
    split === 'all' ? splitNames : [split as SplitName],
  );
  reportEvaluation(context.output, evaluations, settings.classes);
  classifier.dispose();
  return 0;
}
