import { describe, expect, it } from 'vitest';
import { GEMMA3_PRESETS, gemma3ConfigFromHuggingFace } from '../gemma3/config.js';
import { LLAMA3_PRESETS, llama3ConfigFromHuggingFace } from '../llama3/config.js';
import { QWEN3_PRESETS, qwen3ConfigFromHuggingFace } from '../qwen3/config.js';

// The architecture fields of the published config.json files (other fields left out).
const qwen3_0_6B = {
  architectures: ['Qwen3ForCausalLM'],
  head_dim: 128,
  hidden_size: 1024,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  vocab_size: 151936,
};
const llama32_1B = {
  architectures: ['LlamaForCausalLM'],
  head_dim: 64,
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  vocab_size: 128256,
};
const gemma3_270M = {
  architectures: ['Gemma3ForCausalLM'],
  final_logit_softcapping: null,
  head_dim: 256,
  hidden_size: 640,
  intermediate_size: 2048,
  layer_types: Array.from({ length: 18 }, (_, i) =>
    (i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention',
  ),
  max_position_embeddings: 32768,
  num_attention_heads: 4,
  num_hidden_layers: 18,
  num_key_value_heads: 1,
  query_pre_attn_scalar: 256,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000.0,
  rope_scaling: null,
  rope_theta: 1000000.0,
  sliding_window: 512,
  vocab_size: 262144,
};

describe('configs from Hugging Face config.json files', () => {
  it('read into the presets', () => {
    expect(qwen3ConfigFromHuggingFace(qwen3_0_6B)).toEqual(QWEN3_PRESETS['0.6B']);
    expect(llama3ConfigFromHuggingFace(llama32_1B)).toEqual(LLAMA3_PRESETS['3.2-1B']);
    expect(gemma3ConfigFromHuggingFace(gemma3_270M)).toEqual(GEMMA3_PRESETS['270M']);
    const { layer_types: _, ...patternOnly } = gemma3_270M;
    expect(gemma3ConfigFromHuggingFace(patternOnly).layerTypes).toEqual(GEMMA3_PRESETS['270M'].layerTypes);
  });

  it("read Gemma 3's linear rope scaling (4B and larger), in either spelling of its type", () => {
    for (const key of ['rope_type', 'type']) {
      const linear = { ...gemma3_270M, rope_scaling: { factor: 8, [key]: 'linear' } };
      expect(gemma3ConfigFromHuggingFace(linear)).toEqual({ ...GEMMA3_PRESETS['270M'], ropeLinearFactor: 8 });
    }
  });

  it('refuse a missing field, or a rope scaling that is not implemented, by name', () => {
    const { rope_theta: _, ...noTheta } = qwen3_0_6B;
    expect(() => qwen3ConfigFromHuggingFace(noTheta)).toThrow(
      'Qwen3: config.json needs a number in "rope_theta", got undefined',
    );
    const yarn = { ...llama32_1B, rope_scaling: { ...llama32_1B.rope_scaling, rope_type: 'yarn' } };
    expect(() => llama3ConfigFromHuggingFace(yarn)).toThrow(/rope_scaling of type "yarn" is not supported/);
    const dynamic = { ...gemma3_270M, rope_scaling: { factor: 8, rope_type: 'dynamic' } };
    expect(() => gemma3ConfigFromHuggingFace(dynamic)).toThrow(
      'Gemma 3: rope_scaling of type "dynamic" is not supported, only "linear"',
    );
    const noFactor = { ...gemma3_270M, rope_scaling: { rope_type: 'linear' } };
    expect(() => gemma3ConfigFromHuggingFace(noFactor)).toThrow(/needs a number in "factor"/);
    expect(() => qwen3ConfigFromHuggingFace([])).toThrow(/must be a JSON object/);
  });
});
