/**
 * The book's layout of the open families: the state dict of its bonus models (`Qwen3Model`,
 * `Llama3Model`, `Gemma3Model` of rasbt/LLMs-from-scratch) with their config as the book's dict
 * (`emb_dim`, `n_kv_groups`, …). Only names and config fields change: every tensor keeps its values,
 * so Hugging Face → book → Hugging Face gives the same bytes. The book's models always have an
 * `out_head`; a tied head is stored there as a copy of `tok_emb`, and read back as tied when the two
 * are equal.
 */
import type { DecoderSizes } from '../blocks/decoder-config.js';
import { HuggingFaceFields } from '../blocks/hf-config.js';
import { gemma3ConfigFromHuggingFace } from '../gemma3/config.js';
import { llama3ConfigFromHuggingFace } from '../llama3/config.js';
import { qwen3ConfigFromHuggingFace } from '../qwen3/config.js';
import { familyOf } from './families.js';

type ModelType = 'qwen3' | 'llama' | 'gemma3_text';

/** A tensor as a map of them holds it: only its values are compared, never changed. */
export interface LayoutTensor {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Per layer, Hugging Face's name suffix → the book's, shared by the three families. */
const PROJECTIONS: ReadonlyArray<readonly [string, string]> = [
  ['self_attn.q_proj.weight', 'att.W_query.weight'],
  ['self_attn.k_proj.weight', 'att.W_key.weight'],
  ['self_attn.v_proj.weight', 'att.W_value.weight'],
  ['self_attn.o_proj.weight', 'att.out_proj.weight'],
  ['mlp.gate_proj.weight', 'ff.fc1.weight'],
  ['mlp.up_proj.weight', 'ff.fc2.weight'],
  ['mlp.down_proj.weight', 'ff.fc3.weight'],
];

const QK_NORMS = [
  ['self_attn.q_norm', 'att.q_norm'],
  ['self_attn.k_norm', 'att.k_norm'],
] as const;

/**
 * Where the families differ: the block list's name, the norms' parameter (the book's own RMSNorm has
 * `scale`; its Llama uses PyTorch's, with `weight`) and which norms a block has.
 */
const NAMING: Record<
  ModelType,
  { blocks: string; normParameter: string; norms: ReadonlyArray<readonly [string, string]> }
> = {
  qwen3: {
    blocks: 'trf_blocks',
    normParameter: 'scale',
    norms: [['input_layernorm', 'norm1'], ['post_attention_layernorm', 'norm2'], ...QK_NORMS],
  },
  llama: {
    blocks: 'trf_blocks',
    normParameter: 'weight',
    norms: [
      ['input_layernorm', 'norm1'],
      ['post_attention_layernorm', 'norm2'],
    ],
  },
  gemma3_text: {
    blocks: 'blocks',
    normParameter: 'scale',
    norms: [
      ...[
        'input_layernorm',
        'post_attention_layernorm',
        'pre_feedforward_layernorm',
        'post_feedforward_layernorm',
      ].map((norm) => [norm, norm] as const),
      ...QK_NORMS,
    ],
  },
};

interface NameTables {
  toBook: Map<string, string>;
  toHuggingFace: Map<string, string>;
  blocks: string;
}

function tablesOf(modelType: ModelType): NameTables {
  const { blocks, normParameter, norms } = NAMING[modelType];
  const pairs: Array<readonly [string, string]> = [
    ['model.embed_tokens.weight', 'tok_emb.weight'],
    ['model.norm.weight', `final_norm.${normParameter}`],
    ['lm_head.weight', 'out_head.weight'],
    ...PROJECTIONS.map(([hf, book]) => [`layer.${hf}`, `layer.${book}`] as const),
    ...norms.map(([hf, book]) => [`layer.${hf}.weight`, `layer.${book}.${normParameter}`] as const),
  ];
  return {
    toBook: new Map(pairs),
    toHuggingFace: new Map(pairs.map(([hf, book]) => [book, hf])),
    blocks,
  };
}

const TABLES = {
  qwen3: tablesOf('qwen3'),
  llama: tablesOf('llama'),
  gemma3_text: tablesOf('gemma3_text'),
};

/** The book's name of a Hugging Face weight name (`model.layers.3.mlp.up_proj.weight` → `trf_blocks.3.ff.fc2.weight`). */
export function bookName(huggingFaceName: string, modelType: ModelType): string {
  const tables = TABLES[modelType];
  const layer = /^model\.layers\.(\d+)\.(.+)$/.exec(huggingFaceName);
  const suffix = tables.toBook.get(layer ? `layer.${layer[2]}` : huggingFaceName);
  if (suffix === undefined) {
    throw new RangeError(`${huggingFaceName} has no name in the book's ${modelType} layout`);
  }
  return layer ? `${tables.blocks}.${layer[1]}.${suffix.slice('layer.'.length)}` : suffix;
}

/** The Hugging Face name of one of the book's weight names; the inverse of {@link bookName}. */
export function huggingFaceName(bookWeightName: string, modelType: ModelType): string {
  const tables = TABLES[modelType];
  const prefix = `${tables.blocks}.`;
  const layer = bookWeightName.startsWith(prefix)
    ? /^(\d+)\.(.+)$/.exec(bookWeightName.slice(prefix.length))
    : null;
  const name = tables.toHuggingFace.get(layer ? `layer.${layer[2]}` : bookWeightName);
  if (name === undefined) {
    throw new RangeError(`${bookWeightName} is not a weight of the book's ${modelType} model`);
  }
  return layer ? `model.layers.${layer[1]}.${name.slice('layer.'.length)}` : name;
}

/**
 * The family of a book-layout config dict, or undefined for any other config (the book's GPT-2 config
 * has none of these fields): Gemma 3 lists `layer_types`, Llama 3 has `rope_freq`, Qwen3 `qk_norm`.
 */
export function bookFamilyOf(config: unknown): ModelType | undefined {
  if (config == null || typeof config !== 'object' || Array.isArray(config)) return undefined;
  const fields = config as Record<string, unknown>;
  if ('model_type' in fields || !('emb_dim' in fields)) return undefined;
  if ('layer_types' in fields) return 'gemma3_text';
  if ('rope_freq' in fields) return 'llama';
  if (fields.qk_norm === true) return 'qwen3';
  return undefined;
}

/** A Hugging Face config.json of an open family as the book's config dict. */
export function bookConfigOf(configJson: unknown): Record<string, unknown> {
  const modelType = familyOf(configJson).modelType as ModelType;
  const json = configJson as Record<string, unknown>;
  if (modelType === 'llama') {
    const c = llama3ConfigFromHuggingFace(json);
    if (c.headDim * c.nHeads !== c.embDim) {
      throw new RangeError(
        `the book's Llama 3 derives head_dim from emb_dim / n_heads (${c.embDim / c.nHeads}), but this model's head_dim is ${c.headDim}: keep it in the hf layout`,
      );
    }
    const s = c.ropeScaling;
    return {
      ...bookSizes(c),
      // Equal to context_length, so that the book's model keeps rope_base as it is.
      orig_context_length: c.contextLength,
      n_kv_groups: c.nKvGroups,
      rope_base: c.ropeBase,
      dtype: 'float32',
      rope_freq: s && {
        factor: s.factor,
        low_freq_factor: s.lowFreqFactor,
        high_freq_factor: s.highFreqFactor,
        original_context_length: s.originalContextLength,
      },
      norm_eps: c.normEps,
    };
  }
  if (modelType === 'gemma3_text') {
    const c = gemma3ConfigFromHuggingFace(json);
    return {
      ...bookSizes(c),
      head_dim: c.headDim,
      qk_norm: true,
      n_kv_groups: c.nKvGroups,
      rope_local_base: c.ropeLocalBase,
      rope_base: c.ropeBase,
      sliding_window: c.slidingWindow,
      layer_types: c.layerTypes.map((type) => `${type}_attention`),
      dtype: 'float32',
      query_pre_attn_scalar: c.queryPreAttnScalar,
      norm_eps: c.normEps,
      final_logit_softcap: c.finalLogitSoftcap,
    };
  }
  const c = qwen3ConfigFromHuggingFace(json);
  return {
    ...bookSizes(c),
    head_dim: c.headDim,
    qk_norm: true,
    n_kv_groups: c.nKvGroups,
    rope_base: c.ropeBase,
    dtype: 'float32',
    norm_eps: c.normEps,
  };
}

/** The sizes every family's book config starts with, in the book's order. */
function bookSizes(c: DecoderSizes & { nLayers: number }): Record<string, number> {
  return {
    vocab_size: c.vocabSize,
    context_length: c.contextLength,
    emb_dim: c.embDim,
    n_heads: c.nHeads,
    n_layers: c.nLayers,
    hidden_dim: c.hiddenDim,
  };
}

/** Where the book's classes fix a norm's epsilon instead of reading it from the config. */
const BOOK_NORM_EPS: Record<ModelType, number> = { qwen3: 1e-6, llama: 1e-5, gemma3_text: 1e-6 };

/**
 * The Hugging Face config.json of a book-layout config dict; `tied` says whether its `out_head` is
 * its `tok_emb`. Each field is checked by name, and the result is checked as the family's config.
 */
export function huggingFaceConfigOfBook(bookConfig: unknown, tied: boolean): Record<string, unknown> {
  const modelType = bookFamilyOf(bookConfig);
  if (modelType === undefined) {
    throw new RangeError(
      'config.json is not a book-layout config of Qwen3 (qk_norm), Llama 3 (rope_freq) or Gemma 3 (layer_types)',
    );
  }
  const { architecture } = familyOf({ model_type: modelType });
  const f = new HuggingFaceFields(`${architecture} (book layout)`, bookConfig);
  const embDim = f.number('emb_dim');
  const nHeads = f.number('n_heads');
  const contextLength = f.number('context_length');
  const shared = {
    architectures: [architecture],
    model_type: modelType,
    vocab_size: f.number('vocab_size'),
    max_position_embeddings: contextLength,
    hidden_size: embDim,
    num_attention_heads: nHeads,
    num_key_value_heads: f.number('n_kv_groups'),
    head_dim: modelType === 'llama' ? embDim / nHeads : f.number('head_dim'),
    intermediate_size: f.number('hidden_dim'),
    num_hidden_layers: f.number('n_layers'),
    rms_norm_eps: f.number('norm_eps', BOOK_NORM_EPS[modelType]),
    tie_word_embeddings: tied,
    torch_dtype: 'float32',
  };
  let config: Record<string, unknown>;
  if (modelType === 'llama') {
    // The book's Llama raises rope_base with the context beyond its original length.
    const ropeBase = (f.number('rope_base') * contextLength) / f.number('orig_context_length', contextLength);
    const freq = f.raw('rope_freq');
    const s = freq == null ? undefined : new HuggingFaceFields('rope_freq', freq);
    config = {
      ...shared,
      rope_theta: ropeBase,
      rope_scaling: s && {
        rope_type: 'llama3',
        factor: s.number('factor'),
        low_freq_factor: s.number('low_freq_factor'),
        high_freq_factor: s.number('high_freq_factor'),
        original_max_position_embeddings: s.number('original_context_length'),
      },
    };
  } else if (modelType === 'gemma3_text') {
    const softcap = f.raw('final_logit_softcap');
    config = {
      ...shared,
      rope_theta: f.number('rope_base'),
      rope_local_base_freq: f.number('rope_local_base'),
      sliding_window: f.number('sliding_window'),
      layer_types: f.raw('layer_types'),
      query_pre_attn_scalar: f.number('query_pre_attn_scalar'),
      final_logit_softcapping: softcap == null ? null : f.number('final_logit_softcap'),
      hidden_activation: 'gelu_pytorch_tanh',
    };
  } else {
    config = { ...shared, rope_theta: f.number('rope_base') };
  }
  familyOf(config).decoder(config);
  return config;
}

/** A Hugging Face checkpoint's config and weights in the book's layout (the head always stored). */
export function toBookLayout<T extends LayoutTensor>(
  configJson: unknown,
  tensors: ReadonlyMap<string, T>,
): { config: Record<string, unknown>; tensors: Map<string, T> } {
  const config = bookConfigOf(configJson);
  const modelType = familyOf(configJson).modelType as ModelType;
  const renamed = new Map([...tensors].map(([name, tensor]) => [bookName(name, modelType), tensor]));
  const embedding = renamed.get('tok_emb.weight');
  if (!renamed.has('out_head.weight') && embedding !== undefined) renamed.set('out_head.weight', embedding);
  return { config, tensors: renamed };
}

/**
 * A book-layout config and state dict as a Hugging Face checkpoint: a head equal to the embedding
 * becomes a tied one, stored once.
 */
export function fromBookLayout<T extends LayoutTensor>(
  bookConfig: unknown,
  tensors: ReadonlyMap<string, T>,
): { config: Record<string, unknown>; tensors: Map<string, T> } {
  const modelType = bookFamilyOf(bookConfig);
  const embedding = tensors.get('tok_emb.weight');
  const head = tensors.get('out_head.weight');
  const tied = embedding !== undefined && head !== undefined && sameValues(embedding, head);
  const config = huggingFaceConfigOfBook(bookConfig, tied);
  const renamed = new Map<string, T>();
  for (const [name, tensor] of tensors) {
    if (tied && name === 'out_head.weight') continue;
    renamed.set(huggingFaceName(name, modelType as ModelType), tensor);
  }
  return { config, tensors: renamed };
}

function sameValues(a: LayoutTensor, b: LayoutTensor): boolean {
  if (a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    if (!Object.is(a.data[i], b.data[i])) return false;
  }
  return true;
}
