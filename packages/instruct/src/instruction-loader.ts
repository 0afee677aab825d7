/**
 * Batches of an `InstructionDataset` for the training loop: seeded and resumable like the text data
 * loader (an epoch's order depends only on the seed and the epoch), collated with the book's
 * function. Rows vary in length from batch to batch, so there is no fixed `maxLength`.
 *
 * With `bucketByLength`, entries of similar length share a batch: the epoch's shuffled order is cut
 * into chunks of `bucketBatches` batches, each chunk sorted by length and cut into batches, and the
 * batches then shuffled. Every entry is still seen once per epoch; less of each batch is padding.
 */
import { Generator } from '@scratchgpt/tensor';
import type { BatchSource, TrainBatch } from '@scratchgpt/trainer';
import { type CollateOptions, collateInstructions } from './collate.js';
import type { InstructionDataset } from './instruction-dataset.js';

export interface InstructionLoaderOptions extends Omit<CollateOptions, 'promptLengths'> {
  batchSize: number;
  /** A new seeded order each epoch (default true; the book shuffles training data only). */
  shuffle?: boolean;
  seed?: number;
  /** Leave out the last, smaller batch (default true; the book keeps it for validation and test). */
  dropLast?: boolean;
  /** Ignore the prompt's targets: only the response is learned (the chapter's exercise 7.2). */
  maskPrompt?: boolean;
  /** Put entries of similar length in the same batch (default false). */
  bucketByLength?: boolean;
  /** With `bucketByLength`: how many batches' worth of entries are sorted together (default 16). */
  bucketBatches?: number;
}

/** How much of an epoch's input positions are padding rather than an entry's own tokens. */
export interface PaddingUse {
  /** Rows × positions over the epoch's batches. */
  positions: number;
  padding: number;
  /** padding / positions. */
  fraction: number;
}

export interface InstructionLoader extends BatchSource<TrainBatch> {
  readonly dataset: InstructionDataset;
  batches(epoch?: number, startBatch?: number): IterableIterator<TrainBatch>;
  /** The entries of each batch of an epoch, by index into the dataset. */
  batchIndices(epoch?: number): number[][];
  padding(epoch?: number): PaddingUse;
}

export function createInstructionLoader(
  dataset: InstructionDataset,
  options: InstructionLoaderOptions,
): InstructionLoader {
  const { batchSize, shuffle = true, seed = 0, dropLast = true, maskPrompt = false } = options;
  const bucketBatches = options.bucketBatches ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`createInstructionLoader: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(bucketBatches) || bucketBatches < 1)
    throw new RangeError(
      `createInstructionLoader: bucketBatches must be an integer ≥ 1, got ${bucketBatches}`,
    );
  const length = dropLast ? Math.floor(dataset.length / batchSize) : Math.ceil(dataset.length / batchSize);
  if (length === 0) {
    throw new RangeError(
      `createInstructionLoader: ${dataset.length} entries make no full batch of ${batchSize}; use a smaller batchSize or dropLast: false`,
    );
  }
  const lengths = dataset.lengths();
  const collateOptions: CollateOptions = {
    ...(options.padTokenId !== undefined ? { padTokenId: options.padTokenId } : {}),
    ...(options.endTokenId !== undefined ? { endTokenId: options.endTokenId } : {}),
    ...(options.ignoreIndex !== undefined ? { ignoreIndex: options.ignoreIndex } : {}),
    ...(options.allowedMaxLength !== undefined ? { allowedMaxLength: options.allowedMaxLength } : {}),
  };

  function batchIndices(epoch = 0): number[][] {
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new RangeError(`InstructionLoader: epoch must be an integer ≥ 0, got ${epoch}`);
    const random = shuffle ? epochGenerator(seed, epoch) : undefined;
    const order = random ? random.permutation(dataset.length) : [...lengths.keys()];
    const kept = order.slice(0, Math.min(order.length, length * batchSize));
    if (!options.bucketByLength) return chunks(kept, batchSize);
    const batches = chunks(kept, batchSize * bucketBatches).flatMap((chunk) =>
      chunks(
        // Stable: entries of equal length keep the shuffled order.
        [...chunk].sort((a, b) => (lengths[a] as number) - (lengths[b] as number)),
        batchSize,
      ),
    );
    return random ? random.shuffle(batches) : batches;
  }

  function collate(indices: number[]): TrainBatch {
    return collateInstructions(
      indices.map((index) => dataset.get(index)),
      maskPrompt
        ? { ...collateOptions, promptLengths: indices.map((i) => dataset.promptLength(i)) }
        : collateOptions,
    );
  }

  function* batches(epoch = 0, startBatch = 0): IterableIterator<TrainBatch> {
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > length) {
      throw new RangeError(
        `InstructionLoader: startBatch ${startBatch} is outside the ${length} batches of an epoch`,
      );
    }
    const all = batchIndices(epoch);
    for (let b = startBatch; b < all.length; b++) yield collate(all[b] as number[]);
  }

  function padding(epoch = 0): PaddingUse {
    let positions = 0;
    let used = 0;
    for (const indices of batchIndices(epoch)) {
      // Inputs hold the longest row's tokens (its end-of-text id is only a target), cut to the limit.
      const width = Math.min(
        Math.max(...indices.map((i) => lengths[i] as number)),
        options.allowedMaxLength ?? Number.POSITIVE_INFINITY,
      );
      positions += width * indices.length;
      for (const i of indices) used += Math.min(lengths[i] as number, width);
    }
    return { positions, padding: positions - used, fraction: (positions - used) / positions };
  }

  return { dataset, length, batchSize, maxLength: undefined, batches, batchIndices, padding };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Epoch `e`'s generator: the (e+1)-th fork of one seeded generator, so any epoch is reached cheaply. */
function epochGenerator(seed: number, epoch: number): Generator {
  const base = new Generator(seed);
  let generator = base.fork();
  for (let e = 0; e < epoch; e++) generator = base.fork();
  return generator;
}
