import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { type Batch, createDataLoader } from './data-loader.js';
import { GPTDataset } from './gpt-dataset.js';
import { readCorpus } from './test/corpora.js';

const verdictIds = Int32Array.from(getGPT2Tokenizer().encode(readCorpus('the-verdict.txt')));

function rows(values: Int32Array, length: number): number[][] {
  return Array.from({ length: values.length / length }, (_, r) => [
    ...values.subarray(r * length, (r + 1) * length),
  ]);
}

function loader(batchSize: number, maxLength: number, stride: number) {
  return createDataLoader(new GPTDataset(verdictIds, { maxLength, stride }), { batchSize, shuffle: false });
}

describe('the book’s loaders on the-verdict (GPT-2 ids, no shuffle)', () => {
  it('batch 1, maxLength 4, stride 1: the first two batches', () => {
    const [first, second] = loader(1, 4, 1).batches();
    expect(rows((first as Batch).inputs, 4)).toEqual([[40, 367, 2885, 1464]]);
    expect(rows((first as Batch).targets, 4)).toEqual([[367, 2885, 1464, 1807]]);
    expect(rows((second as Batch).inputs, 4)).toEqual([[367, 2885, 1464, 1807]]);
    expect(rows((second as Batch).targets, 4)).toEqual([[2885, 1464, 1807, 3619]]);
  });

  it('batch 8, maxLength 4, stride 4', () => {
    const [batch] = loader(8, 4, 4);
    expect(rows((batch as Batch).inputs, 4)).toEqual([
      [40, 367, 2885, 1464],
      [1807, 3619, 402, 271],
      [10899, 2138, 257, 7026],
      [15632, 438, 2016, 257],
      [922, 5891, 1576, 438],
      [568, 340, 373, 645],
      [1049, 5975, 284, 502],
      [284, 3285, 326, 11],
    ]);
    expect(rows((batch as Batch).targets, 4)[7]).toEqual([3285, 326, 11, 287]);
    expect([(batch as Batch).batchSize, (batch as Batch).length]).toEqual([8, 4]);
  });

  it('batch 4, maxLength 2, stride 2', () => {
    const [batch] = loader(4, 2, 2);
    expect(rows((batch as Batch).inputs, 2)).toEqual([
      [40, 367],
      [2885, 1464],
      [1807, 3619],
      [402, 271],
    ]);
  });
});

describe('shuffling, resuming and the last batch', () => {
  const dataset = new GPTDataset(verdictIds, { maxLength: 8, stride: 8 });
  const shuffled = createDataLoader(dataset, { batchSize: 5, seed: 123 });

  it('visits every window once per epoch in a seeded order that changes with the epoch', () => {
    const epoch0 = [...shuffled.order(0)];
    expect([...epoch0].sort((a, b) => a - b)).toEqual(Array.from({ length: dataset.length }, (_, i) => i));
    expect(epoch0).not.toEqual([...shuffled.order(1)]);
    expect(epoch0).toEqual([...createDataLoader(dataset, { batchSize: 5, seed: 123 }).order(0)]);
    expect(epoch0).not.toEqual([...createDataLoader(dataset, { batchSize: 5, seed: 124 }).order(0)]);
  });

  it('resumes at any (epoch, batch) with the same batches', () => {
    const all = [...shuffled.batches(3)];
    expect(all).toHaveLength(shuffled.length);
    expect([...shuffled.batches(3, 17)]).toEqual(all.slice(17));
    expect([...shuffled]).toEqual([...shuffled.batches(0)]);
    expect([...shuffled.batches(3, shuffled.length)]).toEqual([]);
  });

  it('drops a short last batch unless dropLast is false', () => {
    const windows = dataset.length; // 643 windows of 8 tokens
    expect(shuffled.length).toBe(Math.floor(windows / 5));
    const keep = createDataLoader(dataset, { batchSize: 5, shuffle: false, dropLast: false });
    expect(keep.length).toBe(Math.ceil(windows / 5));
    const last = [...keep].at(-1) as Batch;
    expect(last.batchSize).toBe(windows % 5);
    expect(last.inputs).toHaveLength((windows % 5) * 8);
  });

  it('explains bad options', () => {
    expect(() => createDataLoader(dataset, { batchSize: 0 })).toThrow(
      'createDataLoader: batchSize must be an integer ≥ 1, got 0',
    );
    expect(() => createDataLoader(dataset, { batchSize: 1000 })).toThrow(
      'createDataLoader: 643 windows make no full batch of 1000; use a smaller batchSize, dropLast: false, or more text',
    );
    expect(() => shuffled.batches(0, shuffled.length + 1).next()).toThrow(
      'startBatch 129 is past the 128 batches',
    );
    expect(() => shuffled.batches(-1).next()).toThrow('DataLoader: epoch must be an integer ≥ 0, got -1');
  });
});
