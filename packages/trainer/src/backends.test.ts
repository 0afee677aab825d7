/**
 * The trainer's numerics on every backend that starts here (cpu, wasm, webgpu), against cpu.
 */
import { Generator, initBackend, randNormal, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { crossEntropy } from './cross-entropy.js';
import { computeGradients } from './gradients.js';
import { maxAbsDiff, maxScaledDiff } from './test-support/fixtures.js';
import { TinyLanguageModel } from './test-support/tiny-model.js';
import { runTinyTraining, tinyTraining } from './test-support/tiny-training.js';

const backends = await findTestBackends();

/** Large enough that WebGPU runs the kernels on the device (it hands small tensors to the CPU). */
function inputs() {
  const generator = new Generator(7);
  const logits = randNormal([4, 8, 96], 0, 3, generator); // (B, T, V)
  const targets = Array.from({ length: 32 }, (_, i) => (i % 5 === 4 ? -100 : generator.randint(0, 96)));
  const param = randNormal([48, 40], 0, 1, generator);
  const grad = randNormal([48, 40], 0, 0.1, generator);
  return { logits, targets: tf.tensor2d(targets, [4, 8], 'int32'), param, grad };
}

interface Numbers {
  loss: number;
  grad: Float32Array;
  param: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

async function compute(): Promise<Numbers> {
  const { logits, targets, param, grad } = inputs();
  const { value, grad: dLogits } = tf.valueAndGrad((x: tf.Tensor) => crossEntropy(x, targets))(logits);
  const variable = tf.variable(param);
  const optimizer = new AdamW([['w', variable]], { lr: 1e-2, betas: [0.9, 0.95], weightDecay: 0.1 });
  optimizer.step({ w: grad });
  optimizer.step({ w: grad });
  const state = optimizer.getState();
  const moments = state.moments.get('w')!;
  const out: Numbers = {
    loss: (await value.data())[0] as number,
    grad: (await dLogits.data()) as Float32Array,
    param: (await variable.data()) as Float32Array,
    m: (await moments.m.data()) as Float32Array,
    v: (await moments.v.data()) as Float32Array,
  };
  optimizer.dispose();
  tf.dispose([logits, targets, param, grad, value, dLogits, variable, moments.m, moments.v]);
  return out;
}

let reference: Numbers;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  reference = await compute();
});

/*
 * Tolerances: the backends implement exp, log and the reductions with their own code (wasm: XNNPACK
 * and its own transcendental functions; WebGPU: WGSL on the device), so float32 results may differ by
 * a few units in the last place: 1e-6 relative for the loss, 1e-6 of the largest entry for tensors.
 * AdamW uses only IEEE-exact operations (+, ×, ÷, √) and is expected to match cpu bit for bit here.
 */
describe.each(backends)('on $backend', ({ backend, available }) => {
  it.skipIf(!available)('crossEntropy (value and gradient) and two AdamW steps agree with cpu', async () => {
    await initBackend({ prefer: backend });
    const got = await compute();
    expect(Math.abs(got.loss - reference.loss) / reference.loss).toBeLessThan(1e-6);
    expect(maxScaledDiff(got.grad, reference.grad)).toBeLessThan(1e-6);
    expect(maxScaledDiff(got.param, reference.param)).toBeLessThan(1e-6);
    expect(maxScaledDiff(got.m, reference.m)).toBeLessThan(1e-6);
    expect(maxScaledDiff(got.v, reference.v)).toBeLessThan(1e-6);
  });

  it.skipIf(!available)('ten training steps match PyTorch within 1e-6', async () => {
    await initBackend({ prefer: backend });
    const run = await runTinyTraining();
    expect(maxAbsDiff(run.losses, tinyTraining.values('losses'))).toBeLessThan(1e-6);
    expect(maxAbsDiff(run.norms, tinyTraining.values('norms'))).toBeLessThan(1e-6);
    for (const [name, weights] of run.weights) {
      expect(maxAbsDiff(weights, tinyTraining.values(`final.${name}`)), name).toBeLessThan(1e-6);
    }
  });

  it.skipIf(!available)(
    'keeps the tensor count constant over 100 training steps while the loss falls',
    async () => {
      await initBackend({ prefer: backend });
      const generator = new Generator(11);
      const model = new TinyLanguageModel(32, 16, generator);
      const ids = tf.tensor2d(
        Array.from({ length: 4 * 12 }, () => generator.randint(0, 32)),
        [4, 12],
        'int32',
      );
      const targets = tf.tensor2d(
        Array.from({ length: 4 * 12 }, (_, i) => (i % 7 === 6 ? -100 : (i * 5) % 32)),
        [4, 12],
        'int32',
      );
      const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0.1 });
      const counts: number[] = [];
      const losses: number[] = [];
      for (let step = 0; step < 100; step++) {
        const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(ids), targets));
        const clipped = clipGradNorm(grads, 1.0);
        optimizer.step(clipped.grads);
        losses.push((await loss.data())[0] as number);
        tf.dispose([loss, ...grads.values(), ...clipped.grads.values(), clipped.norm]);
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts)).toEqual(new Set([counts[0]]));
      expect(losses[99]).toBeLessThan((losses[0] as number) * 0.5);
      optimizer.dispose();
      model.dispose();
      tf.dispose([ids, targets]);
    },
  );
});

describe('crossEntropy past 2^24 logits', () => {
  const webgpu = backends.find(({ backend }) => backend === 'webgpu');
  // WebGPU's gather and scatter shaders read index tensors as float32: a flat index row·V + target
  // above 2^24 would silently pick a neighbour. 17 rows × 2^20 columns put the last row past it.
  it.skipIf(!webgpu?.available)(
    'picks the right logits and scatters the right gradient on webgpu',
    async () => {
      await initBackend({ prefer: 'webgpu' });
      const rows = 17;
      const vocabSize = 2 ** 20;
      const a = 5; // each row: 0 everywhere, a at its (odd) target
      const targetOf = (row: number) => vocabSize - 1 - 2 * row;
      const data = new Float32Array(rows * vocabSize);
      for (let row = 0; row < rows; row++) data[row * vocabSize + targetOf(row)] = a;
      const logits = tf.tensor2d(data, [rows, vocabSize]);
      const targets = tf.tensor1d(
        Array.from({ length: rows }, (_, row) => targetOf(row)),
        'int32',
      );
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropy(x, targets))(logits);
      const pairs = tf.tensor2d(
        Array.from({ length: rows }, (_, row) => [row, targetOf(row)]),
        [rows, 2],
        'int32',
      );
      const atTargets = tf.gatherND(grad, pairs);
      // Exact values; 1e-5 relative leaves room for float32 sums over 2^20 terms (a wrong pick is 56 % off).
      const denominator = vocabSize - 1 + Math.exp(a);
      const loss = Math.log(denominator) - a;
      const gradAtTarget = (Math.exp(a) / denominator - 1) / rows;
      expect(Math.abs(((await value.data())[0] as number) - loss) / loss).toBeLessThan(1e-5);
      for (const g of await atTargets.data())
        expect(Math.abs(g - gradAtTarget) / -gradAtTarget).toBeLessThan(1e-5);
      tf.dispose([logits, targets, value, grad, pairs, atTargets]);
      await initBackend({ prefer: 'cpu' });
    },
  );
});
