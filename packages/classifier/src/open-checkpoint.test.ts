/**
 * Classifiers on the open families as files and back: the body under Hugging Face's names with the
 * family's own config.json (the head marked tied: the vocabulary head was replaced), so loading
 * rebuilds the same family; the trainable parts; LoRA on the backbone's Linears and the head.
 */
import { applyLoRA } from '@scratchgpt/lora';
import {
  checkpointInMemory,
  familyOf,
  loadOpenModelCheckpoint,
  SINGLE_WEIGHTS_FILE,
} from '@scratchgpt/open-models';
import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../open-models/src/test-support/hf-checkpoint.js';
import { loadClassifier, serializeClassifier } from './checkpoint/files.js';
import { ClassifierFileError } from './checkpoint/settings.js';
import { createClassifier } from './model/create.js';
import type { GPTClassifier } from './model/gpt-classifier.js';
import { settingsOf } from './test-support/tiny.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** The open-models fixture as a model of its family (Llama's head untied, Qwen3's and Gemma 3's tied). */
function backbone(fixture: string) {
  const configJson = huggingFaceConfig(fixture);
  const model = familyOf(configJson).build(configJson);
  model.loadStateDict(fixtureWeights(fixture) as never);
  return { model, configJson };
}

const ids = () => tf.tensor2d([[5, 6, 7, 8, 299, 299]], [1, 6], 'int32');

async function logits(model: GPTClassifier): Promise<Float32Array> {
  const out = tf.tidy(() => model.eval().forward(ids(), [4]));
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

describe.each(['qwen3-tiny', 'llama3-tiny', 'gemma3-tiny'])('a classifier on %s', (fixture) => {
  it('keeps Hugging Face names, trains the last layer and the final norm, and saves and loads as its family', async () => {
    const before = tf.memory().numTensors;
    const { model, configJson } = backbone(fixture);
    const layers = model.config.layerTypes.length;
    const classifier = createClassifier(model, { numClasses: 3, pooling: 'last-non-pad' });
    const names = classifier.namedParameters().map(([name]) => name);
    expect(names).not.toContain('lm_head.weight');
    expect(names.at(0)).toBe('model.embed_tokens.weight');
    expect(names.slice(-2)).toEqual(['out_head.weight', 'out_head.bias']);
    const trainable = classifier
      .namedParameters()
      .filter(([, v]) => v.trainable)
      .map(([name]) => name.replace(/\.[^.]*$/, ''));
    expect(new Set(trainable.map((name) => name.split('.').slice(0, 3).join('.')))).toEqual(
      new Set([`model.layers.${layers - 1}`, 'model.norm', 'out_head']),
    );
    const hidden = tf.tidy(() => classifier.backbone.hiddenStates(ids()));
    expect(hidden.shape).toEqual([1, 6, model.config.embDim]);
    hidden.dispose();

    const settings = { ...settingsOf(classifier, { classes: ['a', 'b', 'c'], padTokenId: 299 }) };
    const files = await serializeClassifier(classifier, settings, { configJson, metadata: { step: '7' } });
    expect(files.config).toEqual({ ...configJson, tie_word_embeddings: true, torch_dtype: 'float32' });
    const loaded = loadClassifier(files);
    expect(loaded.base).toEqual({
      family: model.config.family,
      configJson: files.config,
      metadata: { step: '7', format: 'pt', producer: 'scratchgpt' },
    });
    expect(loaded.classifier.backbone.kind).toBe('open');
    expect(await logits(loaded.classifier)).toEqual(await logits(classifier));
    const flags = (m: GPTClassifier) => m.namedParameters().map(([name, v]) => [name, v.trainable]);
    expect(flags(loaded.classifier)).toEqual(flags(classifier));

    // The body is an ordinary checkpoint of its family.
    const reread = await loadOpenModelCheckpoint(
      checkpointInMemory(
        new Map([
          ['config.json', jsonBytes(files.config)],
          [SINGLE_WEIGHTS_FILE, files.weights],
        ]),
      ),
    );
    expect(reread.model.config.family).toBe(model.config.family);
    reread.model.dispose();
    loaded.classifier.dispose();
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes LoRA on every Linear without changing a logit, and saves the updates beside the base', async () => {
    const { model, configJson } = backbone(fixture);
    const classifier = createClassifier(model, { numClasses: 2, pooling: 'last-non-pad' });
    const plain = await logits(classifier);
    const layers = applyLoRA(classifier, { rank: 2, alpha: 4, scaling: 'rank' });
    // q, k, v, o and gate, up, down in every layer, and the head.
    expect(layers.size).toBe(7 * model.config.layerTypes.length + 1);
    expect([...layers.keys()].at(-1)).toBe('out_head');
    expect(await logits(classifier)).toEqual(plain);
    const lora = { rank: 2, alpha: 4, scaling: 'rank' as const };
    const settings = settingsOf(classifier, { trainable: 'lora', lora, padTokenId: 299 });
    const files = await serializeClassifier(classifier, settings, {
      configJson,
    });
    expect(files.adapters).toBeDefined();
    const loaded = loadClassifier(files);
    expect(loaded.classifier.numParameters({ trainable: true })).toBe(
      classifier.numParameters({ trainable: true }),
    );
    expect(await logits(loaded.classifier)).toEqual(plain);
    loaded.classifier.dispose();
    classifier.dispose();
  });
});

describe('an open classifier checkpoint', () => {
  it('is saved only with the config.json its model was built from', async () => {
    const { model, configJson } = backbone('qwen3-tiny');
    const classifier = createClassifier(model, { numClasses: 2 });
    const settings = settingsOf(classifier, { padTokenId: 299 });
    await expect(serializeClassifier(classifier, settings)).rejects.toThrow(
      'A Qwen3 classifier is saved with the config.json its model was built from: pass configJson',
    );
    await expect(
      serializeClassifier(classifier, settings, { configJson: { ...configJson, num_hidden_layers: 3 } }),
    ).rejects.toThrow(/describes a different model \(a Qwen3 of 3 layers.*a Qwen3 of 2 layers/);
    const files = await serializeClassifier(classifier, settings, { configJson });
    expect(() => loadClassifier({ ...files, config: { ...files.config, model_type: 'mistral' } })).toThrow(
      ClassifierFileError,
    );
    expect(() => loadClassifier({ ...files, config: { ...files.config, hidden_size: 32 } })).toThrow(
      /model\.safetensors: .*the weights do not match config\.json/,
    );
    classifier.dispose();
  });
});
