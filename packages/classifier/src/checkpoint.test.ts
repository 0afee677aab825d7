import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@scratchgpt/gpt-model';
import { loraLayers } from '@scratchgpt/lora';
import {
  Generator,
  initBackend,
  parseSafetensors,
  serializeSafetensors,
  type TensorToWrite,
  tf,
} from '@scratchgpt/tensor';
import { CharTokenizer, getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, serializeClassifier } from './checkpoint/files.js';
import {
  ClassifierFileError,
  classifierSettings,
  parseClassifierSettings,
  settingsToJson,
} from './checkpoint/settings.js';
import type { GPTClassifier } from './model/gpt-classifier.js';
import { isClassifierDirectory, loadClassifierDirectory, saveClassifier } from './node.js';
import { settingsOf, tinyClassifier } from './test-support/tiny.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const ids = () =>
  tf.tensor2d(
    [
      [464, 3290, 318, 257, 50256, 50256],
      [40, 588, 340, 13, 1374, 0],
    ],
    undefined,
    'int32',
  );
const lengths = [4, 6];

async function logits(model: GPTClassifier): Promise<Float32Array> {
  const out = model.eval().forward(ids(), lengths);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

describe('classifierSettings', () => {
  const trained = { classes: ['ham', 'spam'], maxLength: 120, tokenizer: getGPT2Tokenizer() };

  it("pads with the tokenizer's <|endoftext|>, with the book's defaults for what is not given", () => {
    expect(classifierSettings(trained)).toEqual({
      classes: ['ham', 'spam'],
      maxLength: 120,
      padTokenId: 50256,
      pooling: 'last',
      trainable: 'last-block',
      lora: null,
    });
    expect(classifierSettings({ ...trained, padTokenId: 0 }).padTokenId).toBe(0);
  });

  it('records LoRA as what trained, whatever part was named', () => {
    const lora = { rank: 16, alpha: 16, scaling: 'rank' as const };
    const settings = classifierSettings({ ...trained, pooling: 'last-non-pad', trainable: 'all', lora });
    expect(settings).toMatchObject({ pooling: 'last-non-pad', trainable: 'lora', lora });
    expect(classifierSettings({ ...trained, trainable: 'all', lora: null }).trainable).toBe('all');
    expect(parseClassifierSettings(settingsToJson(settings))).toEqual(settings);
  });

  it('refuses a tokenizer with no pad, <|endoftext|> or end token unless a padding id is given', () => {
    const tokenizer = CharTokenizer.fromText('ham spam');
    expect(() => classifierSettings({ ...trained, tokenizer })).toThrow(
      /has no pad token, no <\|endoftext\|> and no end-of-sequence token: give padTokenId/,
    );
    expect(classifierSettings({ ...trained, tokenizer, padTokenId: 0 }).padTokenId).toBe(0);
  });
});

describe('classifier checkpoints', () => {
  it.each(['hf', 'book'] as const)(
    'round-trip in the %s layout, and the body loads as a plain GPT',
    async (layout) => {
      const model = tinyClassifier({ pooling: 'last-non-pad', seed: 4, tieWeights: false });
      const files = await serializeClassifier(model, settingsOf(model, { trainable: 'last-block' }), {
        layout,
      });
      expect(files.adapters).toBeUndefined();
      const loaded = loadClassifier(files);
      expect('layout' in loaded.base && loaded.base.layout).toBe(layout);
      expect(loaded.settings.pooling).toBe('last-non-pad');
      expect(await logits(loaded.classifier)).toEqual(await logits(model));
      const trainable = (m: GPTClassifier) => m.namedParameters().map(([name, v]) => [name, v.trainable]);
      expect(trainable(loaded.classifier)).toEqual(trainable(model));
      const { model: gpt, config } = loadModel(files.config, files.weights);
      expect(config.tieWeights).toBe(true);
      if (model.backbone.kind !== 'gpt') throw new Error('a GPT classifier');
      expect(await gpt.trfBlocks.at(1).norm2.scale.data()).toEqual(
        await model.backbone.model.trfBlocks.at(1).norm2.scale.data(),
      );
      gpt.dispose();
      loaded.classifier.dispose();
      model.dispose();
    },
  );

  it('keeps trained LoRA updates beside the unchanged base weights', async () => {
    const model = tinyClassifier({ lora: { rank: 2, alpha: 4, scaling: 'rank' } });
    const generator = new Generator(9);
    for (const layer of loraLayers(model).values()) {
      tf.tidy(() => layer.B.assign(tf.tensor(generator.normalArray(layer.B.size, 0, 0.3), layer.B.shape)));
    }
    const settings = settingsOf(model, { trainable: 'lora', lora: { rank: 2, alpha: 4, scaling: 'rank' } });
    const files = await serializeClassifier(model, settings);
    expect(files.adapters).toBeInstanceOf(Uint8Array);
    const loaded = loadClassifier(files);
    expect(loraLayers(loaded.classifier).size).toBe(2 * 6 + 1);
    expect(loaded.classifier.numParameters({ trainable: true })).toBe(
      model.numParameters({ trainable: true }),
    );
    expect(await logits(loaded.classifier)).toEqual(await logits(model));
    const { adapters: _, ...withoutAdapters } = files;
    expect(() => loadClassifier(withoutAdapters)).toThrow(
      /classifier\.json says LoRA trained this classifier, but there is no adapter\.safetensors/,
    );
    loaded.classifier.dispose();
    model.dispose();
  });

  it('names the file and the field of what does not fit', async () => {
    const model = tinyClassifier();
    const files = await serializeClassifier(model, settingsOf(model));
    const threeClasses = { ...files.settings, classes: ['a', 'b', 'c'] };
    expect(() => loadClassifier({ ...files, settings: threeClasses })).toThrow(
      /^classifier\.safetensors: Tensor 'out_head\.weight' has shape \[2, 32\] but the model expects \[3, 32\] \(3 classes in classifier\.json\)$/,
    );
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ classes: ['a'] }, /"classes" must list two or more distinct class names/],
      [{ pooling: 'mean' }, /"pooling" must be one of last, last-non-pad/],
      [{ max_length: 0 }, /"max_length" must be an integer ≥ 1/],
      [{ trainable: 'lora' }, /"lora" must be given exactly when "trainable" is "lora"/],
      [{ version: 2 }, /"version" 2 is not one this version reads/],
    ];
    for (const [change, message] of bad) {
      expect(() => parseClassifierSettings({ ...files.settings, ...change })).toThrow(ClassifierFileError);
      expect(() => parseClassifierSettings({ ...files.settings, ...change })).toThrow(message);
    }
    expect(parseClassifierSettings(settingsToJson(settingsOf(model)))).toEqual(settingsOf(model));
    model.dispose();
  });

  it('refuses a padding id outside the vocabulary before any tensor sees it', async () => {
    const model = tinyClassifier();
    const files = await serializeClassifier(model, settingsOf(model));
    const vocabSize = model.backbone.vocabSize;
    const outside = { ...files.settings, pad_token_id: vocabSize };
    expect(() => loadClassifier({ ...files, settings: outside })).toThrow(
      `classifier.json: "pad_token_id" ${vocabSize} is outside the model's vocabulary of ${vocabSize} tokens (ids 0 to ${vocabSize - 1})`,
    );
    model.dispose();
  });

  it('refuses a class head that is not finite float weights, as the model file is refused', async () => {
    const model = tinyClassifier();
    const files = await serializeClassifier(model, settingsOf(model));
    const weight = parseSafetensors(files.head).tensors.get('out_head.weight');
    const headWith = (bias: TensorToWrite) =>
      serializeSafetensors(
        new Map([
          ['out_head.weight', weight as TensorToWrite],
          ['out_head.bias', bias],
        ]),
      );
    const cases: Array<[Uint8Array, string]> = [
      [
        headWith({ shape: [2], data: new Float32Array([0, Number.NaN]) }),
        "classifier.safetensors: tensor 'out_head.bias' holds NaN at index 1: the checkpoint is damaged, or was saved after training diverged",
      ],
      [
        headWith({ shape: [2], data: new Int32Array([0, 9]) }),
        "classifier.safetensors: tensor 'out_head.bias' is I32; weights must be F32, F16 or BF16",
      ],
    ];
    for (const [head, message] of cases) {
      expect(() => loadClassifier({ ...files, head })).toThrow(new ClassifierFileError(message));
    }
    model.dispose();
  });

  it('is a directory of files, written and read in Node', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'classifier-'));
    try {
      const model = tinyClassifier({ trainable: 'all' });
      const written = await saveClassifier(
        model,
        settingsOf(model, { trainable: 'all' }),
        join(directory, 'out'),
      );
      expect(written).toEqual([
        'model.safetensors',
        'classifier.safetensors',
        'classifier.json',
        'config.json',
      ]);
      expect(await isClassifierDirectory(join(directory, 'out'))).toBe(true);
      const loaded = await loadClassifierDirectory(join(directory, 'out'));
      expect(await logits(loaded.classifier)).toEqual(await logits(model));
      expect(loaded.classifier.numParameters({ trainable: true })).toBe(model.numParameters());
      await writeFile(join(directory, 'config.json'), '{}');
      expect(await isClassifierDirectory(directory)).toBe(false);
      await expect(loadClassifierDirectory(directory)).rejects.toThrow(
        /holds no classifier\.json: it is not a classifier/,
      );
      await rm(join(directory, 'out', 'classifier.safetensors'));
      await expect(loadClassifierDirectory(join(directory, 'out'))).rejects.toThrow(
        /has classifier\.json but no classifier\.safetensors: the classifier is incomplete/,
      );
      loaded.classifier.dispose();
      model.dispose();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('reads only regular files of a plausible size: a FIFO or a link to /dev/zero is refused at once', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'classifier-'));
    try {
      const model = tinyClassifier();
      await saveClassifier(model, settingsOf(model), directory);
      model.dispose();
      const path = (name: string) => join(directory, name);
      await rm(path('classifier.safetensors'));
      await symlink('/dev/zero', path('classifier.safetensors'));
      await expect(loadClassifierDirectory(directory)).rejects.toThrow(
        new ClassifierFileError(
          `${path('classifier.safetensors')} is not a regular file (a device): give a file`,
        ),
      );
      await truncate(path('model.safetensors'), 300_000_000); // sparse: far more than the config allows
      await expect(loadClassifierDirectory(directory)).rejects.toThrow(
        new RegExp(
          `^${path('model.safetensors')} is 300,000,000 bytes, more than the [\\d,]+ such a file can take`,
        ),
      );
      await rm(path('classifier.json'));
      execFileSync('mkfifo', [path('classifier.json')]);
      await expect(loadClassifierDirectory(directory)).rejects.toThrow(
        new ClassifierFileError(`${path('classifier.json')} is not a regular file (a FIFO): give a file`),
      );
      await rm(path('classifier.json'));
      await writeFile(path('classifier.json'), ' '.repeat(5_000_000));
      await expect(loadClassifierDirectory(directory)).rejects.toThrow(
        `${path('classifier.json')} is 5,000,000 bytes, more than the 4,194,304 such a file can take`,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
