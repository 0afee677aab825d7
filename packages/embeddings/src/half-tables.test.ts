import { Generator, initBackend, roundedToHalf, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { OutputHead } from './output-head.js';
import { TokenEmbedding } from './token-embedding.js';

const backends = await findTestBackends();

describe.each(backends)('tables stored in 16 bits on $backend', ({ backend, available }) => {
  it.skipIf(!available).each(['bf16', 'f16'] as const)(
    '%s: a sharded table looks up and projects with its rounded values',
    async (precision) => {
      await initBackend({ prefer: backend });
      if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
      // Four shards of at most 10 rows, and an odd width, so rows end in a padded word.
      const table = new TokenEmbedding(37, 9, { generator: new Generator(2), maxShardBytes: 10 * 9 * 4 });
      const head = new OutputHead(9, 37, { generator: new Generator(3), maxShardBytes: 10 * 9 * 4 });
      expect(table.shardStarts).toEqual([0, 10, 19, 28]);
      const rounded = await Promise.all(
        [table, head].map(async (t) => {
          const whole = t.weight();
          const values = roundedToHalf((await whole.data()) as Float32Array, precision);
          whole.dispose();
          return tf.tensor2d(values, [37, 9]);
        }),
      );
      await table.storeWeight(precision);
      await head.storeWeight(precision);
      expect(table.shards).toEqual([]);
      expect(table.weightPrecision).toBe(precision);
      const before = tf.memory().numTensors;
      const ids = tf.tensor2d(
        [
          [0, 9, 10, 36],
          [29, 30, 5, 19],
        ],
        undefined,
        'int32',
      );
      const x = tf.tensor2d(new Generator(4).normalArray(2 * 9), [2, 9]);
      const looked = table.forward(ids);
      const expectedRows = tf.gather(rounded[0]!, ids);
      expect(maxAbsDiff(await looked.data(), await expectedRows.data())).toBe(0);
      const weight = table.weight();
      expect(maxAbsDiff(await weight.data(), await rounded[0]!.data())).toBe(0);
      const tolerance = backend === 'cpu' ? 0 : 1e-5;
      for (const [module, values] of [
        [table, rounded[0]!],
        [head, rounded[1]!],
      ] as const) {
        const logits = module instanceof OutputHead ? module.forward(x) : module.project(x);
        const expected = tf.matMul(x, values, false, true);
        expect(maxAbsDiff(await logits.data(), await expected.data())).toBeLessThanOrEqual(tolerance);
        tf.dispose([logits, expected]);
      }
      tf.dispose([ids, x, looked, expectedRows, weight]);
      expect(tf.memory().numTensors).toBe(before);
      await table.storeWeight('f32');
      expect(table.shards).toHaveLength(4);
      tf.dispose(rounded);
      table.dispose();
      head.dispose();
    },
  );
});
