import {
  autocast,
  Generator,
  type HalfTensor,
  halfTensor,
  initBackend,
  roundToPrecision,
  tf,
  valueAndGradients,
  widenHalf,
} from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy.js';
import { linearCrossEntropy } from './linear-cross-entropy.js';

const backends = await findTestBackends();
const g = new Generator(4);
const N = 37;
const D = 12;
const shardRows = [30, 25, 16]; // a vocabulary of 71 in three shards
const hiddenValues = g.normalArray(N * D);
const shardValues = shardRows.map((rows) => g.normalArray(rows * D, 0, 0.5));
const targetValues = Int32Array.from({ length: N }, (_, i) => (i % 6 === 2 ? -100 : g.randint(0, 71)));

describe.each(backends)('linearCrossEntropy on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['mean', 'sum'] as const)(
    'gives crossEntropy(x·Wᵀ)’s %s loss and gradients, in chunks and shards',
    async (reduction) => {
      await initBackend({ prefer: backend });
      const hidden = tf.tensor2d(hiddenValues, [N, D]);
      const shards = shardRows.map((rows, i) => tf.tensor2d(shardValues[i]!, [rows, D]));
      const targets = tf.tensor1d(targetValues, 'int32');
      const reference = tf.grads((x: tf.Tensor, ...ws: tf.Tensor[]) =>
        crossEntropy(tf.matMul(x, tf.concat(ws, 0), false, true), targets, { reduction }),
      );
      const fused = tf.grads((x: tf.Tensor, ...ws: tf.Tensor[]) =>
        linearCrossEntropy(x, ws, targets, { reduction, chunkRows: 8 }),
      );
      const expectedLoss = await crossEntropy(tf.matMul(hidden, tf.concat(shards, 0), false, true), targets, {
        reduction,
      }).data();
      const actualLoss = await linearCrossEntropy(hidden, shards, targets, {
        reduction,
        chunkRows: 8,
      }).data();
      expect(Math.abs(actualLoss[0]! - expectedLoss[0]!)).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(expectedLoss[0]!)),
      );
      const expected = reference([hidden, ...shards]);
      const actual = fused([hidden, ...shards]);
      for (const [i, grad] of expected.entries()) {
        expect(actual[i]!.shape).toEqual(grad.shape);
        expect(maxAbsDiff(await actual[i]!.data(), await grad.data()), `gradient ${i}`).toBeLessThan(1e-5);
      }
      const before = tf.memory().numTensors;
      tf.dispose(fused([hidden, ...shards]));
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

it('refuses mismatched shapes', async () => {
  await initBackend({ prefer: 'cpu' });
  expect(() => linearCrossEntropy(tf.zeros([4, 3]), [tf.zeros([5, 3])], tf.zeros([3], 'int32'))).toThrow(
    'linearCrossEntropy needs hidden [N, D] and targets [N], got [4, 3] and [3]',
  );
});

describe('linearCrossEntropy inside a larger graph (cpu)', () => {
  it('scales its gradients by the upstream gradient', async () => {
    await initBackend({ prefer: 'cpu' });
    const hidden = tf.tensor2d(hiddenValues, [N, D]);
    const shards = shardRows.map((rows, i) => tf.tensor2d(shardValues[i]!, [rows, D]));
    const targets = tf.tensor1d(targetValues, 'int32');
    const upstream = tf.scalar(-2.5);
    const reference = tf.grads((x: tf.Tensor, ...ws: tf.Tensor[]) =>
      tf.mul(crossEntropy(tf.matMul(x, tf.concat(ws, 0), false, true), targets), 3),
    )([hidden, ...shards], upstream);
    const fused = tf.grads((x: tf.Tensor, ...ws: tf.Tensor[]) =>
      tf.mul(linearCrossEntropy(x, ws, targets, { chunkRows: 5 }), 3),
    )([hidden, ...shards], upstream);
    for (const [i, grad] of reference.entries()) {
      expect(maxAbsDiff(await fused[i]!.data(), await grad.data()), `gradient ${i}`).toBeLessThan(1e-5);
    }
  });

  it('does no gradient work when no tape records (an evaluation)', async () => {
    await initBackend({ prefer: 'cpu' });
    const hidden = tf.tensor2d(hiddenValues, [N, D]);
    const shards = shardRows.map((rows, i) => tf.tensor2d(shardValues[i]!, [rows, D]));
    const targets = tf.tensor1d(targetValues, 'int32');
    const kernelsOf = async (run: () => void) =>
      new Set((await tf.profile(run)).kernels.map((kernel) => kernel.name));
    const evaluation = await kernelsOf(() => {
      linearCrossEntropy(hidden, shards, targets, { chunkRows: 8 }).dispose();
    });
    const training = await kernelsOf(() => {
      tf.dispose(
        tf.grads((x: tf.Tensor) => linearCrossEntropy(x, shards, targets, { chunkRows: 8 }))([hidden]),
      );
    });
    expect(training.has('ScatterNd')).toBe(true);
    expect(evaluation.has('ScatterNd')).toBe(false);
  });
});

describe('linearCrossEntropy on frozen weights (cpu)', () => {
  it("gives the input's gradient alone, without computing the weights' (a base under LoRA)", async () => {
    await initBackend({ prefer: 'cpu' });
    const targets = tf.tensor1d(targetValues, 'int32');
    const hidden = tf.variable(tf.tensor2d(hiddenValues, [N, D]));
    const run = async (trainable: boolean) => {
      const shards = shardRows.map((rows, i) =>
        tf.tidy(() => tf.variable(tf.tensor2d(shardValues[i]!, [rows, D]), trainable)),
      );
      const step = () =>
        tf.variableGrads(() => linearCrossEntropy(hidden, shards, targets, { chunkRows: 8 }), [hidden]);
      const products = (
        await tf.profile(() => {
          const { value, grads } = step();
          tf.dispose([value, ...Object.values(grads)]);
        })
      ).kernels.filter((kernel) => kernel.name === 'BatchMatMul').length;
      const { value, grads } = step();
      const result = { loss: (await value.data())[0]!, dx: await grads[hidden.name]!.data(), products };
      tf.dispose([value, ...Object.values(grads), ...shards]);
      return result;
    };
    const trainable = await run(true);
    const before = tf.memory().numTensors;
    const frozen = await run(false);
    expect(tf.memory().numTensors).toBe(before);
    expect(frozen.loss).toBe(trainable.loss);
    expect(maxAbsDiff(frozen.dx, trainable.dx)).toBe(0);
    // Five chunks of at most 8 rows: each spares one product per shard, the weight's gradient.
    expect(trainable.products - frozen.products).toBe(5 * shardRows.length);
    hidden.dispose();
    targets.dispose();
  });
});

describe.each(backends)('linearCrossEntropy on 16-bit shards on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['bf16', 'f16'] as const)(
    'gives the loss and input gradient of the widened %s table, holding one chunk’s logits at a time',
    async (precision) => {
      await initBackend({ prefer: backend });
      const targets = tf.tensor1d(targetValues, 'int32');
      const hidden = tf.tensor2d(hiddenValues, [N, D]);
      const halves = shardRows.map((rows, i) => halfTensor(shardValues[i]!, [rows, D], precision));
      const widened = halves.map((half) => widenHalf(half));
      const lossAndDx = (shards: readonly tf.Tensor[] | readonly HalfTensor[]) =>
        tf.tidy(() => {
          const { value, grads } = valueAndGradients(
            () => linearCrossEntropy(hidden, shards, targets, { chunkRows: 8 }),
            [hidden],
          );
          return [value, grads[0]!];
        });
      const [expectedLoss, expectedDx] = lossAndDx(widened);
      const before = tf.memory().numTensors;
      const [loss, dx] = lossAndDx(halves);
      expect(Math.abs((await loss!.data())[0]! - (await expectedLoss!.data())[0]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(await dx!.data(), await expectedDx!.data())).toBeLessThan(1e-5);
      tf.dispose([loss, dx]);
      expect(tf.memory().numTensors).toBe(before);
      // No more than a chunk of logits (8 × 71) at once: the table's logits are 37 × 71.
      const profile = await tf.profile(() => {
        tf.dispose(lossAndDx(halves));
      });
      const logitShaped = profile.kernels.filter((kernel) =>
        kernel.outputShapes.some((shape) => shape?.[0] === N && shape[1] === 71),
      );
      expect(logitShaped).toEqual([]);
      tf.dispose([expectedLoss, expectedDx, hidden, targets, ...widened]);
      for (const half of halves) half.dispose();
    },
  );

  it('refuses a head stored partly in 16 bits', async () => {
    await initBackend({ prefer: 'cpu' });
    const half = halfTensor(shardValues[0]!, [shardRows[0]!, D], 'bf16');
    const float = tf.tensor2d(shardValues[1]!, [shardRows[1]!, D]);
    expect(() =>
      linearCrossEntropy(tf.zeros([4, D]), [half, float] as unknown as HalfTensor[], tf.zeros([4], 'int32')),
    ).toThrow('the head is stored partly in 16 bits; store every shard alike');
    half.dispose();
    float.dispose();
  });
});

describe.each(backends)('linearCrossEntropy under autocast on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['bf16', 'f16'] as const)(
    'gives, bit for bit, the loss and gradients of its operands rounded to %s',
    async (precision) => {
      await initBackend({ prefer: backend });
      const hidden = tf.tensor2d(hiddenValues, [N, D]);
      const shards = shardRows.map((rows, i) => tf.variable(tf.tensor2d(shardValues[i]!, [rows, D])));
      const targets = tf.tensor1d(targetValues, 'int32');
      const inputs = [hidden, ...shards];
      // The roundings composed outside: each gradient crossing one is rounded on its way back.
      const composed = valueAndGradients(
        () =>
          linearCrossEntropy(
            roundToPrecision(hidden, precision),
            shards.map((w) => roundToPrecision(w, precision)),
            targets,
            { chunkRows: 8 },
          ),
        inputs,
      );
      const before = tf.memory().numTensors;
      const ours = autocast(precision, () =>
        valueAndGradients(() => linearCrossEntropy(hidden, shards, targets, { chunkRows: 8 }), inputs),
      );
      const expected = [composed.value, ...composed.grads];
      for (const [i, t] of ([ours.value, ...ours.grads] as tf.Tensor[]).entries()) {
        const same = Buffer.from((await t.data()).buffer).equals(
          Buffer.from((await (expected[i] as tf.Tensor).data()).buffer),
        );
        expect(same, `output ${i}`).toBe(true);
      }
      tf.dispose([ours.value, ...ours.grads]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([composed.value, ...composed.grads, hidden, targets, ...shards]);
    },
  );
});
