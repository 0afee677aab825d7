import { Generator, tf } from '@scratchgpt/tensor';
import { chooseToken, type SamplingOptions } from './decoding.js';

/** What generation needs of a key–value cache: how many tokens it holds, and clearing it. */
export interface GenerationCache {
  readonly length: number;
  reset(): void;
  dispose(): void;
}

/**
 * What generation needs of a model: `GPTModel` and the open families' `DecoderModel` both have it, so
 * one loop (sampling, seeds, the cache, aborting, stop ids) serves every model.
 */
export interface GenerativeModel {
  readonly config: { readonly vocabSize: number; readonly contextLength: number };
  readonly training: boolean;
  train(mode?: boolean): unknown;
  eval(): unknown;
  createCache(): GenerationCache;
  /** ids: int32 (1, T) → logits (1, T, vocabSize); with a cache, `ids` follow the tokens it holds. */
  forward(ids: tf.Tensor, options?: { cache?: GenerationCache }): tf.Tensor;
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /**
   * Stop once this token (or any of these: open models often have several) is produced; it is still
   * returned.
   */
  eosId?: number | readonly number[];
  /** Reuse keys and values of earlier tokens (default true). The tokens are the same either way. */
  useCache?: boolean;
  /** Seeds sampling when no `generator` is given (default 0). */
  seed?: number;
  /** Stops the stream between two tokens. */
  signal?: AbortSignal;
}

/**
 * Yields new token ids one at a time. The model runs in eval mode (restored afterwards); prompts longer
 * than the context are cropped to its last `contextLength` tokens, as the book does (a rotary model
 * then reads the window from position 0, as it was trained on windows). When the signal aborts, the
 * stream ends after the token in progress.
 */
export async function* generateStream(
  model: GenerativeModel,
  promptIds: readonly number[],
  options: GenerateOptions,
): AsyncGenerator<number, void, undefined> {
  checkRequest(model, promptIds, options);
  const generator = options.generator ?? new Generator(options.seed ?? 0);
  const wasTraining = model.training;
  model.eval();
  const cache = options.useCache === false ? undefined : model.createCache();
  const ids = [...promptIds];
  const stopIds = new Set(typeof options.eosId === 'number' ? [options.eosId] : (options.eosId ?? []));
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      // A macrotask boundary, so an abort() from a timer or UI event is seen before the next token.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (options.signal?.aborted) return;
      const logits = await nextTokenLogits(model, ids, cache);
      const token = chooseToken(logits, options, () => generator);
      ids.push(token);
      yield token;
      if (stopIds.has(token)) return;
    }
  } finally {
    cache?.dispose();
    model.train(wasTraining);
  }
}

/** All new token ids (without the prompt). */
export async function generate(
  model: GenerativeModel,
  promptIds: readonly number[],
  options: GenerateOptions,
): Promise<number[]> {
  const out: number[] = [];
  for await (const token of generateStream(model, promptIds, options)) out.push(token);
  return out;
}

function checkRequest(model: GenerativeModel, promptIds: readonly number[], options: GenerateOptions): void {
  if (promptIds.length === 0) throw new RangeError('The prompt is empty: give at least one token id');
  const { vocabSize } = model.config;
  const bad = promptIds.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad !== undefined)
    throw new RangeError(`Token id ${bad} is outside the model's vocabulary [0, ${vocabSize})`);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new RangeError(`maxNewTokens must be an integer ≥ 0, got ${options.maxNewTokens}`);
  }
}

/**
 * Logits for the token after `ids`. With a cache, only tokens it has not seen are run, while the whole
 * sequence still fits the context; past that, positions shift every step, so the last `contextLength`
 * tokens are recomputed (exactly what generation without a cache does).
 */
async function nextTokenLogits(
  model: GenerativeModel,
  ids: readonly number[],
  cache: GenerationCache | undefined,
): Promise<Float32Array> {
  const contextLength = model.config.contextLength;
  const useCache = cache != null && ids.length < contextLength;
  if (!useCache) cache?.reset();
  const input = useCache ? ids.slice(cache.length) : ids.slice(-contextLength);
  const last = tf.tidy(() => {
    const tokens = tf.tensor2d([input], [1, input.length], 'int32');
    const logits = model.forward(tokens, useCache ? { cache } : {}); // (1, T, vocab)
    return tf.reshape(tf.slice(logits, [0, input.length - 1, 0], [1, 1, -1]), [-1]); // (vocab)
  });
  const data = (await last.data()) as Float32Array;
  last.dispose();
  return data;
}
