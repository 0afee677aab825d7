import { Generator, initBackend, StateDictError, serializeSafetensors, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Qwen3Model } from '../qwen3/model.js';
import { loadWeights } from './weights.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const config = {
  vocabSize: 20,
  contextLength: 8,
  embDim: 8,
  nHeads: 2,
  nKvGroups: 1,
  headDim: 4,
  hiddenDim: 12,
  nLayers: 1,
  ropeBase: 10_000,
  normEps: 1e-6,
  tieEmbeddings: true,
};

/** Every parameter of a model built with `seed`, as a safetensors file, plus `extra` tensors. */
async function checkpoint(seed: number, extra: Record<string, Float32Array> = {}): Promise<Uint8Array> {
  const source = new Qwen3Model(config, { generator: new Generator(seed) });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, variable] of source.namedParameters()) {
    tensors.set(name, { shape: variable.shape, data: (await variable.data()) as Float32Array });
  }
  for (const [name, data] of Object.entries(extra)) tensors.set(name, { shape: [data.length], data });
  source.dispose();
  return serializeSafetensors(tensors);
}

describe('loadWeights', () => {
  it('loads every tensor by name, ignoring a tied model’s stored lm_head.weight', async () => {
    const bytes = await checkpoint(1, { 'lm_head.weight': new Float32Array(3) });
    const model = new Qwen3Model(config, { generator: new Generator(2) });
    loadWeights(model, bytes);
    const reference = new Qwen3Model(config, { generator: new Generator(1) });
    const ids = tf.tensor2d([[3, 1, 4]], [1, 3], 'int32');
    expect(await model.forward(ids).data()).toEqual(await reference.forward(ids).data());
    tf.dispose(ids);
    model.dispose();
    reference.dispose();
  });

  it('refuses a file with a tensor the model does not have', async () => {
    const bytes = await checkpoint(1, { 'model.layers.0.self_attn.q_proj.bias': new Float32Array(8) });
    const model = new Qwen3Model(config, { generator: new Generator(2) });
    expect(() => loadWeights(model, bytes)).toThrow(StateDictError);
    expect(() => loadWeights(model, bytes)).toThrow(/q_proj\.bias/);
    model.dispose();
  });
});
