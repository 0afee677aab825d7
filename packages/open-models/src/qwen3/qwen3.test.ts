import { applyLoRA } from '@scratchgpt/lora';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { trainModel } from '@scratchgpt/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { QWEN3_PRESETS, type Qwen3Config } from './config.js';
import { countQwen3Parameters, Qwen3Model } from './model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const tiny: Qwen3Config = {
  vocabSize: 50,
  contextLength: 16,
  embDim: 32,
  nHeads: 4,
  nKvGroups: 2,
  headDim: 12,
  hiddenDim: 48,
  nLayers: 2,
  ropeBase: 1_000_000,
  normEps: 1e-6,
  tieEmbeddings: true,
};

describe('Qwen3', () => {
  it('counts the published models: 596,049,920 (0.6B) and 1,720,574,976 (1.7B)', () => {
    expect(countQwen3Parameters(QWEN3_PRESETS['0.6B'])).toBe(596_049_920);
    expect(countQwen3Parameters(QWEN3_PRESETS['1.7B'])).toBe(1_720_574_976);
  });

  it('has as many parameters as it counts, under the Hugging Face names', () => {
    for (const tieEmbeddings of [true, false]) {
      const model = new Qwen3Model({ ...tiny, tieEmbeddings }, { generator: new Generator(0) });
      expect(model.numParameters()).toBe(countQwen3Parameters({ ...tiny, tieEmbeddings }));
      const names = model.namedParameters().map(([name]) => name);
      expect(names.filter((name) => name.startsWith('model.layers.0.'))).toEqual([
        'model.layers.0.self_attn.q_proj.weight',
        'model.layers.0.self_attn.k_proj.weight',
        'model.layers.0.self_attn.v_proj.weight',
        'model.layers.0.self_attn.o_proj.weight',
        'model.layers.0.self_attn.q_norm.weight',
        'model.layers.0.self_attn.k_norm.weight',
        'model.layers.0.mlp.gate_proj.weight',
        'model.layers.0.mlp.up_proj.weight',
        'model.layers.0.mlp.down_proj.weight',
        'model.layers.0.input_layernorm.weight',
        'model.layers.0.post_attention_layernorm.weight',
      ]);
      expect(names[0]).toBe('model.embed_tokens.weight');
      expect(names.includes('lm_head.weight')).toBe(!tieEmbeddings);
      expect(names.includes('model.norm.weight')).toBe(true);
      model.dispose();
    }
  });

  it('takes LoRA on every projection, which changes nothing until trained', async () => {
    const model = new Qwen3Model(tiny, { generator: new Generator(1) });
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const before = await model.forward(ids).data();
    applyLoRA(model, { rank: 2, alpha: 4, generator: new Generator(2) });
    const loraNames = model.namedParameters().filter(([name]) => name.includes('lora'));
    expect(loraNames).toHaveLength(2 * 7 * 2); // A and B on 7 projections in each of 2 layers
    expect(await model.forward(ids).data()).toEqual(before);
    ids.dispose();
    model.dispose();
  });

  it('refuses bad configs, naming the field and the fix', () => {
    expect(() => new Qwen3Model({ ...tiny, nKvGroups: 3 })).toThrow(
      /Qwen3 config: nHeads \(4\) must be a multiple of nKvGroups \(3\)/,
    );
    expect(() => new Qwen3Model({ ...tiny, headDim: 7 })).toThrow(/headDim must be even/);
    expect(() => new Qwen3Model({ ...tiny, nLayers: 0 })).toThrow(
      /nLayers must be a positive integer, got 0/,
    );
    const { normEps: _, ...missing } = tiny;
    expect(() => new Qwen3Model(missing as Qwen3Config)).toThrow(/Qwen3 config: missing normEps/);
    expect(() => new Qwen3Model({ ...tiny, nKvGroup: 2 } as Qwen3Config)).toThrow(/unknown field nKvGroup/);
  });

  it('gives its hidden states for the fused loss: the head applied to them is forward', async () => {
    const model = new Qwen3Model(tiny, { generator: new Generator(6) });
    const ids = tf.tensor2d([[5, 6, 7]], [1, 3], 'int32');
    const hidden = model.hiddenStates!(ids);
    expect(hidden.shape).toEqual([1, 3, tiny.embDim]);
    const viaHead = model.model.embedTokens.project(hidden);
    expect(await viaHead.data()).toEqual(await model.forward(ids).data());
    tf.dispose([ids, hidden, viaHead]);
    model.dispose();
  });

  it('refuses more tokens than the context and non-integer ids', () => {
    const model = new Qwen3Model(tiny, { generator: new Generator(3) });
    const long = tf.zeros([1, 17], 'int32');
    expect(() => model.forward(long)).toThrow(/17 tokens exceed Qwen3's context length 16/);
    const floats = tf.zeros([1, 2]);
    expect(() => model.forward(floats)).toThrow(/int32 token ids/);
    tf.dispose([long, floats]);
    model.dispose();
  });
});

describe('Qwen3 with LoRA in the trainer', () => {
  it('trains only the LoRA updates through trainModel', async () => {
    const model = new Qwen3Model(tiny, { generator: new Generator(4) });
    applyLoRA(model, { rank: 2, alpha: 4, generator: new Generator(5) });
    const snapshot = async () =>
      new Map(
        await Promise.all(model.namedParameters().map(async ([name, v]) => [name, await v.data()] as const)),
      );
    const before = await snapshot();
    const inputs = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % tiny.vocabSize);
    const targets = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 1) % tiny.vocabSize);
    const train = {
      length: 2,
      batchSize: 2,
      maxLength: 8,
      *batches() {
        for (let i = 0; i < 2; i++) yield { batchSize: 2, length: 8, inputs, targets };
      },
    };
    const losses: number[] = [];
    for await (const event of trainModel({ model, train, lr: 1e-2, epochs: 1 })) {
      if (event.event === 'step') losses.push(event.loss);
    }
    expect(losses).toHaveLength(2);
    for (const [name, values] of await snapshot()) {
      const moved = values.some((value, i) => value !== before.get(name)![i]);
      // The updates' A and B move (A by weight decay alone while B is still zero); the frozen base may not.
      expect(moved, name).toBe(name.endsWith('lora.B') || name.endsWith('lora.A'));
    }
    model.dispose();
  });
});
