import { Generator, initBackend, Module, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { computeGradients } from './gradients.js';
import { maxAbsDiff } from './test-support/fixtures.js';
import { TinyLanguageModel } from './test-support/tiny-model.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const vocabSize = 24;
const contextLength = 6;

function batchOf(generator: Generator, rows: number): { inputs: number[][]; targets: number[][] } {
  const row = () => Array.from({ length: contextLength }, () => generator.randint(0, vocabSize));
  return {
    inputs: Array.from({ length: rows }, row),
    targets: Array.from({ length: rows }, row),
  };
}

function gradientsOf(model: TinyLanguageModel, inputs: number[][], targets: number[][]) {
  const ids = tf.tensor2d(inputs, undefined, 'int32');
  const expected = tf.tensor2d(targets, undefined, 'int32');
  const result = computeGradients(model, () => crossEntropy(model.forward(ids), expected));
  tf.dispose([ids, expected]);
  return result;
}

async function valuesOf(grads: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, grad] of grads) out.set(name, (await grad.data()) as Float32Array);
  return out;
}

describe('computeGradients', () => {
  it("keys the gradients by the module's dotted parameter names", async () => {
    const generator = new Generator(1);
    const model = new TinyLanguageModel(vocabSize, 8, generator);
    const { inputs, targets } = batchOf(generator, 2);
    const { loss, grads } = gradientsOf(model, inputs, targets);
    expect([...grads.keys()]).toEqual(['tok_emb.weight', 'out_head.weight', 'out_head.bias']);
    for (const [name, parameter] of model.namedParameters())
      expect(grads.get(name)?.shape).toEqual(parameter.shape);
    expect(loss.shape).toEqual([]);
    expect((await loss.data())[0]).toBeGreaterThan(0);

    // The same numbers tf.variableGrads gives under TF.js's own variable names.
    const ids = tf.tensor2d(inputs, undefined, 'int32');
    const expected = tf.tensor2d(targets, undefined, 'int32');
    const reference = tf.variableGrads(() => crossEntropy(model.forward(ids), expected));
    for (const [name, parameter] of model.namedParameters()) {
      expect(await grads.get(name)!.data()).toEqual(await reference.grads[parameter.name]!.data());
    }
    tf.dispose([loss, ...grads.values(), reference.value, ...Object.values(reference.grads), ids, expected]);
    model.dispose();
  });

  it('leaves out parameters the loss never reaches and frozen ones', () => {
    class TwoHeads extends Module {
      readonly used = this.registerParameter('used', tf.ones([3]));
      readonly unused = this.registerParameter('unused', tf.ones([3]));
      readonly frozen = this.registerParameter('frozen', tf.ones([3]), false);
    }
    const model = new TwoHeads();
    const { loss, grads } = computeGradients(model, () =>
      tf.sum(tf.mul(tf.mul(model.used, model.frozen), 2)),
    );
    expect([...grads.keys()]).toEqual(['used']);
    tf.dispose([loss, ...grads.values()]);
    model.dispose();
  });

  it('leaves only the loss and the gradients behind', () => {
    const generator = new Generator(2);
    const model = new TinyLanguageModel(vocabSize, 8, generator);
    const { inputs, targets } = batchOf(generator, 2);
    const before = tf.memory().numTensors;
    const { loss, grads } = gradientsOf(model, inputs, targets);
    expect(tf.memory().numTensors).toBe(before + 1 + grads.size);
    tf.dispose([loss, ...grads.values()]);
    model.dispose();
  });
});

/**
 * The gradient of one batch, and the accumulator's average over the batch's rows taken one at a time
 * (weighted by their kept-target counts when `weighted`): the largest difference per parameter.
 */
async function rowsVersusWhole(
  seed: number,
  rows: number,
  mask: (targets: number[][]) => void,
  weighted: boolean,
) {
  const generator = new Generator(seed);
  const model = new TinyLanguageModel(vocabSize, 8, generator);
  const { inputs, targets } = batchOf(generator, rows);
  mask(targets);
  const whole = gradientsOf(model, inputs, targets);
  const accumulator = new GradientAccumulator();
  for (let i = 0; i < rows; i++) {
    const micro = gradientsOf(model, [inputs[i]!], [targets[i]!]);
    accumulator.add(micro.grads, weighted ? targets[i]!.filter((t) => t !== -100).length : 1);
    tf.dispose([micro.loss, ...micro.grads.values()]);
  }
  const averaged = accumulator.average();
  const expected = await valuesOf(whole.grads);
  const diffs = new Map<string, number>();
  for (const [name, grad] of await valuesOf(averaged)) diffs.set(name, maxAbsDiff(grad, expected.get(name)!));
  const { count, totalWeight } = accumulator;
  tf.dispose([whole.loss, ...whole.grads.values(), ...averaged.values()]);
  accumulator.dispose();
  model.dispose();
  return { diffs, count, totalWeight };
}

describe('GradientAccumulator', () => {
  it('averages 4 micro-batches of 1 into the gradient of one batch of 4 (within 1e-6)', async () => {
    const { diffs, count } = await rowsVersusWhole(3, 4, () => {}, false);
    expect(count).toBe(4);
    expect([...diffs.keys()]).toEqual(['tok_emb.weight', 'out_head.weight', 'out_head.bias']);
    for (const [name, diff] of diffs) expect(diff, name).toBeLessThan(1e-6);
  });

  it('weights micro-batches by their target counts to give the token mean when targets are ignored', async () => {
    // The second row keeps 2 of its 6 targets: unweighted, the rows' means would not average to the batch's.
    const mask = (targets: number[][]) => targets[1]!.fill(-100, 2);
    const { diffs, totalWeight } = await rowsVersusWhole(4, 2, mask, true);
    expect(totalWeight).toBe(8);
    for (const [name, diff] of diffs) expect(diff, name).toBeLessThan(1e-6);
    const unweighted = await rowsVersusWhole(4, 2, mask, false);
    expect(Math.max(...unweighted.diffs.values())).toBeGreaterThan(1e-3);
  });

  it('holds one tensor per parameter, whatever the number of micro-batches, and reset() frees them', () => {
    const grads = { a: tf.ones([2, 2]), b: tf.ones([3]) };
    const before = tf.memory().numTensors;
    const accumulator = new GradientAccumulator();
    for (let i = 0; i < 5; i++) {
      accumulator.add(grads);
      expect(tf.memory().numTensors).toBe(before + 2);
    }
    accumulator.reset();
    expect(tf.memory().numTensors).toBe(before);
    expect(accumulator.count).toBe(0);
    tf.tidy(() => accumulator.add(grads)); // the sums outlive a caller's tidy
    expect(tf.memory().numTensors).toBe(before + 2);
    accumulator.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(grads));
  });

  it('refuses to average nothing and mismatched shapes', () => {
    const accumulator = new GradientAccumulator();
    expect(() => accumulator.average()).toThrow('GradientAccumulator.average() before any add()');
    tf.tidy(() => {
      accumulator.add({ a: tf.ones([2]) });
      expect(() => accumulator.add({ a: tf.ones([3]) })).toThrow(
        "Gradient 'a' has shape [3] but earlier micro-batches gave [2]",
      );
    });
    expect(() => accumulator.add({}, -1)).toThrow('A micro-batch weight must be a finite number ≥ 0, got -1');
    accumulator.dispose();
  });
});
