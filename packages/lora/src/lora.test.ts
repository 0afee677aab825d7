import { GPTModel } from '@scratchgpt/gpt-model';
import {
  Generator,
  initBackend,
  Linear,
  serializeSafetensors,
  type TensorToWrite,
  tf,
} from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdapterError, loadAdapters, serializeAdapters } from './adapters.js';
import { applyLoRA, isLinearWithLoRA, loraLayers, maxLoRARank } from './apply.js';
import { LoRALayer } from './lora-layer.js';
import { mergeLoRA } from './merge.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const config = {
  vocabSize: 40,
  contextLength: 8,
  embDim: 16,
  nHeads: 2,
  nLayers: 2,
  dropRate: 0,
  qkvBias: true,
  tieWeights: true,
};
const ids = () =>
  tf.tensor2d(
    [
      [1, 5, 9, 3, 7],
      [2, 2, 30, 11, 0],
    ],
    undefined,
    'int32',
  );

function model(seed: number): GPTModel {
  return new GPTModel(config, { generator: new Generator(seed) }).eval();
}

/** B moved away from zero, as training would, so that an update changes the output. */
function perturb(layers: Map<string, LoRALayer>, seed: number): void {
  const generator = new Generator(seed);
  for (const layer of layers.values()) {
    layer.B.assign(tf.tensor(generator.normalArray(layer.B.size, 0, 0.5), layer.B.shape));
  }
}

describe('LoRALayer', () => {
  it('starts A uniform in ±1/√rank and B at zero, and computes scale · x·A·B', async () => {
    const layer = new LoRALayer(64, 3, { rank: 16, alpha: 8, generator: new Generator(1) });
    const a = await layer.A.data();
    expect(layer.A.shape).toEqual([64, 16]);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.24);
    expect([...(await layer.B.data())].every((v) => v === 0)).toBe(true);
    expect(layer.scale).toBe(0.5);
    layer.B.assign(tf.ones([16, 3]));
    const x = tf.ones([1, 64]);
    // each output: 0.5 · Σ_i Σ_r A[i, r] (x and B are ones)
    const expected = 0.5 * [...a].reduce((sum, v) => sum + v, 0);
    const out = await layer.forward(x).data();
    for (const value of out) expect(value).toBeCloseTo(expected, 4);
    layer.dispose();
  });

  it("scales by alpha alone with scaling 'alpha' (the printed book), and refuses bad settings", () => {
    expect(new LoRALayer(4, 4, { rank: 2, alpha: 8, scaling: 'alpha' }).scale).toBe(8);
    expect(() => new LoRALayer(4, 4, { rank: 0, alpha: 1 })).toThrow(/rank must be an integer ≥ 1/);
    expect(() => new LoRALayer(4, 4, { rank: 2, alpha: -1 })).toThrow(/alpha must be a number > 0/);
  });
});

describe('applyLoRA', () => {
  it('freezes the model, wraps every Linear, and changes no output', async () => {
    const gpt = model(3);
    const before = await gpt.forward(ids()).data();
    const layers = applyLoRA(gpt, { rank: 4, alpha: 4, generator: new Generator(5) });
    expect([...layers.keys()]).toEqual(
      [0, 1].flatMap((i) =>
        ['att.W_query', 'att.W_key', 'att.W_value', 'att.out_proj', 'ff.layers.0', 'ff.layers.2'].map(
          (name) => `trf_blocks.${i}.${name}`,
        ),
      ),
    );
    const trainable = gpt
      .namedParameters()
      .filter(([, v]) => v.trainable)
      .map(([name]) => name);
    expect(trainable).toEqual([...layers.keys()].flatMap((name) => [`${name}.lora.A`, `${name}.lora.B`]));
    // (16·4 + 4·16)·4 attention + (16·4 + 4·64) + (64·4 + 4·16) feed-forward, per block
    expect(gpt.numParameters({ trainable: true })).toBe(2 * (4 * 128 + 320 + 320));
    expect(await gpt.forward(ids()).data()).toEqual(before);
    expect(() => applyLoRA(gpt, { rank: 2, alpha: 2 })).toThrow(
      /'trf_blocks.0.att.W_query' already carries an adapter/,
    );
    gpt.dispose();
  });

  it("counts the book's 221,184 LoRA parameters per GPT-2 block at rank 16", () => {
    const block = new GPTModel(
      { ...config, embDim: 768, nHeads: 12, nLayers: 1 },
      { generator: new Generator(1) },
    );
    applyLoRA(block, { rank: 16, alpha: 16 });
    expect(block.numParameters({ trainable: true })).toBe(221_184);
    block.dispose();
  });

  it("refuses a rank above a layer's larger side before allocating any update", () => {
    const gpt = model(3);
    expect(maxLoRARank(gpt)).toBe(16);
    expect(() => applyLoRA(gpt, { rank: 100_000, alpha: 1 })).toThrow(
      "LoRA rank 100000 is above what this model takes: at most 16 (the larger side of 'trf_blocks.0.att.W_query', 16 → 16)",
    );
    expect(loraLayers(gpt).size).toBe(0);
    // the book's class head (wide → 2 classes) takes a rank above 2
    const head = new Linear(16, 2, { generator: new Generator(1) });
    expect(applyLoRA(head, { rank: 16, alpha: 16 }).get('')?.rank).toBe(16);
    gpt.dispose();
    head.dispose();
  });

  it('wraps only the layers chosen', () => {
    const gpt = model(3);
    const layers = applyLoRA(gpt, { rank: 2, alpha: 2, include: (name) => name.endsWith('W_query') });
    expect([...layers.keys()]).toEqual(['trf_blocks.0.att.W_query', 'trf_blocks.1.att.W_query']);
    expect(isLinearWithLoRA(gpt.trfBlocks.at(0).att.wKey)).toBe(false);
    expect(() => applyLoRA(model(1), { rank: 2, alpha: 2, include: () => false })).toThrow(/no Linear layer/);
    gpt.dispose();
  });
});

describe('mergeLoRA', () => {
  it('folds the updates into the weights: the same outputs, as plain Linears', async () => {
    const gpt = model(3);
    perturb(applyLoRA(gpt, { rank: 3, alpha: 6, generator: new Generator(2) }), 7);
    const unmerged = await gpt.forward(ids()).data();
    const base = await model(3).forward(ids()).data();
    expect(Math.max(...unmerged.map((v, i) => Math.abs(v - (base[i] as number))))).toBeGreaterThan(0.01);
    const merged = mergeLoRA(gpt);
    expect(merged).toHaveLength(12);
    expect(loraLayers(gpt).size).toBe(0);
    expect(gpt.namedParameters().some(([name]) => name.includes('lora'))).toBe(false);
    const after = await gpt.forward(ids()).data();
    expect(Math.max(...after.map((v, i) => Math.abs(v - (unmerged[i] as number))))).toBeLessThan(1e-5);
    gpt.dispose();
  });

  it('leaves no tensor behind', () => {
    const gpt = model(3);
    const start = tf.memory().numTensors;
    applyLoRA(gpt, { rank: 2, alpha: 2 });
    mergeLoRA(gpt);
    expect(tf.memory().numTensors).toBe(start);
    gpt.dispose();
  });
});

describe('adapters saved alone', () => {
  it('round-trip onto a fresh copy of the base model: the same outputs, bit for bit', async () => {
    const tuned = model(3);
    perturb(applyLoRA(tuned, { rank: 2, alpha: 4, scaling: 'alpha', generator: new Generator(2) }), 9);
    const bytes = await serializeAdapters(tuned);
    const fresh = model(3);
    const layers = loadAdapters(fresh, bytes);
    expect(layers.size).toBe(12);
    expect([...layers.values()].every((layer) => layer.scaling === 'alpha' && layer.scale === 4)).toBe(true);
    expect(await fresh.forward(ids()).data()).toEqual(await tuned.forward(ids()).data());
    // the file holds the updates only: 12 × (16·2 + 2·16 or 2·64 …) floats, far less than the model
    expect(bytes.byteLength).toBeLessThan(tuned.numParameters());
    tuned.dispose();
    fresh.dispose();
  });

  it('names what is wrong with a file that does not fit', async () => {
    const tuned = model(3);
    applyLoRA(tuned, { rank: 2, alpha: 2 });
    const bytes = await serializeAdapters(tuned);
    const wider = new GPTModel({ ...config, embDim: 24, nHeads: 2 }).eval();
    expect(() => loadAdapters(wider, bytes, 'a.safetensors')).toThrow(
      /^a\.safetensors: Tensor 'trf_blocks\.0\.att\.W_query\.lora\.A' has shape \[16, 2\] but the model expects \[24, 2\]/,
    );
    const deeper = { ...config, nLayers: 1 };
    expect(() => loadAdapters(new GPTModel(deeper), bytes, 'a.safetensors')).toThrow(
      /a\.safetensors has an update for 'trf_blocks\.1\.att\.W_query', which is not a Linear layer of this model/,
    );
    const plain = serializeSafetensors({ x: { shape: [1], data: new Float32Array(1) } });
    expect(() => loadAdapters(model(1), plain, 'b.safetensors')).toThrow(AdapterError);
    expect(() => loadAdapters(model(1), plain, 'b.safetensors')).toThrow(
      /b\.safetensors is not a LoRA adapter file/,
    );
    await expect(serializeAdapters(model(1))).rejects.toThrow(/carries no LoRA updates/);
    tuned.dispose();
  });

  it('checks every tensor against the metadata, the layers and the weights rules before allocating', () => {
    const name = 'trf_blocks.0.att.W_query.lora';
    const adapter = (rank: string, a: TensorToWrite, b: TensorToWrite) =>
      serializeSafetensors(
        new Map([
          [`${name}.A`, a],
          [`${name}.B`, b],
        ]),
        { format: 'scratchgpt-lora', rank, alpha: '1', scaling: 'rank' },
      );
    const floats = (rows: number, columns: number, value = 0.5) => ({
      shape: [rows, columns],
      data: new Float32Array(rows * columns).fill(value),
    });
    const cases: Array<[Uint8Array, string]> = [
      [
        adapter('99999999', floats(16, 2), floats(2, 16)),
        `c.safetensors: Tensor '${name}.A' has shape [16, 2] but the model expects [16, 99999999] (rank 99999999 in the file's metadata)`,
      ],
      [
        adapter('17', floats(16, 17), floats(17, 16)),
        'c.safetensors: rank 17 is above what this model takes (at most 16)',
      ],
      [
        adapter('2', floats(16, 2), floats(2, 16, Number.NaN)),
        `c.safetensors: tensor '${name}.B' holds NaN at index 0: the checkpoint is damaged, or was saved after training diverged`,
      ],
      [
        adapter('2', floats(16, 2), { shape: [2, 16], data: new Int32Array(32) }),
        `c.safetensors: tensor '${name}.B' is I32; weights must be F32, F16 or BF16`,
      ],
    ];
    for (const [bytes, message] of cases) {
      const gpt = model(1);
      expect(() => loadAdapters(gpt, bytes, 'c.safetensors')).toThrow(new AdapterError(message));
      expect(loraLayers(gpt).size).toBe(0);
      gpt.dispose();
    }
  });

  it('is a Linear wrapped in place: a standalone layer works the same way', async () => {
    const linear = new Linear(3, 2, { generator: new Generator(1) });
    const layers = applyLoRA(linear, { rank: 1, alpha: 1 });
    expect([...layers.keys()]).toEqual(['']);
    const update = layers.get('');
    expect(isLinearWithLoRA(linear)).toBe(true);
    update!.B.assign(tf.tensor2d([[1, -1]]));
    const x = tf.tensor2d([[1, 2, 3]]);
    const expected = tf.add(
      tf.add(tf.matMul(x, linear.weight, false, true), linear.bias!),
      update!.forward(x),
    );
    expect(await linear.forward(x).data()).toEqual(await expected.data());
    linear.dispose();
  });
});
