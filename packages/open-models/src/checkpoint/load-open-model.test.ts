import { initBackend, type SafetensorsTensor, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { LLAMA3_PRESETS } from '../llama3/config.js';
import { fixtureTensors, intTensor } from '../test-support/fixtures.js';
import {
  bf16Safetensors,
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
  roundToBF16,
  shardedCheckpoint,
} from '../test-support/hf-checkpoint.js';
import { loadOpenModelCheckpoint } from './load-open-model.js';
import { type CheckpointReader, checkpointInMemory, checkpointOfBlobs } from './reader.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const checkpoint = (fixture: string, weights: Map<string, Uint8Array>, config = huggingFaceConfig(fixture)) =>
  checkpointInMemory(new Map([['config.json', jsonBytes(config)], ...weights]));

const single = (bytes: Uint8Array) => new Map([['model.safetensors', bytes]]);

async function logitsOf(files: CheckpointReader, fixture: string): Promise<Float32Array> {
  const { model } = await loadOpenModelCheckpoint(files);
  const ids = intTensor(fixtureTensors(fixture, 'io.safetensors')('input_ids'));
  const logits = model.eval().forward(ids);
  const values = (await logits.data()) as Float32Array;
  tf.dispose([ids, logits]);
  model.dispose();
  return values;
}

const withTensor = (tensors: Map<string, SafetensorsTensor>, name: string, tensor?: SafetensorsTensor) => {
  const copy = new Map(tensors);
  if (tensor) copy.set(name, tensor);
  else copy.delete(name);
  return copy;
};

describe('loadOpenModelCheckpoint', () => {
  it.each(['qwen3-tiny', 'llama3-tiny', 'gemma3-tiny'])(
    'builds %s from config.json + model.safetensors with PyTorch logits within 1e-4',
    async (fixture) => {
      const before = tf.memory().numTensors;
      const files = checkpoint(fixture, single(f32Safetensors(fixtureWeights(fixture))));
      const expected = fixtureTensors(fixture, 'io.safetensors')('logits').data;
      expect(maxAbsDiff(await logitsOf(files, fixture), expected)).toBeLessThanOrEqual(1e-4);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('reads BF16 weights as the float32 values they round to, exactly', async () => {
    const weights = fixtureWeights('qwen3-tiny');
    const rounded = new Map(
      [...weights].map(([name, t]) => [name, { ...t, data: roundToBF16(t.data as Float32Array) }]),
    );
    const fromBF16 = await logitsOf(checkpoint('qwen3-tiny', single(bf16Safetensors(weights))), 'qwen3-tiny');
    const fromRounded = await logitsOf(
      checkpoint('qwen3-tiny', single(f32Safetensors(rounded))),
      'qwen3-tiny',
    );
    const fromF32 = await logitsOf(checkpoint('qwen3-tiny', single(f32Safetensors(weights))), 'qwen3-tiny');
    expect(maxAbsDiff(fromBF16, fromRounded)).toBe(0);
    // Rounding moved the weights, so the logits moved too, by little.
    const moved = maxAbsDiff(fromBF16, fromF32);
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(0.05);
  });

  it('reads a sharded checkpoint, untied head included, as the single file', async () => {
    const weights = fixtureWeights('llama3-tiny');
    expect(weights.has('lm_head.weight')).toBe(true);
    const sharded = await logitsOf(checkpoint('llama3-tiny', shardedCheckpoint(weights, 2)), 'llama3-tiny');
    const whole = await logitsOf(checkpoint('llama3-tiny', single(f32Safetensors(weights))), 'llama3-tiny');
    expect(maxAbsDiff(sharded, whole)).toBe(0);
  });

  it('reads a checkpoint of Blobs (a browser storage) by range, as from memory, in bf16 too', async () => {
    const weights = fixtureWeights('llama3-tiny');
    const files = new Map([
      ['config.json', jsonBytes(huggingFaceConfig('llama3-tiny'))],
      ...shardedCheckpoint(weights, 2),
    ]);
    const blobs = new Map(
      [...files].map(([name, bytes]) => [name, new Blob([bytes as Uint8Array<ArrayBuffer>])]),
    );
    // Every weight read through a slice of its Blob: never the file's bytes whole.
    const whole: string[] = [];
    const watched = new Map(
      [...blobs].map(([name, blob]) => {
        const spy = {
          size: blob.size,
          slice: blob.slice.bind(blob),
          text: blob.text.bind(blob),
          arrayBuffer: () => {
            whole.push(name);
            return blob.arrayBuffer();
          },
        } as Blob;
        return [name, spy];
      }),
    );
    expect(
      maxAbsDiff(
        await logitsOf(checkpointOfBlobs(watched), 'llama3-tiny'),
        await logitsOf(checkpointInMemory(files), 'llama3-tiny'),
      ),
    ).toBe(0);
    expect(whole).toEqual(['config.json', 'model.safetensors.index.json']);
    for (const weightPrecision of ['bf16', 'f16'] as const) {
      const fromBlobs = (await loadOpenModelCheckpoint(checkpointOfBlobs(blobs), { weightPrecision })).model;
      const fromMemory = (await loadOpenModelCheckpoint(checkpointInMemory(files), { weightPrecision }))
        .model;
      const [a, b] = [await fromBlobs.hostStateDict(), await fromMemory.hostStateDict()];
      expect([...a.keys()]).toEqual([...b.keys()]);
      for (const [name, tensor] of a) expect(tensor.data, name).toEqual(b.get(name)?.data);
      fromBlobs.dispose();
      fromMemory.dispose();
    }
    await expect(checkpointOfBlobs(blobs).read('config.json', 4)).rejects.toThrow(
      /^config\.json is \d+ bytes, more than the 4 it may have$/,
    );
  });

  it('refuses a shard the index names but the checkpoint lacks', async () => {
    const files = shardedCheckpoint(fixtureWeights('llama3-tiny'), 2);
    files.delete('model-00002-of-00002.safetensors');
    await expect(loadOpenModelCheckpoint(checkpoint('llama3-tiny', files))).rejects.toThrow(
      'model.safetensors.index.json names the shard model-00002-of-00002.safetensors, which the checkpoint lacks',
    );
  });

  it.each(['../model.safetensors', '/etc/model.safetensors', 'sub/model.safetensors', '..'])(
    'refuses the shard name %s before reading anything',
    async (shard) => {
      const files = new Map([
        ['model.safetensors.index.json', jsonBytes({ weight_map: { 'model.norm.weight': shard } })],
      ]);
      await expect(loadOpenModelCheckpoint(checkpoint('qwen3-tiny', files))).rejects.toThrow(
        `weight_map["model.norm.weight"] is ${JSON.stringify(shard)}; a shard must be a plain file name`,
      );
    },
  );

  it('refuses a checkpoint missing a weight, naming it', async () => {
    const weights = withTensor(fixtureWeights('qwen3-tiny'), 'model.layers.1.mlp.up_proj.weight');
    await expect(
      loadOpenModelCheckpoint(checkpoint('qwen3-tiny', single(f32Safetensors(weights)))),
    ).rejects.toThrow(/^model\.safetensors: Missing tensor 'model\.layers\.1\.mlp\.up_proj\.weight'/);
  });

  it('refuses a weight of the wrong shape, naming both shapes', async () => {
    const bad = { dtype: 'F32' as const, shape: [64], data: new Float32Array(64) };
    const weights = withTensor(fixtureWeights('qwen3-tiny'), 'model.norm.weight', bad);
    weights.set('model.norm.weight', { ...bad, shape: [32, 2] });
    await expect(
      loadOpenModelCheckpoint(checkpoint('qwen3-tiny', single(f32Safetensors(weights)))),
    ).rejects.toThrow("Tensor 'model.norm.weight' has shape [32, 2] but the model expects [64]");
  });

  it('refuses a non-finite weight, naming the file and the tensor', async () => {
    const data = new Float32Array(64).fill(1);
    data[5] = Number.NaN;
    const weights = withTensor(fixtureWeights('qwen3-tiny'), 'model.norm.weight', {
      dtype: 'F32',
      shape: [64],
      data,
    });
    await expect(
      loadOpenModelCheckpoint(checkpoint('qwen3-tiny', single(f32Safetensors(weights)))),
    ).rejects.toThrow("model.safetensors: tensor 'model.norm.weight' holds NaN at index 5");
  });

  it('refuses an unknown model_type, listing the supported families', async () => {
    const config = { ...huggingFaceConfig('qwen3-tiny'), model_type: 'mistral' };
    await expect(loadOpenModelCheckpoint(checkpoint('qwen3-tiny', new Map(), config))).rejects.toThrow(
      'config.json: model_type "mistral" is not a family scratchgpt\'s open models load; supported: qwen3 (Qwen3ForCausalLM), llama (LlamaForCausalLM), gemma3_text (Gemma3ForCausalLM)',
    );
  });

  it('recognises the family from architectures when model_type is absent', async () => {
    const { model_type: _, ...config } = huggingFaceConfig('qwen3-tiny');
    const files = checkpoint('qwen3-tiny', single(f32Safetensors(fixtureWeights('qwen3-tiny'))), config);
    const { model } = await loadOpenModelCheckpoint(files);
    expect(model.config.family).toBe('Qwen3');
    model.dispose();
  });

  it('loads the same read tensor by tensor as read whole, sharded or not, leaking nothing', async () => {
    const weights = fixtureWeights('llama3-tiny');
    for (const files of [shardedCheckpoint(weights, 3), single(f32Safetensors(weights))]) {
      const streamed = checkpoint('llama3-tiny', files);
      expect(streamed.ranges).toBeDefined();
      const { ranges: _, ...whole } = streamed;
      const before = tf.memory().numTensors;
      expect(await logitsOf(streamed, 'llama3-tiny')).toEqual(await logitsOf(whole, 'llama3-tiny'));
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it.each(['qwen3-tiny', 'gemma3-tiny'])(
    'loads %s from BF16 straight into bf16: the weights of the float32 load stored in bf16, either way',
    async (fixture) => {
      const files = checkpoint(fixture, single(bf16Safetensors(fixtureWeights(fixture))));
      const { ranges: _, ...whole } = files;
      const expected = (await loadOpenModelCheckpoint(files)).model;
      await expected.storeWeights('bf16');
      const state = async (model: typeof expected) => {
        const out = new Map<string, number[]>();
        for await (const [name, tensor] of model.hostStateEntries()) out.set(name, [...tensor.data]);
        return out;
      };
      for (const reader of [files, whole]) {
        const before = tf.memory().numTensors;
        const { model } = await loadOpenModelCheckpoint(reader, { weightPrecision: 'bf16' });
        expect(model.numParameters({ trainable: true })).toBe(expected.numParameters({ trainable: true }));
        expect(await state(model)).toEqual(await state(expected));
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
      expected.dispose();
    },
  );

  it('refuses a bad shard with the same error either way, leaking nothing', async () => {
    const data = new Float32Array(64).fill(1);
    data[7] = Number.POSITIVE_INFINITY;
    const nan = withTensor(fixtureWeights('llama3-tiny'), 'model.norm.weight', {
      dtype: 'F32',
      shape: [64],
      data,
    });
    const missing = withTensor(fixtureWeights('llama3-tiny'), 'model.layers.0.self_attn.q_proj.weight');
    const moved = shardedCheckpoint(fixtureWeights('llama3-tiny'), 2);
    const index = JSON.parse(new TextDecoder().decode(moved.get('model.safetensors.index.json')));
    index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    moved.set('model.safetensors.index.json', jsonBytes(index));
    const cases: Array<[Map<string, Uint8Array>, string | RegExp]> = [
      [
        shardedCheckpoint(nan, 2),
        /^model-0000\d-of-00002\.safetensors: tensor 'model\.norm\.weight' holds Infinity at index 7/,
      ],
      [
        shardedCheckpoint(missing, 2),
        /^model\.safetensors\.index\.json: Missing tensor 'model\.layers\.0\.self_attn\.q_proj\.weight'/,
      ],
      [
        moved,
        /holds model\.norm\.weight, which model\.safetensors\.index\.json places in model-00001-of-00002\.safetensors/,
      ],
    ];
    for (const [files, error] of cases) {
      const streamed = checkpoint('llama3-tiny', files);
      const { ranges: _, ...whole } = streamed;
      const before = tf.memory().numTensors;
      await expect(loadOpenModelCheckpoint(streamed)).rejects.toThrow(error);
      await expect(loadOpenModelCheckpoint(whole)).rejects.toThrow(error);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('refuses a checkpoint with neither weights file', async () => {
    await expect(loadOpenModelCheckpoint(checkpoint('qwen3-tiny', new Map()))).rejects.toThrow(
      'The checkpoint has neither model.safetensors nor model.safetensors.index.json',
    );
  });
});

const wasm = (await findTestBackends()).find(({ backend }) => backend === 'wasm');

describe('loadOpenModelCheckpoint on wasm', () => {
  it.skipIf(!wasm?.available)(
    'refuses Llama 3.2 1B from its config.json before reading a weight',
    async () => {
      await initBackend({ prefer: 'wasm' });
      const p = LLAMA3_PRESETS['3.2-1B'];
      const config = {
        model_type: 'llama',
        vocab_size: p.vocabSize,
        max_position_embeddings: p.contextLength,
        hidden_size: p.embDim,
        num_attention_heads: p.nHeads,
        num_key_value_heads: p.nKvGroups,
        head_dim: p.headDim,
        intermediate_size: p.hiddenDim,
        num_hidden_layers: p.nLayers,
        rope_theta: p.ropeBase,
        rms_norm_eps: p.normEps,
        tie_word_embeddings: p.tieEmbeddings,
      };
      const reads: string[] = [];
      const inner = checkpointInMemory(new Map([['config.json', jsonBytes(config)]]));
      const files: CheckpointReader = {
        has: async () => true,
        read: async (name, max) => {
          reads.push(name);
          return inner.read(name, max);
        },
      };
      await expect(loadOpenModelCheckpoint(files)).rejects.toThrow(
        /float32 weights take 4\.6 GiB, more than the 4\.0 GiB .*or store the weights in 16 bits \(bf16\), which halves this/,
      );
      expect(reads).toEqual(['config.json']);
      // Built in bf16 it fits: the check passes and the loader goes on to the weights (absent here).
      await expect(loadOpenModelCheckpoint(files, { weightPrecision: 'bf16' })).rejects.toThrow(
        /^model\.safetensors\.index\.json: /,
      );
      expect(reads).toEqual(['config.json', 'config.json', 'model.safetensors.index.json']);
      await initBackend({ prefer: 'cpu' });
    },
  );
});
