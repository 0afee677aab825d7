import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Dropout } from '../nn/dropout.js';
import { Generator } from '../random.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { recompute } from './recompute.js';

const backends = (await findTestBackends()).filter(({ backend }) => backend !== 'webgpu');
afterAll(() => initBackend({ prefer: 'cpu' }));

function variable(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape)));
}

/** A small residual block with dropout: x + drop(tanh(x·w1)·w2), x read twice, w1 and w2 trainable. */
function makeBlock(seed: number) {
  const init = new Generator(seed);
  const w1 = variable(init.normalArray(16 * 24, 0, 0.3), [16, 24]);
  const w2 = variable(init.normalArray(24 * 16, 0, 0.3), [24, 16]);
  const generator = new Generator(seed + 100);
  const dropout = new Dropout(0.25, { generator });
  const forward = (x: tf.Tensor) =>
    tf.tidy(() => tf.add(x, dropout.forward(tf.matMul(tf.tanh(tf.matMul(x, w1)), w2))));
  return { w1, w2, generator, forward, dispose: () => tf.dispose([w1, w2]) };
}

type Block = ReturnType<typeof makeBlock>;

/** Three blocks on top of a trainable input embedding, a squared loss; recomputed or not. */
function loss(blocks: Block[], embedding: tf.Variable, recomputed: boolean): tf.Scalar {
  return tf.tidy(() => {
    let x = tf.mul(embedding, 2);
    for (const block of blocks) {
      x = recomputed
        ? recompute(block.forward, [x], { variables: [block.w1, block.w2], generators: [block.generator] })
        : block.forward(x);
    }
    return tf.mean(tf.square(x)) as tf.Scalar;
  });
}

async function gradients(recomputed: boolean) {
  const blocks = [makeBlock(1), makeBlock(2), makeBlock(3)];
  const embedding = variable(new Generator(9).normalArray(8 * 16), [8, 16]);
  const variables = [embedding, ...blocks.flatMap((block) => [block.w1, block.w2])];
  const out: Float32Array[] = [];
  for (let step = 0; step < 2; step++) {
    const { value, grads } = tf.variableGrads(() => loss(blocks, embedding, recomputed), variables);
    out.push((await value.data()) as Float32Array);
    for (const variable of variables) out.push((await grads[variable.name]?.data()) as Float32Array);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const streams = blocks.map((block) => block.generator.getState());
  for (const block of blocks) block.dispose();
  embedding.dispose();
  return { out, streams };
}

describe.each(backends)('recompute on $backend', ({ backend, available, reason }) => {
  it.skipIf(!available)(`gives the same loss and gradients, bit for bit ${reason ?? ''}`, async () => {
    await initBackend({ prefer: backend });
    const kept = await gradients(false);
    const before = tf.memory().numTensors;
    const recomputed = await gradients(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(recomputed.out).toHaveLength(kept.out.length);
    for (const [i, values] of recomputed.out.entries()) expect(values, `output ${i}`).toEqual(kept.out[i]);
    // The dropout streams went on as if each block had run once.
    expect(recomputed.streams).toEqual(kept.streams);
  });
});

describe('recompute', () => {
  it('keeps only its inputs while the gradient is recorded', async () => {
    await initBackend({ prefer: 'cpu' });
    const block = makeBlock(4);
    const x = tf.tensor(new Generator(5).normalArray(8 * 16), [8, 16]);
    const heldAfterForward = (recomputed: boolean) => {
      let held = 0;
      const { value, grads } = tf.variableGrads(() => {
        const start = tf.memory().numTensors;
        const y = recomputed
          ? recompute(block.forward, [x], { variables: [block.w1, block.w2], generators: [block.generator] })
          : block.forward(x);
        held = tf.memory().numTensors - start;
        return tf.sum(y) as tf.Scalar;
      }, [block.w1, block.w2]);
      tf.dispose([value, ...Object.values(grads)]);
      return held;
    };
    const kept = heldAfterForward(false);
    // The output and a saved copy of the input; without recomputation every operation's saved tensors.
    expect(heldAfterForward(true)).toBe(2);
    expect(kept).toBeGreaterThan(4);
    tf.dispose(x);
    block.dispose();
  });

  it('refuses a function whose draws differ the second time, naming the fix', async () => {
    await initBackend({ prefer: 'cpu' });
    const block = makeBlock(6);
    const x = tf.ones([8, 16]);
    let calls = 0;
    // Draws once more on each call: the second forward cannot repeat the first.
    const drifting = (input: tf.Tensor) => {
      calls += 1;
      for (let i = 0; i < calls; i++) block.generator.random();
      return block.forward(input);
    };
    const options = { variables: [block.w1, block.w2], generators: [block.generator] };
    expect(() =>
      tf.variableGrads(() => tf.sum(recompute(drifting, [x], options)) as tf.Scalar, [block.w1, block.w2]),
    ).toThrow(/drew different random numbers the second time: give every generator/);
    tf.dispose(x);
    block.dispose();
  });

  it('computes the plain value where no gradient is recorded', async () => {
    await initBackend({ prefer: 'cpu' });
    const block = makeBlock(7);
    const x = tf.tensor(new Generator(8).normalArray(8 * 16), [8, 16]);
    const state = block.generator.getState();
    const plain = await block.forward(x).data();
    block.generator.setState(state);
    const before = tf.memory().numTensors;
    const y = recompute(block.forward, [x], {
      variables: [block.w1, block.w2],
      generators: [block.generator],
    });
    expect(await y.data()).toEqual(plain);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    block.dispose();
  });
});
