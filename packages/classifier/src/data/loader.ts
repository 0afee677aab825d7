/**
 * Batches of padded texts and their labels, `[B, T]` ids and `[B]` labels (plus each row's length
 * before padding), numbered within an epoch like a `DataLoader`'s: the order is a function of (seed,
 * epoch) alone, so a run resumes at any batch. The book: training batches shuffled with the last
 * partial one dropped; validation and test in order, kept whole.
 */
import { createDataLoader } from '@scratchgpt/data-loader';
import type { BatchSource, SizedBatch } from '@scratchgpt/trainer';
import type { ClassificationDataset } from './dataset.js';

export interface ClassificationBatch extends SizedBatch {
  /** Token ids, row-major `[batchSize, length]`. */
  inputs: Int32Array;
  /** Class indexes `[batchSize]`. */
  labels: Int32Array;
  /** Ids before the padding in each row `[batchSize]`. */
  lengths: Int32Array;
}

export interface ClassificationLoaderOptions {
  batchSize: number;
  /** Default false. */
  shuffle?: boolean;
  seed?: number;
  /** Leave out a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

export interface ClassificationLoader extends BatchSource<ClassificationBatch> {
  readonly dataset: ClassificationDataset;
  readonly maxLength: number;
  /** Examples per epoch (those of dropped partial batches excluded). */
  readonly examples: number;
  /** Example indexes of an epoch in the order the batches take them. */
  order(epoch?: number): Int32Array;
}

export function createClassificationLoader(
  dataset: ClassificationDataset,
  options: ClassificationLoaderOptions,
): ClassificationLoader {
  const { batchSize, shuffle = false, seed = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  }
  const length = dropLast ? Math.floor(dataset.length / batchSize) : Math.ceil(dataset.length / batchSize);
  // The data loader's seeded, per-epoch order, over the examples; an empty split has none.
  const ordering =
    length === 0
      ? undefined
      : createDataLoader(
          {
            length: dataset.length,
            maxLength: dataset.maxLength,
            get: (index) => ({ input: dataset.get(index).ids, target: new Int32Array(0) }),
          },
          { batchSize, shuffle, seed, dropLast },
        );
  const order = (epoch = 0) => ordering?.order(epoch) ?? new Int32Array(0);

  function* batches(epoch = 0, startBatch = 0): IterableIterator<ClassificationBatch> {
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > length) {
      throw new RangeError(`startBatch must be an integer from 0 to ${length}, got ${startBatch}`);
    }
    const examples = order(epoch);
    for (let b = startBatch; b < length; b++) {
      yield collate(
        dataset,
        examples.subarray(b * batchSize, Math.min((b + 1) * batchSize, examples.length)),
      );
    }
  }

  return {
    dataset,
    batchSize,
    length,
    maxLength: dataset.maxLength,
    examples: dropLast ? length * batchSize : dataset.length,
    order,
    batches,
  };
}

function collate(dataset: ClassificationDataset, examples: Int32Array): ClassificationBatch {
  const length = dataset.maxLength;
  const inputs = new Int32Array(examples.length * length);
  const labels = new Int32Array(examples.length);
  const lengths = new Int32Array(examples.length);
  examples.forEach((index, row) => {
    const example = dataset.get(index);
    inputs.set(example.ids, row * length);
    labels[row] = example.label;
    lengths[row] = example.length;
  });
  return { inputs, labels, lengths, batchSize: examples.length, length };
}
