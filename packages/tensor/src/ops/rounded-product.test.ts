/**
 * Under 16-bit autocast a product is one op that keeps a weight by reference and an activation in 16
 * bits: its values and gradients must be bit for bit those of the roundings composed around the
 * product, on every backend and every path (wasm's plain products, BLAS, TF.js's, WebGPU's), and the
 * backward pass must keep half an activation's float32 bytes and no copy of the weight.
 */
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Generator } from '../random.js';
import { findTestBackends, keptForBackwardBytes } from '../testing.js';
import { tf } from '../tf.js';
import { autocast } from './autocast.js';
import { valueAndGradients } from './gradients.js';
import { composedRoundedProduct, matMul } from './mat-mul.js';

const backends = await findTestBackends();

function normal(generator: Generator, shape: number[], scale = 1): tf.Tensor {
  const values = generator.normalArray(shape.reduce((a, b) => a * b, 1)).map((v) => v * scale);
  return tf.tensor(values, shape);
}

const bits = async (t: tf.Tensor) => Buffer.from(((await t.data()) as Float32Array).buffer);

type Case = [rank: 2 | 4, transposeA: boolean, transposeB: boolean];
const cases: Case[] = [
  [2, false, false],
  [2, false, true],
  [2, true, false],
  [2, true, true],
  [4, false, true],
  [4, true, false],
];

describe.each(backends)('matMul under autocast on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['f16', 'bf16'] as const)(
    'gives the composed roundings’ values and gradients bit for bit (%s)',
    async (precision) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      const generator = new Generator(11);
      for (const [rank, transposeA, transposeB] of cases) {
        const batch = rank === 4 ? [2, 3] : [];
        // 20 rows (past the few that wasm multiplies directly), 24 × 18; values past a half's range
        // in a few places, so ∞ crosses the product under f16.
        const a = normal(generator, [...batch, ...(transposeA ? [24, 20] : [20, 24])], 3);
        const bValues = normal(generator, [...batch, ...(transposeB ? [18, 24] : [24, 18])]);
        const b = rank === 2 ? tf.variable(bValues) : bValues;
        const dy = normal(generator, [...batch, 20, 18], 1e-3);
        const ours = autocast(precision, () =>
          valueAndGradients(() => matMul(a, b, transposeA, transposeB), [a, b], dy),
        );
        const composed = autocast(precision, () =>
          valueAndGradients(() => composedRoundedProduct(a, b, transposeA, transposeB), [a, b], dy),
        );
        const label = `rank ${rank}, transposes ${transposeA} ${transposeB}`;
        const outputs = (result: typeof ours) => [result.value, ...result.grads] as tf.Tensor[];
        for (const [i, t] of outputs(ours).entries()) {
          const same = (await bits(t)).equals(await bits(outputs(composed)[i] as tf.Tensor));
          expect(same, `${label}, output ${i}`).toBe(true);
        }
        tf.dispose([a, b, bValues, dy, ours.value, ...ours.grads, composed.value, ...composed.grads]);
      }
    },
  );
});

describe('what a product under autocast keeps for the backward pass', () => {
  it.each(['cpu', 'wasm'] as const)(
    'keeps an activation in 16 bits and a weight by reference (%s)',
    async (backend) => {
      await initBackend({ prefer: backend });
      const generator = new Generator(5);
      const x = normal(generator, [32, 64]);
      const weight = tf.variable(normal(generator, [48, 64]));
      const kept = (product: typeof matMul) => {
        let bytes = 0;
        const { value, grads } = autocast('bf16', () =>
          valueAndGradients(() => {
            const y = product(x, weight, false, true);
            bytes = keptForBackwardBytes();
            return y;
          }, [x]),
        );
        tf.dispose([value, ...grads]);
        return bytes;
      };
      // x rounded, two values to a word; the composed roundings keep x and the weight in float32.
      expect(kept(matMul)).toBe(32 * 64 * 2);
      expect(kept(composedRoundedProduct)).toBe(32 * 64 * 4 + 48 * 64 * 4);
      tf.dispose([x, weight]);
    },
  );
});
