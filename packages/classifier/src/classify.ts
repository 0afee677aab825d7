/**
 * Classifying new texts (the book's `classify_review`): each text's first `maxLength` tokens, padded to
 * `maxLength` as in training, the class with the largest logit, and every class's probability.
 */
import { tf } from '@scratchgpt/tensor';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import type { ClassifierSettings } from './checkpoint/settings.js';
import { encodeText } from './data/dataset.js';
import type { GPTClassifier } from './model/gpt-classifier.js';

export interface Classification {
  text: string;
  /** The most likely class. */
  label: string;
  index: number;
  /** Softmax of the class logits, by class index. */
  probabilities: number[];
  /** The text was longer than `maxLength` tokens and was cut to its first `maxLength`. */
  truncated: boolean;
}

export type ClassifySettings = Pick<ClassifierSettings, 'classes' | 'maxLength' | 'padTokenId'>;

/** Classifies texts in batches of `batchSize` (default 16). */
export async function classifyTexts(
  model: GPTClassifier,
  tokenizer: Tokenizer,
  texts: readonly string[],
  settings: ClassifySettings,
  options: { batchSize?: number } = {},
): Promise<Classification[]> {
  const { classes, padTokenId } = settings;
  const maxLength = Math.min(settings.maxLength, model.backbone.contextLength);
  const batchSize = options.batchSize ?? 16;
  const out: Classification[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < texts.length; start += batchSize) {
      const chunk = texts.slice(start, start + batchSize);
      const encoded = chunk.map((text) => encodeStart(tokenizer, text, maxLength));
      const ids = new Int32Array(chunk.length * maxLength).fill(padTokenId);
      encoded.forEach((tokens, row) => {
        ids.set(tokens.slice(0, maxLength), row * maxLength);
      });
      // An empty text still has one position to read: its first pad.
      const lengths = encoded.map((tokens) => Math.max(1, Math.min(tokens.length, maxLength)));
      const probabilities = tf.tidy(() =>
        tf.softmax(model.forward(tf.tensor2d(ids, [chunk.length, maxLength], 'int32'), lengths)),
      );
      const values = await probabilities.data();
      probabilities.dispose();
      chunk.forEach((text, row) => {
        const p = Array.from(values.subarray(row * classes.length, (row + 1) * classes.length));
        const index = p.indexOf(Math.max(...p));
        out.push({
          text,
          label: classes[index] as string,
          index,
          probabilities: p,
          truncated: (encoded[row] as number[]).length > maxLength,
        });
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/**
 * At least the first `maxLength` + 1 tokens of `text` (enough to use `maxLength` and to tell that it was
 * cut), from a prefix of the text: a text of megabytes is not tokenized whole for a few hundred tokens.
 * The prefix doubles until it holds a margin of tokens past the ones used, so the cut, which can change
 * the tokens of the word it falls in, stays clear of them.
 */
export function encodeStart(tokenizer: Tokenizer, text: string, maxLength: number): number[] {
  const needed = maxLength + CUT_MARGIN_TOKENS;
  for (let chars = needed * 4; ; chars *= 2) {
    if (chars >= text.length) return encodeText(tokenizer, text);
    const tokens = encodeText(tokenizer, text.slice(0, chars));
    if (tokens.length >= needed) return tokens.slice(0, maxLength + 1);
  }
}

/** Tokens past the used ones before a cut: more than the longest word of ordinary text takes. */
const CUT_MARGIN_TOKENS = 64;

export async function classify(
  model: GPTClassifier,
  tokenizer: Tokenizer,
  text: string,
  settings: ClassifySettings,
): Promise<Classification> {
  return (await classifyTexts(model, tokenizer, [text], settings))[0] as Classification;
}
