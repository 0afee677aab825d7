/**
 * Chapter 6's figures that need no weights, on the bundled SMS Spam Collection: the rows pandas reads,
 * the book's exact balanced sample and split (NumPy's seeded generator, ported), the padded length,
 * the batch shapes and counts. Row numbers come from the PyTorch/NumPy reference
 * (../fixtures/sms-split/sms-split.json).
 */
import { createHash } from 'node:crypto';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { balanceClasses } from './data/balance.js';
import { indexClasses } from './data/classes.js';
import { readLabelledTexts } from './data/labelled-text.js';
import { prepareClassificationData } from './data/prepare.js';
import { randomSplit } from './data/split.js';
import { smsContent, smsFixture } from './test-support/sms.js';

const content = smsContent();
const tokenizer = getGPT2Tokenizer();
const read = () => readLabelledTexts(content, { format: 'tsv', source: 'sms-spam-collection.tsv' });

describe('the SMS Spam Collection as the book reads it', () => {
  it('is the file the reference read', () => {
    expect(createHash('sha256').update(content).digest('hex')).toBe(smsFixture.sha256);
  });

  it("reads pandas' 5,572 rows, 4,825 ham and 747 spam (a naive line split gives 5,574 and 4,827)", () => {
    const examples = read();
    expect(examples).toHaveLength(5572);
    expect(examples.filter((e) => e.label === 'ham')).toHaveLength(4825);
    expect(examples.filter((e) => e.label === 'spam')).toHaveLength(747);
    const lines = content.trimEnd().split('\n');
    expect(lines).toHaveLength(5574);
    expect(lines.filter((line) => line.startsWith('ham\t'))).toHaveLength(4827);
    // The quoted field that swallows two lines, and a quote closed mid-field, read as pandas reads them.
    for (const [row, text] of Object.entries(smsFixture.texts))
      expect(examples[Number(row)]?.text).toBe(text);
  });

  it("reproduces the book's balanced sample: 747 ham rows (seeded), then every spam row: 1,494", () => {
    const { labels, classes } = indexClasses(read());
    expect(classes).toEqual(['ham', 'spam']);
    const balanced = balanceClasses(labels, 2, 123);
    expect(balanced).toHaveLength(1494);
    expect(balanced.slice(0, 5)).toEqual([4307, 4138, 4831, 4461, 5440]);
    expect(balanced.slice(-5)).toEqual([5537, 5540, 5547, 5566, 5567]);
    expect(balanced).toEqual(smsFixture.balanced);
  });

  it("reproduces the book's split: 1,045 / 149 / 300, row for row", () => {
    const split = randomSplit(smsFixture.balanced, { train: 0.7, validation: 0.1 }, 123);
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([1045, 149, 300]);
    expect(split.train.slice(0, 5)).toEqual([2087, 4694, 881, 1172, 2170]);
    expect(split).toEqual({
      train: smsFixture.train,
      validation: smsFixture.validation,
      test: smsFixture.test,
    });
  });

  it('tokenizes as the book: `Do you have time` is [5211, 345, 423, 640]', () => {
    expect(tokenizer.encode('Do you have time')).toEqual([5211, 345, 423, 640]);
  });

  it('pads to the longest training text, 120 tokens (validation 71, test 92), with 50256', () => {
    const data = prepareClassificationData(content, { format: 'tsv', tokenizer, contextLength: 1024 });
    expect(data.classes).toEqual(['ham', 'spam']);
    expect([data.rowsRead, data.kept]).toEqual([5572, 1494]);
    expect(data.counts).toEqual([4825, 747]);
    expect(data.maxLength).toBe(120);
    expect(data.longest).toEqual({ train: 120, validation: 71, test: 92 });
    expect(data.train.rows).toEqual(smsFixture.train);
    expect(data.validation.rows).toEqual(smsFixture.validation);
    expect(data.test.rows).toEqual(smsFixture.test);
    const first = data.validation.loader.dataset.get(0);
    expect(first.ids).toHaveLength(120);
    expect([...first.ids.subarray(first.length)].every((id) => id === 50256)).toBe(true);
    expect(first.ids[first.length - 1]).not.toBe(50256);
  });

  it("keeps the book's split under splitSeed 123 while seed 7 reorders the training batches", () => {
    const book = prepareClassificationData(content, { format: 'tsv', tokenizer });
    const reordered = prepareClassificationData(content, {
      format: 'tsv',
      tokenizer,
      seed: 7,
      splitSeed: 123,
    });
    expect(reordered.train.rows).toEqual(smsFixture.train);
    expect(reordered.validation.rows).toEqual(smsFixture.validation);
    expect(reordered.test.rows).toEqual(smsFixture.test);
    expect([...reordered.train.loader.order(0)]).not.toEqual([...book.train.loader.order(0)]);
    // Without splitSeed, the seed moves the split too.
    const moved = prepareClassificationData(content, { format: 'tsv', tokenizer, seed: 7 });
    expect(moved.test.rows).not.toEqual(smsFixture.test);
    expect([...moved.train.loader.order(0)]).toEqual([...reordered.train.loader.order(0)]);
  });

  it('batches as the book: inputs [8, 120], labels [8]; 130 / 19 / 38 batches (train drops its last)', () => {
    const data = prepareClassificationData(content, { format: 'tsv', tokenizer, batchSize: 8 });
    const [batch] = data.train.loader.batches(0);
    expect([batch!.batchSize, batch!.length]).toEqual([8, 120]);
    expect(batch!.inputs).toHaveLength(8 * 120);
    expect(batch!.labels).toHaveLength(8);
    expect([data.train.loader.length, data.validation.loader.length, data.test.loader.length]).toEqual([
      130, 19, 38,
    ]);
    // 5 epochs of 130 steps: the book's 650 steps and 5,200 examples
    expect(5 * data.train.loader.length).toBe(650);
    expect(5 * data.train.loader.examples).toBe(5200);
    const lastTest = [...data.test.loader.batches(0)].at(-1)!;
    expect(lastTest.batchSize).toBe(300 - 37 * 8);
  });
});
