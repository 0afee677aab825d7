/**
 * Conformance cases for 16-bit weights: widening, products (few rows read the packed weight directly,
 * many widen it first; x · W and x · Wᵀ; an odd row length, so a row ends in a padded word) and row
 * gathers, in f16 and bf16, with the gradient for x. The weights are rounded on the host, so every
 * backend starts from the same 16-bit values and cpu's results are float32 products of those values;
 * two products take weights holding ±∞ and NaN, put into the words by hand.
 */
import { gatherHalf } from '../half/gather-half.js';
import { HalfTensor } from '../half/half-tensor.js';
import { matMulHalf } from '../half/mat-mul-half.js';
import type { HalfPrecision } from '../half/precision.js';
import { packHalf, wordShape } from '../half/rounding.js';
import { widenHalf } from '../half/widen-half.js';
import type { Generator } from '../random.js';
import type { tf } from '../tf.js';
import { type CaseInput, type ConformanceCase, ints, normal } from './case.js';

/** Weights of `shape` (normal, std 0.5, with subnormals, ±0 and f16's largest value among them). */
const packed = (generator: Generator, shape: number[], precision: HalfPrecision): CaseInput => {
  const values = normal(generator, shape, 0.5).values as Float32Array;
  values.set([0, -0, 6e-8, -3e-6, 65504, -1.5e-5].slice(0, values.length));
  return {
    shape: wordShape(shape),
    dtype: 'int32',
    values: packHalf(values, shape, precision),
    differentiable: false,
  };
};

/** ±∞ and NaN in each format, which the packers refuse but a HalfTensor built from words may hold. */
const nonFiniteBits: Record<HalfPrecision, [number, number, number]> = {
  f16: [0x7c00, 0xfc00, 0x7e00],
  bf16: [0x7f80, 0xff80, 0x7fc0],
};

/**
 * {@link packed} weights (rows, columns) with non-finite halves in their first four rows: +∞, −∞,
 * NaN, and +∞ beside −∞ (a NaN sum), in low and high halves; the later rows stay finite.
 */
const packedNonFinite = (generator: Generator, shape: number[], precision: HalfPrecision): CaseInput => {
  const input = packed(generator, shape, precision);
  const words = input.values as Int32Array;
  const perRow = wordShape(shape).at(-1) as number;
  const [infinity, minusInfinity, nan] = nonFiniteBits[precision];
  const put = (row: number, column: number, bits: number) => {
    const at = row * perRow + (column >> 1);
    const shift = column & 1 ? 16 : 0;
    words[at] = ((words[at] as number) & ~(0xffff << shift)) | (bits << shift);
  };
  put(0, 0, infinity);
  put(1, 5, minusInfinity);
  put(2, 2, nan);
  put(3, 7, infinity);
  put(3, 10, minusInfinity);
  return input;
};

const half = (words: tf.Tensor, shape: number[], precision: HalfPrecision) =>
  new HalfTensor(words, shape, precision);

function halfCases(precision: HalfPrecision): ConformanceCase[] {
  const product = (rows: number, k: number, m: number, transposeB: boolean): ConformanceCase => {
    const shape = transposeB ? [m, k] : [k, m];
    return {
      name: `matMulHalf ${precision} ${rows}×${k} · ${transposeB ? `(${m}×${k})ᵀ` : `${k}×${m}`}`,
      inputs: (g) => [normal(g, [rows, k]), packed(g, shape, precision)],
      op: (x, words) => matMulHalf(x!, half(words!, shape, precision), { transposeB }),
    };
  };
  return [
    {
      name: `widenHalf ${precision}`,
      inputs: (g) => [packed(g, [6, 37], precision)],
      op: (words) => widenHalf(half(words!, [6, 37], precision)),
      gradients: false,
    },
    product(1, 75, 40, true),
    product(3, 64, 33, false),
    product(1, 31, 50, false),
    product(20, 47, 30, true),
    product(17, 40, 21, false),
    ...[1, 20].map(
      (rows): ConformanceCase => ({
        name: `matMulHalf ${precision} ${rows}×45 · (12×45)ᵀ, ±∞ and NaN among the weights`,
        inputs: (g) => [normal(g, [rows, 45]), packedNonFinite(g, [12, 45], precision)],
        op: (x, words) => matMulHalf(x!, half(words!, [12, 45], precision), { transposeB: true }),
      }),
    ),
    {
      name: `gatherHalf ${precision}`,
      inputs: (g) => [packed(g, [30, 13], precision), ints(g, [2, 5], 30)],
      op: (words, ids) => gatherHalf(half(words!, [30, 13], precision), ids!),
      gradients: false,
    },
  ];
}

export const halfPrecisionCases: ConformanceCase[] = [...halfCases('f16'), ...halfCases('bf16')];
