import { initBackend, parseSafetensors, serializeSafetensors, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTensors, intTensor } from '../test-support/fixtures.js';
import {
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../test-support/hf-checkpoint.js';
import {
  bookConfigOf,
  bookFamilyOf,
  bookName,
  fromBookLayout,
  huggingFaceConfigOfBook,
  huggingFaceName,
  toBookLayout,
} from './book-layout.js';
import { loadOpenModelCheckpoint } from './load-open-model.js';
import { checkpointInMemory } from './reader.js';
import { serializeOpenModelCheckpoint } from './save-open-model.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

const FIXTURES = [
  ['qwen3-tiny', 'qwen3'],
  ['llama3-tiny', 'llama'],
  ['gemma3-tiny', 'gemma3_text'],
] as const;

const checkpoint = (config: unknown, weights: Uint8Array) =>
  checkpointInMemory(
    new Map([
      ['config.json', jsonBytes(config)],
      ['model.safetensors', weights],
    ]),
  );

describe('the book layout', () => {
  it('names each block part as the book does', () => {
    expect(bookName('model.layers.1.self_attn.q_proj.weight', 'qwen3')).toBe(
      'trf_blocks.1.att.W_query.weight',
    );
    expect(bookName('model.layers.0.self_attn.k_norm.weight', 'qwen3')).toBe('trf_blocks.0.att.k_norm.scale');
    expect(bookName('model.layers.0.mlp.up_proj.weight', 'llama')).toBe('trf_blocks.0.ff.fc2.weight');
    expect(bookName('model.layers.0.input_layernorm.weight', 'llama')).toBe('trf_blocks.0.norm1.weight');
    expect(bookName('model.norm.weight', 'llama')).toBe('final_norm.weight');
    expect(bookName('model.norm.weight', 'qwen3')).toBe('final_norm.scale');
    expect(bookName('model.layers.5.pre_feedforward_layernorm.weight', 'gemma3_text')).toBe(
      'blocks.5.pre_feedforward_layernorm.scale',
    );
    expect(bookName('lm_head.weight', 'llama')).toBe('out_head.weight');
  });

  for (const [fixture, modelType] of FIXTURES) {
    it(`${fixture}: every weight name maps to a distinct book name and back`, () => {
      const names = [...fixtureWeights(fixture).keys()];
      const book = names.map((name) => bookName(name, modelType));
      expect(new Set(book).size).toBe(names.length);
      expect(book.every((name) => /^(tok_emb|out_head|final_norm|(trf_)?blocks\.\d+)\./.test(name))).toBe(
        true,
      );
      expect(book.map((name) => huggingFaceName(name, modelType))).toEqual(names);
    });

    it(`${fixture}: hf → book → hf keeps every weight byte and the config, and the book layout loads with the same logits`, async () => {
      const config = huggingFaceConfig(fixture);
      const weights = fixtureWeights(fixture);
      const book = toBookLayout(config, weights);
      expect(bookFamilyOf(book.config)).toBe(modelType);
      // The book's models always hold out_head: a tied head is written as the embedding's copy.
      expect(book.tensors.has('out_head.weight')).toBe(true);
      const back = fromBookLayout(book.config, book.tensors);
      expect(serializeSafetensors(back.tensors as never)).toEqual(serializeSafetensors(weights as never));
      expect(back.config.tie_word_embeddings).toBe(config.tie_word_embeddings);
      const { torch_dtype: _, architectures: __, ...restored } = back.config;
      expect(restored).toMatchObject(
        Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'architectures')),
      );

      const bookFiles = checkpoint(book.config, f32Safetensors(book.tensors));
      const { model, configJson } = await loadOpenModelCheckpoint(bookFiles);
      const ids = intTensor(fixtureTensors(fixture, 'io.safetensors')('input_ids'));
      const logits = model.eval().forward(ids);
      const expected = (await loadOpenModelCheckpoint(checkpoint(config, f32Safetensors(weights)))).model;
      const reference = expected.eval().forward(ids);
      expect(await logits.data()).toEqual(await reference.data());
      // Saved again in the Hugging Face layout: the original weights, byte for byte.
      const saved = await serializeOpenModelCheckpoint(model, configJson);
      const resaved = parseSafetensors(saved.weights).tensors;
      expect(serializeSafetensors(resaved as never)).toEqual(serializeSafetensors(weights as never));
      tf.dispose([ids, logits, reference]);
      model.dispose();
      expected.dispose();
    });
  }

  it('reads a GPT-2 config, in either layout, as no book-layout open model', () => {
    const gpt2 = { vocab_size: 50257, context_length: 1024, emb_dim: 768, n_heads: 12, n_layers: 12 };
    expect(bookFamilyOf({ ...gpt2, drop_rate: 0.1, qkv_bias: false })).toBeUndefined();
    expect(bookFamilyOf(huggingFaceConfig('qwen3-tiny'))).toBeUndefined();
  });

  it('refuses a Llama whose head_dim the book cannot express', () => {
    const config = { ...huggingFaceConfig('llama3-tiny'), head_dim: 32 };
    expect(() => bookConfigOf(config)).toThrow(
      "the book's Llama 3 derives head_dim from emb_dim / n_heads (16), but this model's head_dim is 32: keep it in the hf layout",
    );
  });

  it('refuses a book state dict holding a weight the model lacks, naming it', () => {
    const book = toBookLayout(huggingFaceConfig('qwen3-tiny'), fixtureWeights('qwen3-tiny'));
    book.tensors.set('trf_blocks.0.att.rotary.weight', book.tensors.get('final_norm.scale')!);
    expect(() => fromBookLayout(book.config, book.tensors)).toThrow(
      "trf_blocks.0.att.rotary.weight is not a weight of the book's qwen3 model",
    );
  });

  it('refuses a book config missing a field, naming it', () => {
    const { emb_dim: _, ...config } = bookConfigOf(huggingFaceConfig('qwen3-tiny'));
    expect(() => huggingFaceConfigOfBook({ ...config, emb_dim: 'wide' }, true)).toThrow(
      'Qwen3ForCausalLM (book layout): config.json needs a number in "emb_dim", got "wide"',
    );
  });
});
