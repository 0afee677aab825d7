/**
 * Choosing the next token from a row of logits, on the host: greedy, temperature, top-k and top-p.
 * Sampling here (not with tf.multinomial) makes a seed give the same text on every backend.
 */
import type { Generator } from '@scratchgpt/tensor';

/** Index of the largest logit (the first one on ties, like torch.argmax). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** softmax(logits / temperature), computed stably in float64. */
export function softmaxWithTemperature(logits: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0))
    throw new RangeError(`Temperature must be positive for softmax, got ${temperature}`);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const value = Math.exp(((logits[i] as number) - max) / temperature);
    out[i] = value;
    sum += value;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** The k largest logits and where they are, largest first. */
export function topK(logits: ArrayLike<number>, k: number): { values: number[]; indices: number[] } {
  const indices = Array.from({ length: logits.length }, (_, i) => i)
    .sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b)
    .slice(0, k);
  return { values: indices.map((i) => logits[i] as number), indices };
}

/** Keeps the top-k logits (and any tied with the k-th) and sets the rest to −∞, as the book does. */
export function topKFilter(logits: ArrayLike<number>, k: number): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k needs an integer k ≥ 1, got ${k}`);
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (k >= out.length) return out;
  const threshold = topK(logits, k).values.at(-1) as number;
  for (let i = 0; i < out.length; i++) if ((out[i] as number) < threshold) out[i] = Number.NEGATIVE_INFINITY;
  return out;
}

/**
 * Nucleus filtering: keeps the most likely tokens whose probabilities first sum to at least p (always the
 * single most likely one) and sets the rest to −∞.
 */
export function topPFilter(logits: ArrayLike<number>, p: number, temperature = 1): Float64Array {
  if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${p}`);
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (p === 1) return out;
  const probabilities = softmaxWithTemperature(logits, temperature);
  const order = Array.from({ length: out.length }, (_, i) => i).sort(
    (a, b) => (probabilities[b] as number) - (probabilities[a] as number) || a - b,
  );
  let cumulative = 0;
  let kept = 0;
  while (kept < order.length && (kept === 0 || cumulative < p))
    cumulative += probabilities[order[kept++] as number] as number;
  for (const index of order.slice(kept)) out[index] = Number.NEGATIVE_INFINITY;
  return out;
}

export interface SamplingOptions {
  /** 0 (default) picks the most likely token; larger values flatten the distribution. */
  temperature?: number;
  topK?: number;
  topP?: number;
  generator?: Generator;
}

/** Draws an index from probabilities that sum to 1. */
export function sampleIndex(probabilities: ArrayLike<number>, generator: Generator): number {
  const target = generator.random53();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    if (p <= 0) continue;
    cumulative += p;
    last = i;
    if (target < cumulative) return i;
  }
  return last; // rounding left the total a hair under 1
}

/** The next token for one row of logits: top-k, then temperature (greedy at 0), then top-p. */
export function chooseToken(
  logits: ArrayLike<number>,
  options: SamplingOptions,
  fallback: () => Generator,
): number {
  const temperature = options.temperature ?? 0;
  if (temperature < 0 || Number.isNaN(temperature))
    throw new RangeError(`Temperature must be ≥ 0, got ${temperature}`);
  let filtered: ArrayLike<number> = logits;
  if (options.topK != null) filtered = topKFilter(filtered, options.topK);
  if (temperature === 0) return argmax(filtered);
  if (options.topP != null) filtered = topPFilter(filtered, options.topP, temperature);
  return sampleIndex(softmaxWithTemperature(filtered, temperature), options.generator ?? fallback());
}
