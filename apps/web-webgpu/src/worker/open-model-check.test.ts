import { initBackend } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { describeOpenModelCheck } from '../ui/open-model-check.js';
import { checkOpenModel } from './open-model-check.js';

/** Qwen3's published config.json fields at a hidden size and width. */
const qwen3 = (hiddenSize: number, intermediateSize: number) => ({
  model_type: 'qwen3',
  vocab_size: 151936,
  max_position_embeddings: 40960,
  hidden_size: hiddenSize,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  intermediate_size: intermediateSize,
  num_hidden_layers: 28,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
});

describe('checkOpenModel', () => {
  it('names the published size; on wasm, refuses what the heap cannot hold and says what fits', async () => {
    await initBackend({ prefer: 'wasm' });
    const small = checkOpenModel(qwen3(1024, 3072), 'Qwen/Qwen3-0.6B');
    expect(small).toMatchObject({
      family: 'Qwen3',
      preset: 'Qwen3 0.6B',
      parameters: 596_049_920,
      refusal: null,
    });
    expect(describeOpenModelCheck(small)).toBe(
      "Qwen/Qwen3-0.6B: Qwen3 0.6B, 596.0M parameters, 2.2 GiB of float32 weights; fits this backend's 4.0 GiB.",
    );
    const large = checkOpenModel(qwen3(2048, 6144), 'Qwen/Qwen3-1.7B');
    expect(large.refusal).toMatch(
      /^This Qwen3 model's float32 weights take 6\.4 GiB, more than the 4\.0 GiB/,
    );
    expect(large.fitting).toEqual(['Qwen3 0.6B', 'Gemma 3 270M', 'Gemma 3 1B']);
    expect(describeOpenModelCheck(large)).toBe(
      "Qwen/Qwen3-1.7B: Qwen3 1.7B, 1720.6M parameters, 6.4 GiB of float32 weights; does not fit this backend's 4.0 GiB. What fits: Qwen3 0.6B, Gemma 3 270M, Gemma 3 1B.",
    );
  });

  it('judges the weights in the precision they are to be stored in: bf16 halves what the heap must hold', async () => {
    await initBackend({ prefer: 'wasm' });
    const large = checkOpenModel(qwen3(2048, 6144), 'Qwen/Qwen3-1.7B', 'bf16');
    expect(large).toMatchObject({ precision: 'bf16', refusal: null });
    expect(describeOpenModelCheck(large)).toBe(
      "Qwen/Qwen3-1.7B: Qwen3 1.7B, 1720.6M parameters, 3.2 GiB of bf16 weights; fits this backend's 4.0 GiB.",
    );
    const larger = checkOpenModel(
      { ...qwen3(2560, 9728), num_attention_heads: 32, num_hidden_layers: 36 },
      'Qwen/Qwen3-4B',
      'bf16',
    );
    expect(larger.refusal).toMatch(/^This Qwen3 model's bf16 weights take 7\.5 GiB, more than the 4\.0 GiB/);
    expect(larger.fitting).toEqual([
      'Qwen3 0.6B',
      'Qwen3 1.7B',
      'Llama 3.2-1B',
      'Gemma 3 270M',
      'Gemma 3 1B',
    ]);
  });

  it('says a size of its own is one, and where no ceiling is known, that the adapter decides', async () => {
    await initBackend({ prefer: 'cpu' });
    const own = checkOpenModel({ ...qwen3(64, 96), num_hidden_layers: 2, vocab_size: 300 }, 'acme/tiny');
    expect(own.preset).toBeNull();
    expect(describeOpenModelCheck(own)).toMatch(
      /^acme\/tiny: a Qwen3 of a size of its own, [\d.]+M parameters, 0\.0 GiB of float32 weights; the memory check allows it here/,
    );
  });

  it('refuses a config.json of no open family, naming what loads', () => {
    expect(() => checkOpenModel({ model_type: 'gpt2' }, 'gpt2')).toThrow(
      /^config\.json of gpt2: model_type "gpt2" is not a family scratchgpt's open models load; supported: qwen3/,
    );
  });
});
