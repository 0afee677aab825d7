import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { collateInstructions } from './collate.js';
import { InstructionDataset } from './instruction-dataset.js';
import { createInstructionLoader } from './instruction-loader.js';
import { alpaca } from './prompt-format.js';
import { splitInstructionData } from './split.js';
import { bookData } from './test-support/book-data.js';

const { train } = splitInstructionData(bookData());
const dataset = new InstructionDataset(train, { tokenizer: getGPT2Tokenizer(), format: alpaca });

describe('createInstructionLoader', () => {
  it('visits every kept entry once per epoch, in a seeded order that changes with the epoch', () => {
    const loader = createInstructionLoader(dataset, { batchSize: 8, seed: 123 });
    const epoch0 = loader.batchIndices(0).flat();
    expect(epoch0).toHaveLength(928); // 116 × 8: the last 7 dropped
    expect(new Set(epoch0).size).toBe(928);
    expect(loader.batchIndices(0)).toEqual(
      createInstructionLoader(dataset, { batchSize: 8, seed: 123 }).batchIndices(0),
    );
    expect(loader.batchIndices(1)).not.toEqual(loader.batchIndices(0));
    expect(createInstructionLoader(dataset, { batchSize: 8, seed: 7 }).batchIndices(0)).not.toEqual(
      loader.batchIndices(0),
    );
  });

  it('resumes mid-epoch with exactly the batches that were left', () => {
    const loader = createInstructionLoader(dataset, { batchSize: 8, seed: 1 });
    const all = [...loader.batches(2)];
    const rest = [...loader.batches(2, 100)];
    expect(rest).toHaveLength(16);
    expect(rest).toEqual(all.slice(100));
  });

  it('collates each batch with the book function, padded to its own longest entry', () => {
    const loader = createInstructionLoader(dataset, { batchSize: 8, shuffle: false });
    const first = loader.batches(0).next().value!;
    const ids = Array.from({ length: 8 }, (_, i) => dataset.get(i));
    expect(first).toEqual(collateInstructions(ids));
    expect(first.length).toBe(Math.max(...ids.map((row) => row.length)));
  });

  it('masks prompts and cuts to the allowed length when asked', () => {
    const loader = createInstructionLoader(dataset, {
      batchSize: 4,
      shuffle: false,
      maskPrompt: true,
      allowedMaxLength: 48,
    });
    const batch = loader.batches(0).next().value!;
    expect(batch.length).toBe(48);
    for (let row = 0; row < 4; row++) {
      const targets = batch.targets.subarray(row * 48, (row + 1) * 48);
      const masked = dataset.promptLength(row) - 1;
      expect([...targets.subarray(0, masked)].every((t) => t === -100)).toBe(true);
      expect(targets[masked]).toBe(dataset.get(row)[masked + 1]);
    }
  });

  it('wastes less on padding with length buckets, still seeing every entry once', () => {
    const plain = createInstructionLoader(dataset, { batchSize: 8, seed: 123 });
    const bucketed = createInstructionLoader(dataset, { batchSize: 8, seed: 123, bucketByLength: true });
    expect(bucketed.length).toBe(116);
    expect(
      bucketed
        .batchIndices(0)
        .flat()
        .sort((a, b) => a - b),
    ).toEqual(
      plain
        .batchIndices(0)
        .flat()
        .sort((a, b) => a - b),
    );
    const before = plain.padding(0);
    const after = bucketed.padding(0);
    console.info(
      `padding of an epoch (935 entries, batch 8): ${(100 * before.fraction).toFixed(1)}% of ${before.positions} positions → ` +
        `${(100 * after.fraction).toFixed(1)}% of ${after.positions} with length buckets`,
    );
    expect(after.fraction).toBeLessThan(before.fraction / 2);
    // The measure agrees with the batches themselves: rows × positions.
    const positions = [...plain.batches(0)].reduce((n, batch) => n + batch.batchSize * batch.length, 0);
    expect(before.positions).toBe(positions);
  });

  it('refuses a batch size the data cannot fill', () => {
    const small = new InstructionDataset(train.slice(0, 3), {
      tokenizer: getGPT2Tokenizer(),
      format: alpaca,
    });
    expect(() => createInstructionLoader(small, { batchSize: 4 })).toThrow(
      /3 entries make no full batch of 4/,
    );
    expect(createInstructionLoader(small, { batchSize: 4, dropLast: false }).length).toBe(1);
  });
});
