/**
 * The products model code runs under `autocast`, in each 16-bit precision, with the tolerance that
 * precision allows: a backend that sums a product in another order may land on the other side of a
 * 16-bit rounding boundary, one unit in the last place of the format, and a gradient crosses two such
 * roundings (its operand and its result).
 */
import { Linear } from '../nn/linear.js';
import { autocast } from '../ops/autocast.js';
import { causalAttention } from '../ops/causal-attention.js';
import { matMul } from '../ops/mat-mul.js';
import type { RoundingFormat } from '../ops/round-precision.js';
import { roundToPrecision } from '../ops/round-precision.js';
import { Generator } from '../random.js';
import { tf } from '../tf.js';
import { type ConformanceCase, normal } from './case.js';
import type { Tolerance } from './run.js';

/** Two units in the last place of each format (2^-10 for halves, 2^-7 for bfloat16), relative. */
export const autocastTolerance: Record<RoundingFormat, Tolerance> = {
  f16: { atol: 1e-5, rtol: 2 ** -9 },
  bf16: { atol: 1e-5, rtol: 2 ** -6 },
};

function casesIn(precision: RoundingFormat): ConformanceCase[] {
  const under =
    (op: (...xs: tf.Tensor[]) => tf.Tensor) =>
    (...xs: tf.Tensor[]) =>
      autocast(precision, () => op(...xs));
  return [
    {
      name: `${precision}: roundToPrecision (overflow and subnormals included)`,
      inputs: (g) => [normal(g, [16, 64], 3e4)],
      op: (x) => tf.concat([roundToPrecision(x!, precision), roundToPrecision(tf.mul(x!, 1e-11), precision)]),
    },
    ...(
      [
        [false, true],
        [true, false],
      ] as const
    ).map(
      ([transposeA, transposeB]): ConformanceCase => ({
        name: `${precision}: matMul (transposeA ${transposeA}, transposeB ${transposeB})`,
        inputs: (g) => [
          normal(g, transposeA ? [2, 24, 40] : [2, 40, 24]),
          normal(g, transposeB ? [2, 32, 24] : [2, 24, 32]),
        ],
        op: under((a, b) => matMul(a!, b!, transposeA, transposeB)),
      }),
    ),
    {
      name: `${precision}: Linear`,
      inputs: (g) => [normal(g, [3, 20, 48])],
      op: under((x) => {
        const linear = new Linear(48, 40, { generator: new Generator(5) });
        try {
          return linear.forward(x!);
        } finally {
          linear.dispose();
        }
      }),
    },
    {
      name: `${precision}: causalAttention`,
      inputs: (g) => [normal(g, [2, 3, 20, 16]), normal(g, [2, 3, 20, 16]), normal(g, [2, 3, 20, 16])],
      op: under((q, k, v) => causalAttention(q!, k!, v!, { scale: 0.25 })),
    },
  ];
}

export const autocastCases: Record<RoundingFormat, ConformanceCase[]> = {
  f16: casesIn('f16'),
  bf16: casesIn('bf16'),
};
