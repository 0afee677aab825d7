import { ShardingError } from '@scratchgpt/embeddings';
import { BindingLimitError, Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { GPTModel } from './gpt-model.js';

const webgpu = (await findTestBackends()).find((b) => b.backend === 'webgpu')!;
const config = preset('gpt-nano', { vocabSize: 5000, contextLength: 16, dropRate: 0 });
// The token table and the head are 5000 × 48 floats = 937.5 KiB each; a 256 KiB limit needs 4 shards.
const limit = 256 * 1024;

async function cpuLogits(ids: number[][]): Promise<{ logits: Float32Array; state: Map<string, tf.Tensor> }> {
  await initBackend({ prefer: 'cpu' });
  const model = new GPTModel(config, { generator: new Generator(11) }).eval();
  const logits = (await model.forward(tf.tensor2d(ids, undefined, 'int32')).data()) as Float32Array;
  const state = new Map([...model.stateDict()].map(([name, t]) => [name, tf.tensor(t.dataSync(), t.shape)]));
  model.dispose();
  return { logits, state };
}

describe.skipIf(!webgpu.available)('vocabulary tables on WebGPU with a low binding limit', () => {
  it('are sharded and still give the right logits', async () => {
    const ids = [[0, 1249, 1250, 2499, 2500, 4999, 3, 77]];
    const reference = await cpuLogits(ids);
    const hostState = new Map(
      await Promise.all(
        [...reference.state].map(
          async ([name, t]) => [name, { data: await t.data(), shape: t.shape }] as const,
        ),
      ),
    );
    await initBackend({ prefer: 'webgpu', maxBindingBytes: limit });
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const model = new GPTModel(config, { generator: new Generator(12) }).eval();
    expect(model.tokEmb.shards).toHaveLength(4);
    expect(model.outHead?.shards).toHaveLength(4);
    model.loadStateDict(
      new Map([...hostState].map(([name, t]) => [name, { shape: t.shape, data: t.data as Float32Array }])),
    );
    const logits = await model.forward(tf.tensor2d(ids, undefined, 'int32')).data();
    let worst = 0;
    logits.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - reference.logits[i]!));
    });
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });

  it('fails clearly where sharding cannot help', async () => {
    await initBackend({ prefer: 'webgpu', maxBindingBytes: 128 });
    // One 48-float row is 192 bytes: no row split fits a 128-byte binding.
    expect(() => new GPTModel(config)).toThrow(ShardingError);
    expect(() => new GPTModel(config)).toThrow(
      /One row of 192 bytes exceeds the backend's 128-byte binding limit/,
    );
    // Sharded tables, but logits for 8 tokens over 5000 words (156 KiB) exceed a 64 KiB binding.
    await initBackend({ prefer: 'webgpu', maxBindingBytes: 64 * 1024 });
    const model = new GPTModel(config, { maxShardBytes: 32 * 1024 }).eval();
    expect(() => model.forward(tf.zeros([1, 8], 'int32'))).toThrow(BindingLimitError);
    model.dispose();
    await initBackend({ prefer: 'webgpu' });
  });
});
