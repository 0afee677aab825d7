import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as files from '@scratchgpt/files';
import {
  bytesAsRanges,
  Generator,
  initBackend,
  openSafetensorsRanges,
  parseSafetensors,
  serializeSafetensors,
  tf,
} from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GPTConfig, preset } from '../config.js';
import { GPTModel } from '../gpt-model.js';
import * as node from '../node.js';
import { loadCheckpoint, saveCheckpoint } from '../node.js';
import { configToJson } from './config-json.js';
import { CheckpointError } from './errors.js';
import { WEIGHTS_FILE } from './file-names.js';
import { loadModel, loadModelFromRanges } from './load.js';
import { serializeCheckpoint } from './save.js';

const small = (overrides: Partial<GPTConfig> = {}) =>
  preset('gpt-nano', { vocabSize: 40, contextLength: 8, dropRate: 0, ...overrides });
const ids = () => tf.tensor2d([[1, 5, 9, 3, 0, 39]], [1, 6], 'int32');

async function weightsOf(model: GPTModel): Promise<Map<string, Float32Array>> {
  const state = model.stateDict();
  const out = new Map<string, Float32Array>();
  for (const [name, tensor] of state) out.set(name, (await tensor.data()) as Float32Array);
  tf.dispose([...state.values()]);
  return out;
}

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe.each([
  ['hf', 'untied, no qkv bias', {}],
  ['hf', 'tied, qkv bias', { tieWeights: true, qkvBias: true }],
  ['book', 'untied, qkv bias', { qkvBias: true }],
  ['book', 'tied, no qkv bias', { tieWeights: true }],
] as const)('a checkpoint saved in the %s layout (%s)', (layout, _, overrides) => {
  it('loads back bit-identical weights and logits', async () => {
    const model = new GPTModel(small(overrides), { generator: new Generator(3) }).eval();
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-checkpoint-'));
    await saveCheckpoint(model, directory, { layout, metadata: { step: '7' } });
    expect((await readdir(directory)).sort()).toEqual(['config.json', 'model.safetensors']);
    // Written tensor by tensor, the file is byte for byte what the whole-file writer makes.
    const whole = await serializeCheckpoint(model, { layout, metadata: { step: '7' } });
    expect(new Uint8Array(await readFile(join(directory, 'model.safetensors')))).toEqual(whole.weights);
    const loaded = await loadCheckpoint(directory);
    expect(loaded.layout).toBe(layout);
    expect(loaded.metadata).toEqual({ step: '7', format: 'pt', producer: 'scratchgpt', layout });
    expect(loaded.config).toEqual({ ...model.config, tieWeights: 'tieWeights' in overrides });
    expect(await weightsOf(loaded.model)).toEqual(await weightsOf(model));
    expect(await loaded.model.eval().forward(ids()).data()).toEqual(await model.forward(ids()).data());
    model.dispose();
    loaded.model.dispose();
  });
});

describe('the Hugging Face layout', () => {
  it('fuses query, key and value into c_attn as [in, 3·out] and transposes Linear weights', async () => {
    const model = new GPTModel(small({ qkvBias: true }), { generator: new Generator(4) });
    const { weights, config } = await serializeCheckpoint(model);
    expect(config).toMatchObject({ n_embd: 48, n_head: 3, n_layer: 3, n_positions: 8, vocab_size: 40 });
    const file = parseSafetensors(weights);
    expect(file.metadata).toEqual({ format: 'pt', producer: 'scratchgpt', layout: 'hf' });
    const cAttn = file.tensors.get('h.0.attn.c_attn.weight')!;
    expect(cAttn.shape).toEqual([48, 144]);
    const wKey = (await model.trfBlocks.at(0).att.wKey.weight.array()) as number[][];
    // c_attn[i][48 + j] = W_key[j][i]
    expect(cAttn.data[2 * 144 + 48 + 5]).toBe(wKey[5]![2]);
    expect(file.tensors.get('h.0.mlp.c_fc.weight')!.shape).toEqual([48, 192]);
    expect(file.tensors.has('lm_head.weight')).toBe(true);
    expect([...file.tensors.keys()].every((name) => !name.includes('trf_blocks'))).toBe(true);
    model.dispose();
  });

  it('accepts the transformer. prefix, buffers, and F16 weights', async () => {
    const model = new GPTModel(small({ tieWeights: true }), { generator: new Generator(5) });
    const { weights, config } = await serializeCheckpoint(model);
    const file = parseSafetensors(weights);
    const header: Record<string, unknown> = {};
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const add = (name: string, dtype: string, shape: number[], bytes: Uint8Array) => {
      header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
      chunks.push(bytes);
      offset += bytes.length;
    };
    for (const [name, tensor] of file.tensors) {
      // Round every weight to half precision, as a GPT-2 F16 export would.
      const halves = new Uint16Array(tensor.data.length);
      tensor.data.forEach((v, i) => {
        halves[i] = toHalf(v);
      });
      add(`transformer.${name}`, 'F16', tensor.shape, new Uint8Array(halves.buffer));
    }
    add('transformer.h.0.attn.bias', 'F32', [1, 1, 8, 8], new Uint8Array(256));
    const json = JSON.stringify(header);
    const bytes = new Uint8Array(8 + json.length + offset);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(new TextEncoder().encode(json), 8);
    let cursor = 8 + json.length;
    for (const chunk of chunks) {
      bytes.set(chunk, cursor);
      cursor += chunk.length;
    }
    const loaded = loadModel(config, bytes);
    // Read tensor by tensor from disk, the F16 file gives the very same float32 weights.
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-f16-'));
    await writeFile(join(directory, 'config.json'), JSON.stringify(config));
    await writeFile(join(directory, 'model.safetensors'), bytes);
    const streamed = await loadCheckpoint(directory);
    expect(await weightsOf(streamed.model)).toEqual(await weightsOf(loaded.model));
    streamed.model.dispose();
    await rm(directory, { recursive: true });
    const original = (await model.tokEmb.weight().data()) as Float32Array;
    const reloaded = (await loaded.model.tokEmb.weight().data()) as Float32Array;
    // Half precision keeps 11 significant bits.
    let worstRatio = 0;
    for (const [i, v] of original.entries()) {
      worstRatio = Math.max(worstRatio, Math.abs(reloaded[i]! - v) / (Math.abs(v) * 2 ** -11 + 1e-7));
    }
    expect(worstRatio).toBeLessThanOrEqual(1);
    expect(loaded.config.tieWeights).toBe(true);
    model.dispose();
    loaded.model.dispose();
  });
});

/** float32 → IEEE binary16 bits, rounding to nearest even (normal range only, enough for weights). */
function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0) return sign;
  const mantissa = bits & 0x7fffff;
  let half = sign | (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return half;
}

/**
 * Refused, with the same error, whether the file is parsed whole or read tensor by tensor; the streamed
 * path leaves no tensor behind.
 */
async function expectRefused(config: unknown, weights: Uint8Array, error: string | RegExp | Error) {
  expect(() => loadModel(config, weights)).toThrow(error);
  const before = tf.memory().numTensors;
  const streamed = openSafetensorsRanges(bytesAsRanges(weights), WEIGHTS_FILE).then((file) =>
    loadModelFromRanges(config, file),
  );
  await expect(streamed).rejects.toThrow(error);
  expect(tf.memory().numTensors).toBe(before);
}

describe('bad checkpoints', () => {
  let good: { config: Record<string, unknown>; weights: Uint8Array };

  beforeAll(async () => {
    const model = new GPTModel(small(), { generator: new Generator(6) });
    good = await serializeCheckpoint(model);
    model.dispose();
  });

  const withTensors = (edit: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void) => {
    const file = parseSafetensors(good.weights);
    const tensors = new Map(
      [...file.tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data as Float32Array }]),
    );
    edit(tensors);
    return serializeSafetensors(tensors);
  };

  it('a missing tensor is named with the shape expected', async () => {
    const weights = withTensors((t) => t.delete('h.1.mlp.c_fc.bias'));
    await expectRefused(
      good.config,
      weights,
      new CheckpointError(
        "model.safetensors is missing tensor 'h.1.mlp.c_fc.bias' (expected shape [192] by config.json (vocab_size 40, n_positions 8, n_embd 48, n_layer 3))",
      ),
    );
  });

  it('a mis-shaped tensor is named with both shapes', async () => {
    const weights = withTensors((t) =>
      t.set('h.0.attn.c_proj.weight', { shape: [48, 47], data: new Float32Array(48 * 47) }),
    );
    await expectRefused(
      good.config,
      weights,
      "model.safetensors: tensor 'h.0.attn.c_proj.weight' has shape [48, 47] but config.json (vocab_size 40, n_positions 8, n_embd 48, n_layer 3) expects [48, 48]",
    );
  });

  it('a config that disagrees with the weights names the first tensor that does not fit', async () => {
    const config = { ...good.config, n_embd: 60, n_head: 3 };
    await expectRefused(
      config,
      good.weights,
      "model.safetensors: tensor 'wte.weight' has shape [40, 48] but config.json (vocab_size 40, n_positions 8, n_embd 60, n_layer 3) expects [40, 60]",
    );
    const fewerLayers = { ...good.config, n_layer: 2 };
    await expectRefused(
      fewerLayers,
      good.weights,
      /model\.safetensors has tensor 'h\.2\.ln_1\.weight', which a model of config\.json \(.*n_layer 2\) does not have/,
    );
  });

  it('a truncated file and an unknown dtype are caught before any tensor is built', async () => {
    await expectRefused(
      good.config,
      good.weights.subarray(0, good.weights.length - 100),
      /model\.safetensors: tensor '.*' has data_offsets \[\d+, \d+\] beyond the \d+ data bytes \(the file is truncated or corrupt\)/,
    );
    const json = JSON.stringify({ 'wte.weight': { dtype: 'F8_E5M2', shape: [2], data_offsets: [0, 2] } });
    const bytes = new Uint8Array(8 + json.length + 2);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(new TextEncoder().encode(json), 8);
    await expectRefused(good.config, bytes, /tensor 'wte.weight' has unknown dtype "F8_E5M2"/);
  });

  it('integer weights, unknown layouts and key-less configs are refused', async () => {
    const ints = serializeSafetensors({ 'wte.weight': { shape: [2], data: new Int32Array(2) } });
    await expectRefused(good.config, ints, "tensor 'wte.weight' is I32; weights must be F32, F16 or BF16");
    const other = serializeSafetensors({ 'encoder.weight': { shape: [2], data: new Float32Array(2) } });
    await expectRefused(good.config, other, /holds neither checkpoint layout/);
    await expectRefused({ hidden_size: 3 }, good.weights, /has neither the book's keys/);
    await expectRefused(
      { ...configToJson(small(), 'book'), n_heads: 'x' },
      good.weights,
      'config.json: "n_heads" must be a number, got "x"',
    );
  });

  it('qkv_bias false with nonzero c_attn biases is a contradiction', async () => {
    const weights = withTensors((t) => {
      const bias = t.get('h.0.attn.c_attn.bias')!;
      bias.data[0] = 0.5;
    });
    await expectRefused(
      good.config,
      weights,
      "config.json says qkv_bias false, but model.safetensors has nonzero values in 'h.0.attn.c_attn.bias'",
    );
  });

  it('a weight that is NaN or infinite is named, with where it is', async () => {
    const nan = withTensors((t) => {
      t.get('ln_f.weight')!.data[3] = Number.NaN;
    });
    await expectRefused(
      good.config,
      nan,
      "model.safetensors: tensor 'ln_f.weight' holds NaN at index 3: the checkpoint is damaged, or was saved after training diverged",
    );
    const infinite = withTensors((t) => {
      t.get('wte.weight')!.data[100] = Number.NEGATIVE_INFINITY;
    });
    await expectRefused(good.config, infinite, "tensor 'wte.weight' holds -Infinity at index 100");
  });

  it('a config that contradicts the weights or mistypes a flag is refused', async () => {
    // The config says the head is separate; the file has none.
    expect(good.config.tie_word_embeddings).toBe(false);
    const headless = withTensors((t) => t.delete('lm_head.weight'));
    await expectRefused(
      good.config,
      headless,
      "config.json says tie_word_embeddings: false, but model.safetensors has no 'lm_head.weight': the head is missing (or set tie_word_embeddings to true if it is tied)",
    );
    await expectRefused(
      { ...good.config, qkv_bias: 'false' },
      good.weights,
      'config.json: "qkv_bias" must be true or false, got "false"',
    );
  });

  it('a directory without the files says what a checkpoint holds', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-empty-'));
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      `No config.json in ${directory}: a checkpoint directory holds config.json and model.safetensors`,
    );
    await writeFile(join(directory, 'config.json'), '{"vocab_size": ');
    await expect(loadCheckpoint(directory)).rejects.toThrow(/config\.json is not valid JSON/);
    await writeFile(join(directory, 'config.json'), '{"n_layer": 1, "n_layer": 2}');
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      /config\.json is not valid JSON \(duplicate key "n_layer"/,
    );
    const nested = await mkdtemp(join(tmpdir(), 'scratchgpt-dir-config-'));
    await mkdir(join(nested, 'config.json'));
    await expect(loadCheckpoint(nested)).rejects.toThrow(
      `${join(nested, 'config.json')} is a directory: config.json must be a file`,
    );
  });

  it('only regular files of a plausible size are read: no FIFO, device or 200 MB config.json', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-special-'));
    const model = new GPTModel(small(), { generator: new Generator(1) });
    await saveCheckpoint(model, directory);
    model.dispose();
    const weights = join(directory, 'model.safetensors');
    await rm(weights);
    execFileSync('mkfifo', [weights]);
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      new CheckpointError(`${weights} is not a regular file (a FIFO): give a file`),
    );
    const config = join(directory, 'config.json');
    await rm(config);
    await symlink('/dev/zero', config);
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      new CheckpointError(`${config} is not a regular file (a device): give a file`),
    );
    await rm(config);
    await writeFile(config, '{}');
    await truncate(config, 200_000_000); // sparse: no disk or memory taken
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      `${config} is 200,000,000 bytes, more than the 4,194,304 such a file can take`,
    );
    await rm(directory, { recursive: true });
  });
});

describe('a weights file read tensor by tensor from disk', () => {
  async function savedCheckpoint(): Promise<{ directory: string; model: GPTModel }> {
    const model = new GPTModel(small(), { generator: new Generator(8) });
    const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-streamed-'));
    await saveCheckpoint(model, directory);
    return { directory, model };
  }

  it('saves and loads vocabulary tables cut into shards as whole tensors, in both layouts', async () => {
    const model = new GPTModel(small(), { generator: new Generator(9), maxShardBytes: 2048 });
    for (const layout of ['book', 'hf'] as const) {
      const directory = await mkdtemp(join(tmpdir(), 'scratchgpt-shards-'));
      await saveCheckpoint(model, directory, { layout });
      const whole = await serializeCheckpoint(model, { layout });
      expect(new Uint8Array(await readFile(join(directory, 'model.safetensors')))).toEqual(whole.weights);
      const loaded = await loadCheckpoint(directory, { maxShardBytes: 2048 });
      expect(await weightsOf(loaded.model)).toEqual(await weightsOf(model));
      loaded.model.dispose();
      await rm(directory, { recursive: true });
    }
    model.dispose();
  });

  it('reads BF16 weights as the float32 values they stand for', async () => {
    const { directory, model } = await savedCheckpoint();
    const file = parseSafetensors(await readFile(join(directory, 'model.safetensors')));
    const header: Record<string, unknown> = {};
    const pieces: Uint8Array[] = [];
    let offset = 0;
    for (const [name, tensor] of file.tensors) {
      // bfloat16 is the top half of a float32: truncating keeps values a float32 holds exactly.
      const words = new Uint32Array(Float32Array.from(tensor.data).buffer);
      const halves = Uint16Array.from(words, (word) => word >>> 16);
      header[name] = {
        dtype: 'BF16',
        shape: tensor.shape,
        data_offsets: [offset, offset + halves.byteLength],
      };
      pieces.push(new Uint8Array(halves.buffer));
      offset += halves.byteLength;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + json.length + offset);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    let cursor = 8 + json.length;
    for (const piece of pieces) {
      bytes.set(piece, cursor);
      cursor += piece.length;
    }
    await writeFile(join(directory, 'model.safetensors'), bytes);
    const loaded = await loadCheckpoint(directory);
    const expected = new Uint32Array(((await model.tokEmb.weight().data()) as Float32Array).slice().buffer);
    for (let i = 0; i < expected.length; i++) expected[i] = (expected[i]! >>> 16) << 16;
    expect((await loaded.model.tokEmb.weight().data()) as Float32Array).toEqual(
      new Float32Array(expected.buffer),
    );
    model.dispose();
    loaded.model.dispose();
    await rm(directory, { recursive: true });
  });

  it('refuses a file cut short on disk, from its header, before any weight is read', async () => {
    const { directory, model } = await savedCheckpoint();
    const path = join(directory, 'model.safetensors');
    await truncate(path, (await readFile(path)).length - 100);
    const before = tf.memory().numTensors;
    await expect(loadCheckpoint(directory)).rejects.toThrow(
      /model\.safetensors: tensor 'lm_head\.weight' has data_offsets \[\d+, \d+\] beyond the \d+ data bytes \(the file is truncated or corrupt\)/,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    await rm(directory, { recursive: true });
  });

  it('refuses a file that shrinks after its header was read, naming it, and leaks no tensor', async () => {
    const { directory, model } = await savedCheckpoint();
    const path = join(directory, 'model.safetensors');
    const size = (await readFile(path)).length;
    const file = await files.openFileRanges(path);
    let cut = false;
    const shrinking = {
      byteLength: file.byteLength,
      read: async (position: number, into: Uint8Array) => {
        // The header is read whole first; the first tensor's read finds the file cut in half.
        if (position > 0 && !cut) {
          cut = true;
          await truncate(path, size / 2);
        }
        return file.read(position, into);
      },
    };
    const before = tf.memory().numTensors;
    const weights = await openSafetensorsRanges(shrinking, path);
    await expect(
      loadModelFromRanges(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8')), weights),
    ).rejects.toThrow(
      `${path} ended at byte ${(size / 2).toLocaleString('en-US')} but was ${size.toLocaleString('en-US')} bytes when opened: it changed while it was read; read it again once nothing writes it`,
    );
    expect(tf.memory().numTensors).toBe(before);
    await file.close();
    model.dispose();
    await rm(directory, { recursive: true });
  });
});

describe('atomic writes and bounded reads', () => {
  it('are those of @scratchgpt/files, still exported here', () => {
    expect(node.writeFileAtomic).toBe(files.writeFileAtomic);
    expect(node.readRegularFile).toBe(files.readRegularFile);
    expect(node.openRegularFile).toBe(files.openRegularFile);
    expect(node.FileKindError).toBe(files.FileKindError);
  });
});
