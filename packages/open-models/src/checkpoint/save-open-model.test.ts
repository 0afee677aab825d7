import { initBackend, parseSafetensors, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTensors, intTensor } from '../test-support/fixtures.js';
import {
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../test-support/hf-checkpoint.js';
import { loadOpenModelCheckpoint } from './load-open-model.js';
import { checkpointInMemory } from './reader.js';
import { serializeOpenModelCheckpoint, streamOpenModelCheckpoint } from './save-open-model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const FIXTURES = ['qwen3-tiny', 'llama3-tiny', 'gemma3-tiny'];

const load = (config: unknown, weights: Uint8Array) =>
  loadOpenModelCheckpoint(
    checkpointInMemory(
      new Map([
        ['config.json', jsonBytes(config)],
        ['model.safetensors', weights],
      ]),
    ),
  );

describe('serializeOpenModelCheckpoint', () => {
  for (const fixture of FIXTURES) {
    it(`${fixture}: saved and loaded again gives the same weights, names and logits`, async () => {
      const config = huggingFaceConfig(fixture);
      const { model } = await load(config, f32Safetensors(fixtureWeights(fixture)));
      const saved = await serializeOpenModelCheckpoint(model, config, { metadata: { step: '3' } });
      const parsed = parseSafetensors(saved.weights, 'model.safetensors');
      expect(parsed.metadata).toMatchObject({ step: '3', format: 'pt' });
      // Exactly the published names: a tied head is not written twice.
      expect([...parsed.tensors.keys()].sort()).toEqual([...fixtureWeights(fixture).keys()].sort());
      expect(saved.config).toEqual({ ...config, torch_dtype: 'float32' });

      const again = (await load(saved.config, saved.weights)).model;
      const ids = intTensor(fixtureTensors(fixture, 'io.safetensors')('input_ids'));
      const [before, after] = [model, again].map((m) => m.eval().forward(ids));
      expect(await (after as tf.Tensor).data()).toEqual(await (before as tf.Tensor).data());
      tf.dispose([ids, before as tf.Tensor, after as tf.Tensor]);
      model.dispose();
      again.dispose();
    });
  }

  it('writes the same bytes piece by piece as whole', async () => {
    for (const fixture of FIXTURES) {
      const config = huggingFaceConfig(fixture);
      const { model } = await load(config, f32Safetensors(fixtureWeights(fixture)));
      const whole = await serializeOpenModelCheckpoint(model, config, { metadata: { step: '3' } });
      const streamed = streamOpenModelCheckpoint(model, config, { metadata: { step: '3' } });
      const pieces: Uint8Array[] = [];
      for await (const piece of streamed.weights) pieces.push(piece);
      expect(new Uint8Array(Buffer.concat(pieces))).toEqual(whole.weights);
      expect(streamed.config).toEqual(whole.config);
      model.dispose();
    }
  });

  it('refuses a config.json that describes another model', async () => {
    const config = huggingFaceConfig('qwen3-tiny');
    const { model } = await load(config, f32Safetensors(fixtureWeights('qwen3-tiny')));
    const other = { ...config, num_hidden_layers: (config.num_hidden_layers as number) + 1 };
    await expect(serializeOpenModelCheckpoint(model, other)).rejects.toThrow(
      /describes a different model .* save with the config the model was built from/,
    );
    model.dispose();
  });
});
