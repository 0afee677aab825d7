import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { tf } from '../tf.js';
import { withoutGradient } from './without-gradient.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

/** How many operations the gradient being recorded holds (TF.js's tape; internal, read for the test). */
function recordedOperations(): number {
  const tape = (tf.engine().state as unknown as { activeTape: unknown[] | null }).activeTape;
  return tape?.length ?? 0;
}

describe('withoutGradient', () => {
  it('gives the value of its function and no gradient through it', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const c = tf.tensor1d([0.5, -1, 4]);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.add(
          tf.sum(tf.mul(v, c)),
          withoutGradient(() => tf.sum(tf.square(v))),
        ) as tf.Scalar,
    );
    // 0.5 − 2 + 12 = 10.5, plus 1 + 4 + 9; the gradient is c alone (with the square it would be c + 2v).
    expect(await value.data()).toEqual(new Float32Array([24.5]));
    expect(Object.keys(grads)).toEqual([v.name]);
    expect(await grads[v.name]!.data()).toEqual(new Float32Array([0.5, -1, 4]));
    tf.dispose([v, c, value, grads[v.name]!]);
  });

  it('records none of its operations while a gradient is taken, and keeps none of its tensors', () => {
    const v = tf.variable(tf.ones([4, 4]));
    let inside = -1;
    let taped = -1;
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const start = recordedOperations();
      const constant = withoutGradient(() => tf.sum(tf.matMul(tf.relu(v), tf.exp(v))));
      inside = recordedOperations() - start;
      const again = tf.sum(tf.matMul(tf.relu(v), tf.exp(v)));
      taped = recordedOperations() - start - inside;
      return tf.add(constant, again) as tf.Scalar;
    });
    expect(inside).toBe(1); // the constant itself, with no inputs
    expect(taped).toBeGreaterThanOrEqual(4);
    tf.dispose([value, grads[v.name]!]);
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
  });

  it('refuses a function that does not return a tensor', () => {
    expect(() => withoutGradient((() => 3) as unknown as () => tf.Tensor)).toThrow(/one tensor/);
  });
});
