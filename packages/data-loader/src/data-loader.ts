import { Generator as RandomGenerator } from '@scratchgpt/tensor';
import { checkInteger } from './check.js';
import type { Sample } from './gpt-dataset.js';

/** What a data loader draws from: numbered windows of the same length (a `GPTDataset`). */
export interface WindowDataset {
  readonly length: number;
  readonly maxLength: number;
  get(index: number): Sample;
}

/** A batch as plain host data, row-major `[batchSize, length]` (`batchTensors` in @scratchgpt/trainer makes tensors of it). */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  /** Rows in this batch: the loader's batch size, or fewer in a last batch kept by `dropLast: false`. */
  batchSize: number;
  /** Tokens per row. */
  length: number;
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Visit the windows in a new seeded order each epoch. Default true. */
  shuffle?: boolean;
  /** With `shuffle`, the order of epoch `e` depends only on (seed, e). Default 0. */
  seed?: number;
  /** Leave out a last batch smaller than `batchSize`. Default true. */
  dropLast?: boolean;
}

export interface DataLoader extends Iterable<Batch> {
  readonly dataset: WindowDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Batches per epoch. */
  readonly length: number;
  /** Tokens per row: the dataset's window length. */
  readonly maxLength: number;
  /** The windows of an epoch, in the order the batches take them. */
  order(epoch?: number): Int32Array;
  /**
   * The batches of an epoch from `startBatch` on. The order is a pure function of (seed, epoch), so
   * a run resumed at (epoch, batch) sees exactly the batches it would have seen.
   */
  batches(epoch?: number, startBatch?: number): IterableIterator<Batch>;
}

/** The book's `create_dataloader_v1` over a dataset: seeded, resumable batches of windows. */
export function createDataLoader(dataset: WindowDataset, options: DataLoaderOptions): DataLoader {
  const { batchSize, shuffle = true, seed = 0, dropLast = true } = options;
  checkInteger('createDataLoader', 'batchSize', batchSize, 1, 'pass e.g. { batchSize: 8 }');
  if (!Number.isFinite(seed))
    throw new RangeError(`createDataLoader: seed must be a finite number, got ${seed}`);
  const length = dropLast ? Math.floor(dataset.length / batchSize) : Math.ceil(dataset.length / batchSize);
  if (length === 0) {
    throw new RangeError(
      `createDataLoader: ${dataset.length} windows make no full batch of ${batchSize}; ` +
        'use a smaller batchSize, dropLast: false, or more text',
    );
  }

  const order = (epoch = 0): Int32Array => {
    checkInteger('DataLoader', 'epoch', epoch, 0, 'epochs count from 0');
    if (!shuffle) return Int32Array.from({ length: dataset.length }, (_, i) => i);
    return Int32Array.from(epochGenerator(seed, epoch).permutation(dataset.length));
  };

  function* batches(epoch = 0, startBatch = 0): IterableIterator<Batch> {
    checkInteger('DataLoader', 'startBatch', startBatch, 0, `batches count from 0 to ${length - 1}`);
    if (startBatch > length) {
      throw new RangeError(`DataLoader: startBatch ${startBatch} is past the ${length} batches of an epoch`);
    }
    const windows = order(epoch);
    for (let b = startBatch; b < length; b++) {
      yield collate(dataset, windows.subarray(b * batchSize, Math.min((b + 1) * batchSize, windows.length)));
    }
  }

  return {
    dataset,
    batchSize,
    shuffle,
    seed,
    dropLast,
    length,
    maxLength: dataset.maxLength,
    order,
    batches,
    [Symbol.iterator]: () => batches(0),
  };
}

/**
 * The generator of epoch `e`: the `e`-th fork of a generator seeded with `seed`. Forking costs four
 * draws, so reaching any epoch is cheap, and no epoch's order depends on how many batches came before.
 */
function epochGenerator(seed: number, epoch: number): RandomGenerator {
  const base = new RandomGenerator(seed);
  let generator = base.fork();
  for (let e = 0; e < epoch; e++) generator = base.fork();
  return generator;
}

function collate(dataset: WindowDataset, windows: Int32Array): Batch {
  const length = dataset.maxLength;
  const inputs = new Int32Array(windows.length * length);
  const targets = new Int32Array(windows.length * length);
  windows.forEach((window, row) => {
    const { input, target } = dataset.get(window);
    inputs.set(input, row * length);
    targets.set(target, row * length);
  });
  return { inputs, targets, batchSize: windows.length, length };
}
