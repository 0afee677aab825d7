/**
 * The frozen base of a LoRA fine-tune, stored in the run's 16-bit precision: the base only ever
 * multiplies, so it can live in half the memory while the updates (and a class head) train in float32.
 * Every backend reads both formats (the kernels widen the bits with integer arithmetic: no
 * `shader-f16` needed), so the one case that keeps float32 is a weight f16 cannot hold (beyond ±65504):
 * bfloat16 has float32's range and always fits.
 */
import {
  type AutocastPrecision,
  HalfRangeError,
  type Module,
  type StoragePrecision,
  storeWeights,
  tf,
} from '@scratchgpt/tensor';

/** binary16's largest finite value. */
const F16_MAX = 65504;

export interface BaseStorage {
  /** The precision the base weights are in. */
  precision: StoragePrecision;
  /** Why the precision asked for was not used, when it was not. */
  fallback?: string;
}

/**
 * A frozen base built (or loaded) by `build` straight in `precision`, so its float32 form is never held
 * whole. For f16, a weight it cannot hold stops the build (`HalfRangeError`, nothing kept); the base is
 * then built again in float32, and the storage says why.
 */
export async function buildFrozenBase<T>(
  precision: AutocastPrecision,
  build: (precision: StoragePrecision) => T | Promise<T>,
): Promise<{ base: T; storage: BaseStorage }> {
  if (precision !== 'f16') return { base: await build(precision), storage: { precision } };
  try {
    return { base: await build('f16'), storage: { precision } };
  } catch (error) {
    if (!(error instanceof HalfRangeError)) throw error;
    return {
      base: await build('f32'),
      storage: { precision: 'f32', fallback: `kept in f32: ${error.message}` },
    };
  }
}

/**
 * Stores the weights of `parts` in `precision` (f32: nothing to do). For f16 the largest magnitude is
 * checked first, so a base that f16 cannot hold stays exactly as it was, in float32.
 */
export async function storeFrozenBase(
  parts: readonly Module[],
  precision: AutocastPrecision,
): Promise<BaseStorage> {
  if (precision === 'f32') return { precision };
  if (precision === 'f16') {
    const largest = await largestMagnitude(parts);
    if (largest > F16_MAX) {
      return {
        precision: 'f32',
        fallback: `kept in f32: a weight of magnitude ${largest.toPrecision(6)} is beyond f16's largest value, ${F16_MAX} (bf16 holds it)`,
      };
    }
  }
  for (const part of parts) await storeWeights(part, precision);
  return { precision };
}

async function largestMagnitude(parts: readonly Module[]): Promise<number> {
  const parameters = parts.flatMap((part) => part.namedParameters().map(([, p]) => p));
  if (parameters.length === 0) return 0;
  const maxima = tf.tidy(() => tf.stack(parameters.map((p) => tf.max(tf.abs(p)))));
  try {
    return Math.max(0, ...((await maxima.data()) as Float32Array));
  } finally {
    maxima.dispose();
  }
}

/** "base weights in bf16", or why they stayed f32. */
export function describeBase(storage: BaseStorage): string {
  return storage.fallback ? `base weights ${storage.fallback}` : `base weights in ${storage.precision}`;
}
