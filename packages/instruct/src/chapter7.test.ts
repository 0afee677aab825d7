/** Chapter 7's figures that need no weights: the data, the prompts, the split, the collate example, batches. */
import { initBackend, tf } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { crossEntropy } from '@scratchgpt/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { collateInstructions } from './collate.js';
import { InstructionDataset } from './instruction-dataset.js';
import { createInstructionLoader } from './instruction-loader.js';
import { alpaca, phi3, trainingText } from './prompt-format.js';
import { splitInstructionData } from './split.js';
import { bookData } from './test-support/book-data.js';

const data = bookData();
const tokenizer = getGPT2Tokenizer();

describe('the instruction data', () => {
  it('holds 1,100 entries, 325 of them with an input', () => {
    expect(data).toHaveLength(1100);
    expect(data.filter((entry) => entry.input !== '')).toHaveLength(325);
  });

  it("formats entry 50 (with an input) in the book's Alpaca style", () => {
    expect(trainingText(alpaca, data[50]!)).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nIdentify the correct spelling of the following word.\n\n' +
        '### Input:\nOcassion\n\n' +
        "### Response:\nThe correct spelling is 'Occasion.'",
    );
  });

  it('formats entry 999 (no input) without an input section', () => {
    expect(trainingText(alpaca, data[999]!)).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        "### Instruction:\nWhat is an antonym of 'complicated'?\n\n" +
        "### Response:\nAn antonym of 'complicated' is 'simple'.",
    );
  });

  it('formats entry 50 in the Phi-3 style of exercise 7.1', () => {
    expect(trainingText(phi3, data[50]!)).toBe(
      "<|user|>\nIdentify the correct spelling of the following word.\nOcassion\n<|assistant|>:\nThe correct spelling is 'Occasion.'",
    );
  });

  it('reads <|user|> as 5 GPT-2 tokens: plain text, not a special token', () => {
    expect(tokenizer.encode('<|user|>')).toEqual([27, 91, 7220, 91, 29]);
  });

  it('splits 935 / 110 / 55 in file order', () => {
    const { train, test, validation } = splitInstructionData(data);
    expect([train.length, test.length, validation.length]).toEqual([935, 110, 55]);
    expect(train[0]).toBe(data[0]);
    expect(test[0]).toBe(data[935]);
    expect(validation[0]).toBe(data[1045]);
    expect(validation.at(-1)).toBe(data[1099]);
  });
});

describe('the collate function', () => {
  it("pads with the end-of-text id and ignores all but the first padding target (the book's example)", () => {
    const batch = collateInstructions([
      [0, 1, 2, 3, 4],
      [5, 6],
      [7, 8, 9],
    ]);
    expect([batch.batchSize, batch.length]).toEqual([3, 5]);
    expect(rows(batch.inputs, 5)).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 50256, 50256, 50256],
      [7, 8, 9, 50256, 50256],
    ]);
    expect(rows(batch.targets, 5)).toEqual([
      [1, 2, 3, 4, 50256],
      [6, 50256, -100, -100, -100],
      [8, 9, 50256, -100, -100],
    ]);
  });

  it('appends a chat template end-of-turn id and pads after it with another id, every padding target ignored', () => {
    const END = 7;
    const PAD = 9;
    const batch = collateInstructions(
      [
        [0, 1, 2, 3],
        [4, 5],
        [6, 9],
      ],
      { endTokenId: END, padTokenId: PAD, promptLengths: [2, 1, 1] },
    );
    expect(rows(batch.inputs, 4)).toEqual([
      [0, 1, 2, 3],
      [4, 5, END, PAD],
      [6, 9, END, PAD],
    ]);
    // A pad id inside a row is an ordinary target; only the padding after the end id counts for nothing.
    expect(rows(batch.targets, 4)).toEqual([
      [-100, 2, 3, END],
      [5, END, -100, -100],
      [9, END, -100, -100],
    ]);
  });

  it('with an end id that also pads, tells padding by position: the same id inside a row still counts', () => {
    const END = 7;
    const batch = collateInstructions(
      [
        [0, END, 2, 3],
        [4, END],
      ],
      { endTokenId: END, padTokenId: END },
    );
    expect(rows(batch.inputs, 4)).toEqual([
      [0, END, 2, 3],
      [4, END, END, END],
    ]);
    expect(rows(batch.targets, 4)).toEqual([
      [END, 2, 3, END],
      [END, END, -100, -100],
    ]);
  });

  it('cuts to allowedMaxLength after masking', () => {
    const batch = collateInstructions(
      [
        [0, 1, 2, 3, 4],
        [5, 6],
        [7, 8, 9],
      ],
      { allowedMaxLength: 3 },
    );
    expect(rows(batch.inputs, 3)).toEqual([
      [0, 1, 2],
      [5, 6, 50256],
      [7, 8, 9],
    ]);
    expect(rows(batch.targets, 3)).toEqual([
      [1, 2, 3],
      [6, 50256, -100],
      [8, 9, 50256],
    ]);
  });

  it('ignores the prompt targets when given prompt lengths (exercise 7.2), the last prompt token still predicting', () => {
    const batch = collateInstructions(
      [
        [0, 1, 2, 3, 4],
        [5, 6],
        [7, 8, 9],
      ],
      { promptLengths: [3, 1, 2] },
    );
    expect(rows(batch.targets, 5)).toEqual([
      [-100, -100, 3, 4, 50256],
      [6, 50256, -100, -100, -100],
      [-100, 9, 50256, -100, -100],
    ]);
  });

  it('refuses an empty batch and mismatched prompt lengths', () => {
    expect(() => collateInstructions([])).toThrow(/the batch is empty/);
    expect(() => collateInstructions([[1]], { promptLengths: [1, 2] })).toThrow(
      /2 prompt lengths for 1 rows/,
    );
  });
});

describe('the ignore index in the loss', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
  });

  it('gives 1.1269 for two rows, 0.7936 with a third, and 1.1269 again when its target is -100', async () => {
    const loss = async (logits: number[][], targets: number[]) => {
      const value = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(targets, 'int32')));
      const result = (await value.data())[0] as number;
      value.dispose();
      return result;
    };
    const two = [
      [-1, 1],
      [-0.5, 1.5],
    ];
    expect(await loss(two, [0, 1])).toBeCloseTo(1.1269, 4);
    expect(await loss([...two, [-0.5, 1.5]], [0, 1, 1])).toBeCloseTo(0.7936, 4);
    expect(await loss([...two, [-0.5, 1.5]], [0, 1, -100])).toBeCloseTo(1.1269, 4);
  });
});

describe('the batches of the book', () => {
  const { train, test, validation } = splitInstructionData(data);
  const dataset = (entries: typeof data) => new InstructionDataset(entries, { tokenizer, format: alpaca });

  it('makes 116 training batches of 8 (shuffled, last dropped), 7 validation and 14 test batches', () => {
    const trainLoader = createInstructionLoader(dataset(train), { batchSize: 8, seed: 123 });
    const kept = { batchSize: 8, shuffle: false, dropLast: false };
    const validationLoader = createInstructionLoader(dataset(validation), kept);
    const testLoader = createInstructionLoader(dataset(test), kept);
    expect([trainLoader.length, validationLoader.length, testLoader.length]).toEqual([116, 7, 14]);
    expect([...trainLoader.batches(0)]).toHaveLength(116);
    const last = [...validationLoader.batches(0)].at(-1)!;
    expect(last.batchSize).toBe(7); // 55 = 6 × 8 + 7
    expect(trainLoader.maxLength).toBeUndefined();
  });

  it('tokenizes each entry as its formatted text, and its prompt as a prefix of it', () => {
    const set = dataset(train.slice(0, 20));
    for (let i = 0; i < set.length; i++) {
      const entry = train[i]!;
      expect(set.get(i)).toEqual(tokenizer.encode(trainingText(alpaca, entry)));
      const prompt = tokenizer.encode(alpaca.prompt(entry));
      expect(set.promptLength(i)).toBe(prompt.length);
      expect(set.get(i).slice(0, prompt.length)).toEqual(prompt);
    }
  });
});

function rows(values: Int32Array, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) => [
    ...values.subarray(r * width, (r + 1) * width),
  ]);
}
