/**
 * The tiny fixtures as Hugging Face checkpoints: their config in config.json's names, and their
 * weights re-saved as BF16 or split into shards, as published checkpoints come.
 */
import { parseSafetensors, type SafetensorsTensor, serializeSafetensors } from '@scratchgpt/tensor';
import { fixtureFile, fixtureJson } from './fixtures.js';

type FixtureConfig = Record<string, unknown> & {
  layerTypes?: string[];
  ropeScaling?: Record<string, number>;
};

/** The fixture's config.json as Hugging Face writes it for its family. */
export function huggingFaceConfig(fixture: string): Record<string, unknown> {
  const c = fixtureJson<FixtureConfig>(fixture, 'config.json');
  const shared = {
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    hidden_size: c.embDim,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvGroups,
    head_dim: c.headDim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    rope_theta: c.ropeBase,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tieEmbeddings,
  };
  if (fixture.startsWith('qwen3'))
    return { model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'], ...shared };
  if (fixture.startsWith('llama3')) {
    const s = c.ropeScaling as Record<string, number>;
    const rope_scaling = {
      rope_type: 'llama3',
      factor: s.factor,
      low_freq_factor: s.lowFreqFactor,
      high_freq_factor: s.highFreqFactor,
      original_max_position_embeddings: s.originalContextLength,
    };
    return { model_type: 'llama', architectures: ['LlamaForCausalLM'], ...shared, rope_scaling };
  }
  return {
    model_type: 'gemma3_text',
    architectures: ['Gemma3ForCausalLM'],
    ...shared,
    layer_types: c.layerTypes?.map((type) => `${type}_attention`),
    sliding_window: c.slidingWindow,
    rope_local_base_freq: c.ropeLocalBase,
    query_pre_attn_scalar: c.queryPreAttnScalar,
    final_logit_softcapping: c.finalLogitSoftcap,
  };
}

export const jsonBytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** The fixture's weights, by Hugging Face name, as float32. */
export function fixtureWeights(fixture: string): Map<string, SafetensorsTensor> {
  return parseSafetensors(fixtureFile(fixture, 'weights.safetensors'), fixture).tensors;
}

/** float32 → bfloat16 bits, rounding to nearest, ties to even (as PyTorch's `.to(torch.bfloat16)`). */
function toBF16Bits(value: number): number {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0] as number;
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

/** Each value rounded to the nearest bfloat16, kept as float32: what a BF16 checkpoint decodes to. */
export function roundToBF16(data: Float32Array): Float32Array {
  return Float32Array.from(data, (value) => {
    const widened = new Uint32Array([toBF16Bits(value) << 16]);
    return new Float32Array(widened.buffer)[0] as number;
  });
}

/** A safetensors file of these tensors stored as BF16. */
export function bf16Safetensors(tensors: ReadonlyMap<string, SafetensorsTensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Uint16Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const half = Uint16Array.from(tensor.data as Float32Array, toBF16Bits);
    header[name] = { dtype: 'BF16', shape: tensor.shape, data_offsets: [offset, offset + half.byteLength] };
    offset += half.byteLength;
    parts.push(half);
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const part of parts) {
    out.set(new Uint8Array(part.buffer), at);
    at += part.byteLength;
  }
  return out;
}

/** A float32 safetensors file of these tensors. */
export function f32Safetensors(tensors: Iterable<[string, SafetensorsTensor]>): Uint8Array {
  return serializeSafetensors(
    new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data as Float32Array }])),
  );
}

/**
 * The tensors split into `count` shards with their index, as `save_pretrained` writes a large model:
 * file name → bytes, index included.
 */
export function shardedCheckpoint(
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  count: number,
): Map<string, Uint8Array> {
  const entries = [...tensors];
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  const perShard = Math.ceil(entries.length / count);
  for (let i = 0; i < count; i++) {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
    const part = entries.slice(i * perShard, (i + 1) * perShard);
    for (const [weight] of part) weightMap[weight] = name;
    files.set(name, f32Safetensors(part));
  }
  files.set('model.safetensors.index.json', jsonBytes({ metadata: {}, weight_map: weightMap }));
  return files;
}
