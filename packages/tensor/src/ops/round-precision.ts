/**
 * Rounds float32 values to the nearest half (IEEE binary16) or bfloat16, ties to even, and keeps them
 * in float32: what a value loses by being stored in 16 bits. Half-precision overflow gives ±∞ and its
 * subnormals are kept; bfloat16 has float32's exponent range.
 *
 * TF.js has no 16-bit dtype and no bitcast, so the rounding is composed from ops every backend has:
 * with e = ⌊log₂|x|⌋ (at least the format's smallest normal exponent) the spacing of representable
 * values near x is 2^(e − mantissa bits), and x / spacing rounded half-to-even (`tf.round`), times the
 * spacing, is the answer. Scaling by powers of two is exact; the powers come from a table (`tf.gather`)
 * rather than `tf.pow`, whose GPU versions are approximations. A backend may register the kernel
 * `ScratchGPTRoundToPrecision` instead (wasm does: one pass on the bit patterns).
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

export type RoundingFormat = 'f16' | 'bf16';

interface Format {
  mantissaBits: number;
  /** Exponent of the smallest normal number. */
  minExponent: number;
  maxExponent: number;
  maxFinite: number;
}

const formats: Record<RoundingFormat, Format> = {
  f16: { mantissaBits: 10, minExponent: -14, maxExponent: 15, maxFinite: 65504 },
  bf16: { mantissaBits: 7, minExponent: -126, maxExponent: 127, maxFinite: (2 - 2 ** -7) * 2 ** 127 },
};

// 2^k for k in [-127, 129]: every exponent the formats compare with and every half of a scale (2^128
// and 2^129 are +∞ in float32, which the comparisons at the top of bfloat16's range expect).
const POWER_OFFSET = 127;
const POWER_COUNT = 257;
let powersTable: tf.Tensor1D | undefined;
let powersBackend: string | undefined;

function powers(): tf.Tensor1D {
  // A table per backend: a tensor made on one backend is moved, not shared, when another starts.
  if (powersTable == null || powersTable.isDisposed || powersBackend !== tf.getBackend()) {
    powersTable = tf.keep(
      tf.tensor1d(Float32Array.from({ length: POWER_COUNT }, (_, i) => 2 ** (i - POWER_OFFSET))),
    );
    powersBackend = tf.getBackend();
  }
  return powersTable;
}

/** 2^k, exactly, for a tensor of whole numbers k in [-127, 129] (float32: small integers are exact). */
function powerOfTwo(k: tf.Tensor): tf.Tensor {
  return tf.gather(powers(), tf.cast(tf.add(k, POWER_OFFSET), 'int32'));
}

/** The rounding itself, without a gradient: the backend's kernel where it has one. */
function roundValues(x: tf.Tensor, format: RoundingFormat): tf.Tensor {
  if (hasFusedKernel(fusedKernelNames.roundToPrecision)) {
    return runFused(fusedKernelNames.roundToPrecision, { x }, { format: format === 'f16' ? 0 : 1 })[0]!;
  }
  return roundComposed(x, format);
}

/** The rounding composed from TF.js ops, for backends without the kernel (exported for its tests). */
export function roundComposed(x: tf.Tensor, name: RoundingFormat): tf.Tensor {
  const format = formats[name];
  return tf.tidy(() => {
    // NaN (x ≠ x) takes the path of 0, so its exponent stays a valid index; x / spacing is NaN anyway.
    const magnitude = tf.where(tf.equal(x, x), tf.abs(x), 0);
    // log₂ may land one off next to a power of two; one comparison each way puts it right.
    const guess = tf.clipByValue(
      tf.floor(tf.mul(tf.log(magnitude), Math.LOG2E)),
      format.minExponent - 1,
      format.maxExponent + 1,
    );
    const low = tf.cast(tf.greater(powerOfTwo(guess), magnitude), 'float32');
    const high = tf.cast(tf.lessEqual(powerOfTwo(tf.add(guess, 1)), magnitude), 'float32');
    const exponent = tf.clipByValue(tf.add(tf.sub(guess, low), high), format.minExponent, format.maxExponent);
    // x · 2^shift with shift = mantissa bits − exponent: up to 133 for bfloat16, past float32's range,
    // so the scale is applied in two halves, each a float32 power of two.
    const shift = tf.sub(format.mantissaBits, exponent);
    const firstHalf = tf.floor(tf.mul(shift, 0.5));
    const secondHalf = tf.sub(shift, firstHalf);
    const scaled = tf.mul(tf.mul(x, powerOfTwo(firstHalf)), powerOfTwo(secondHalf));
    const rounded = tf.mul(
      tf.mul(tf.round(scaled), powerOfTwo(tf.neg(firstHalf))),
      powerOfTwo(tf.neg(secondHalf)),
    );
    const overflowed = tf.where(
      tf.greater(tf.abs(rounded), format.maxFinite),
      tf.mul(tf.sign(x), Number.POSITIVE_INFINITY),
      rounded,
    );
    // A value that rounds to zero keeps its sign (x · 0 is −0 for negative x on every backend).
    return tf.where(tf.equal(overflowed, 0), tf.mul(x, 0), overflowed);
  });
}

const rounders = new Map<RoundingFormat, (x: tf.Tensor) => tf.Tensor>();

/**
 * x rounded to `format`, still float32. The gradient passes straight through, rounded to the same
 * format: a gradient crossing a 16-bit boundary loses what a 16-bit gradient loses (underflow to zero,
 * overflow to ∞), which is what loss scaling makes up for.
 */
export function roundToPrecision<T extends tf.Tensor>(x: T, format: RoundingFormat): T {
  if (x.dtype !== 'float32') {
    throw new TypeError(`roundToPrecision rounds float32 tensors, got ${x.dtype}`);
  }
  let rounder = rounders.get(format);
  if (rounder == null) {
    const chosen = format;
    rounder = tf.customGrad((...args) => {
      const input = args[0] as tf.Tensor;
      return {
        value: roundValues(input, chosen),
        gradFunc: (dy) => roundValues(dy as tf.Tensor, chosen),
      };
    }) as unknown as (x: tf.Tensor) => tf.Tensor;
    rounders.set(format, rounder);
  }
  return rounder(x) as T;
}
