/**
 * Fused attention under 16-bit autocast keeps q, k and v for the backward pass in 16 bits: the values
 * and gradients must be bit for bit those of the roundings composed outside the op (which keeps them in
 * float32), and what the backward pass keeps must shrink by half of those three.
 */
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { featureSwitch, setFeatureSwitch } from '../kernels/webgpu/features.js';
import { Generator } from '../random.js';
import { findTestBackends, keptForBackwardBytes } from '../testing.js';
import { tf } from '../tf.js';
import { autocast } from './autocast.js';
import { causalAttention, fusedAttentionAvailable } from './causal-attention.js';
import { valueAndGradients } from './gradients.js';
import { roundToPrecision } from './round-precision.js';

const webgpu = (await findTestBackends()).find((b) => b.backend === 'webgpu');

describe('fused causal attention under autocast', () => {
  it.skipIf(!webgpu?.available).each(['f16', 'bf16'] as const)(
    'keeps q, k and v in 16 bits and gives the composed roundings’ bits (%s)',
    async (precision) => {
      await initBackend({ prefer: 'webgpu' });
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      expect(fusedAttentionAvailable()).toBe(true);
      const g = new Generator(3);
      const shape = [2, 4, 24, 16]; // batch, heads, T, head size
      const [q, k, v] = [0, 1, 2].map(() => tf.tensor(g.normalArray(2 * 4 * 24 * 16), shape));
      const dy = tf.tensor(g.normalArray(2 * 4 * 24 * 16), shape);
      const inputs = [q!, k!, v!];
      const round = (x: tf.Tensor) => roundToPrecision(x, precision);
      let kept = { ours: 0, composed: 0 };
      const ours = autocast(precision, () =>
        valueAndGradients(
          () => {
            const out = causalAttention(q!, k!, v!, { scale: 0.25 });
            kept = { ...kept, ours: keptForBackwardBytes() };
            return out;
          },
          inputs,
          dy,
        ),
      );
      // The same kernels, in the precision autocast gives them, around float32 copies of the operands.
      const previous = featureSwitch().f16;
      setFeatureSwitch({ f16: precision === 'f16' || previous });
      const composed = valueAndGradients(
        () => {
          const out = round(causalAttention(round(q!), round(k!), round(v!), { scale: 0.25 }));
          kept = { ...kept, composed: keptForBackwardBytes() };
          return out;
        },
        inputs,
        dy,
      );
      setFeatureSwitch({ f16: previous });
      const expected = [composed.value, ...composed.grads] as tf.Tensor[];
      for (const [i, t] of ([ours.value, ...ours.grads] as tf.Tensor[]).entries()) {
        const same = Buffer.from((await t.data()).buffer).equals(
          Buffer.from((await (expected[i] as tf.Tensor).data()).buffer),
        );
        expect(same, `output ${i}`).toBe(true);
      }
      // Three operands of 2·4·24·16 values: 4 bytes each composed, 2 here.
      expect(kept.composed - kept.ours).toBe(3 * 2 * 4 * 24 * 16 * 2);
      tf.dispose([...inputs, dy, ours.value, ...ours.grads, ...expected]);
    },
  );
});
