import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Dropout } from '../nn/dropout.js';
import { Generator } from '../random.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { gelu } from './gelu.js';
import { valueAndGradients } from './gradients.js';
import { layerNorm } from './layer-norm.js';
import { matMul } from './mat-mul.js';
import { recompute } from './recompute.js';

const backends = await findTestBackends();
afterAll(() => initBackend({ prefer: 'cpu' }));

type Engine = {
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allow?: boolean,
  ): { value: tf.Tensor; grads: Array<tf.Tensor | undefined> };
};
const tfGradients = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor) =>
  (tf.engine() as unknown as Engine).gradients(f, xs, dy, true);

function variable(generator: Generator, shape: number[], scale = 0.3): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(generator.normalArray(size, 0, scale), shape)));
}

/**
 * A small attention block with what a GPT's backward pass meets: products with transposes, a softmax
 * over masked scores, layer norm, GELU, dropout, a residual that reads x twice, and a recomputed part.
 */
function makeNetwork(seed: number) {
  const init = new Generator(seed);
  const [t, d] = [6, 8];
  const weights = {
    wq: variable(init, [d, d]),
    wk: variable(init, [d, d]),
    wv: variable(init, [d, d]),
    w1: variable(init, [d, 4 * d]),
    w2: variable(init, [4 * d, d]),
    gamma: variable(init, [d], 0.1),
    beta: variable(init, [d], 0.1),
  };
  const x = tf.tensor(init.normalArray(2 * t * d), [2, t, d]);
  const mask = tf.tidy(() => tf.mul(tf.sub(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 1), 1e9));
  const dropout = new Dropout(0.2, { generator: new Generator(seed + 1) });
  const feedForward = (h: tf.Tensor) =>
    tf.tidy(() =>
      tf.reshape(matMul(gelu(matMul(tf.reshape(h, [2 * t, d]), weights.w1)), weights.w2), [2, t, d]),
    );
  const loss = () =>
    tf.tidy(() => {
      // Products by a weight as the model's Linear takes them: rows of 2-D.
      const rows = tf.reshape(layerNorm(x, weights.gamma, weights.beta, 1e-5), [2 * t, d]);
      const [q, k, v] = [weights.wq, weights.wk, weights.wv].map((w) =>
        tf.reshape(matMul(rows, w), [2, t, d]),
      ) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const scores = tf.add(tf.mul(matMul(q, k, false, true), 1 / Math.sqrt(d)), mask);
      const attended = tf.add(x, matMul(dropout.forward(tf.softmax(scores, -1)), v));
      const out = tf.add(
        attended,
        recompute(feedForward, [attended], { variables: [weights.w1, weights.w2] }),
      );
      return tf.mean(tf.square(tf.mul(out, out)));
    });
  return {
    variables: Object.values(weights),
    loss,
    dispose: () => tf.dispose([...Object.values(weights), x, mask]),
  };
}

async function valuesOf(result: { value: tf.Tensor; grads: Array<tf.Tensor | undefined> }) {
  const values = [await result.value.data()];
  for (const grad of result.grads) values.push(await grad!.data());
  tf.dispose([result.value, ...result.grads.filter((g) => g != null)]);
  return values;
}

describe.each(backends)('valueAndGradients on $backend', ({ backend, available, reason }) => {
  it.skipIf(!available)(
    `gives TF.js's gradients bit for bit and leaves nothing ${reason ?? ''}`,
    async () => {
      await initBackend({ prefer: backend });
      const ours = makeNetwork(1);
      const theirs = makeNetwork(1);
      const before = tf.memory().numTensors;
      const got = await valuesOf(valueAndGradients(ours.loss, ours.variables));
      expect(tf.memory().numTensors).toBe(before);
      const expected = await valuesOf(tfGradients(theirs.loss, theirs.variables));
      expect(got).toHaveLength(8);
      for (const [i, values] of got.entries()) expect(values, `output ${i}`).toEqual(expected[i]);
      ours.dispose();
      theirs.dispose();
    },
  );
});

describe('valueAndGradients', () => {
  /**
   * y = Σ exp(½·exp(½·…x)), with a probe at x that notes the bytes of tensors alive when the backward
   * pass reaches it, at its end: by then every link's gradient has been computed.
   */
  function probedChain(x: tf.Tensor, links: number, noted: number[]): tf.Tensor {
    const probe = tf.customGrad((a, save) => {
      (save as tf.GradSaveFunc)([]);
      return {
        value: tf.clone(a as tf.Tensor),
        gradFunc: (dy) => {
          noted.push(tf.memory().numBytes / 2 ** 20);
          return [tf.clone(dy as tf.Tensor)];
        },
      };
    }) as (a: tf.Tensor) => tf.Tensor;
    return tf.tidy(() => {
      let y = probe(x);
      for (let i = 0; i < links; i++) y = tf.exp(tf.mul(y, 0.5));
      return tf.sum(y);
    });
  }

  it('holds a few gradients at a time, where TF.js holds one per operation', async () => {
    await initBackend({ prefer: 'cpu' });
    const x = tf.variable(tf.randomUniform([256, 1024], 0, 1, 'float32', 3)); // 1 MiB
    const links = 12;
    const atTheEnd = async (differentiate: typeof valueAndGradients) => {
      const noted: number[] = [];
      const values = await valuesOf(differentiate(() => probedChain(x, links, noted), [x]));
      return { mib: noted[0] as number, values };
    };
    const ours = await atTheEnd(valueAndGradients);
    const theirs = await atTheEnd(tfGradients);
    expect(ours.values).toEqual(theirs.values);
    // TF.js still holds a gradient per operation (two per link) and everything the links saved; here
    // only x's own 1 MiB and the gradient arriving at it are left.
    expect(theirs.mib - ours.mib).toBeGreaterThan(2 * links);
    expect(ours.mib).toBeLessThan(4);
    tf.dispose(x);
  });

  it('takes the upstream gradient given and leaves it to the caller', async () => {
    await initBackend({ prefer: 'cpu' });
    const x = tf.tensor([1, 2, 3]);
    const dy = tf.tensor([1, 10, 100]);
    const { value, grads } = valueAndGradients(() => tf.mul(x, x), [x], dy);
    expect(await grads[0]!.data()).toEqual(new Float32Array([2, 40, 600]));
    expect(dy.isDisposed).toBe(false);
    tf.dispose([x, dy, value, grads[0]!]);
  });

  it('keeps a gradient a function hands on unchanged, to one input or two', async () => {
    await initBackend({ prefer: 'cpu' });
    // Passes dy straight through as the gradient of both its inputs.
    const passThrough = tf.customGrad((a, b, save) => {
      (save as tf.GradSaveFunc)([]);
      return {
        value: tf.add(a as tf.Tensor, b as tf.Tensor),
        gradFunc: (dy) => [dy as tf.Tensor, dy as tf.Tensor],
      };
    }) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    const x = tf.tensor([1, 2]);
    const z = tf.tensor([3, 4]);
    const before = tf.memory().numTensors;
    const { value, grads } = valueAndGradients(
      () => tf.sum(tf.mul(passThrough(tf.mul(x, 3), tf.mul(z, 5)), passThrough(x, x))),
      [x, z],
    );
    // d/dx [(3x + 5z)·2x] = 12x + 10z; d/dz = 10x.
    expect(await grads[0]!.data()).toEqual(new Float32Array([12 + 30, 24 + 40]));
    expect(await grads[1]!.data()).toEqual(new Float32Array([10, 20]));
    tf.dispose([value, ...grads.filter((g) => g != null)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, z]);
  });

  it('gives undefined for an input the value does not read', async () => {
    await initBackend({ prefer: 'cpu' });
    const [x, unused] = [tf.tensor([1, 2]), tf.tensor([3])];
    const { value, grads } = valueAndGradients(() => tf.sum(tf.square(x)), [x, unused]);
    expect(grads[1]).toBeUndefined();
    expect(await grads[0]!.data()).toEqual(new Float32Array([2, 4]));
    tf.dispose([value, grads[0]!, x, unused]);
  });

  it('frees what the record saved when the function or its gradient throws', async () => {
    await initBackend({ prefer: 'cpu' });
    const x = tf.tensor([1, 2]);
    const before = tf.memory().numTensors;
    expect(() =>
      valueAndGradients(() => {
        tf.exp(x);
        throw new Error('forward failed');
      }, [x]),
    ).toThrow('forward failed');
    const failing = tf.customGrad((a, save) => {
      (save as tf.GradSaveFunc)([a as tf.Tensor]);
      return {
        value: tf.exp(a as tf.Tensor),
        gradFunc: () => {
          throw new Error('backward failed');
        },
      };
    }) as (a: tf.Tensor) => tf.Tensor;
    expect(() => valueAndGradients(() => tf.sum(failing(x)), [x])).toThrow('backward failed');
    expect(tf.memory().numTensors).toBe(before);
    expect(() => valueAndGradients(() => 1 as unknown as tf.Tensor, [x])).toThrow(/must return a tensor/);
    // The next gradient records afresh.
    const { value, grads } = valueAndGradients(() => tf.sum(tf.square(x)), [x]);
    expect(await grads[0]!.data()).toEqual(new Float32Array([2, 4]));
    tf.dispose([value, grads[0]!, x]);
  });
});
