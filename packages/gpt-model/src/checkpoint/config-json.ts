import { jsonPreview } from '@scratchgpt/tensor';
import { ConfigError, type GPTConfig, validateConfig } from '../config.js';
import { CONFIG_FILE } from './file-names.js';

/** Which keys a config.json uses: the book's (`emb_dim`…) or Hugging Face GPT-2's (`n_embd`…). */
export type ConfigFormat = 'book' | 'hf';

type Json = Record<string, unknown>;

function number(json: Json, key: string, source: string): number {
  const value = json[key];
  if (typeof value !== 'number')
    throw new ConfigError(`${source}: "${key}" must be a number, got ${jsonPreview(value)}`);
  return value;
}

/** The first of `keys` the config gives (it must be true or false), else `undefined`. */
function statedBoolean(json: Json, keys: string[], source: string): boolean | undefined {
  for (const key of keys) {
    if (!Object.hasOwn(json, key)) continue;
    const value = json[key];
    if (typeof value !== 'boolean') {
      throw new ConfigError(`${source}: "${key}" must be true or false, got ${jsonPreview(value)}`);
    }
    return value;
  }
  return undefined;
}

export function detectConfigFormat(json: Json): ConfigFormat | undefined {
  if ('emb_dim' in json) return 'book';
  if ('n_embd' in json) return 'hf';
  return undefined;
}

/** Reads either key set, checks every value, and says which format it was. */
export function parseConfigJson(
  value: unknown,
  source: string = CONFIG_FILE,
): { config: GPTConfig; format: ConfigFormat; tieStated: boolean } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${source} must hold a JSON object`);
  }
  const json = value as Json;
  const format = detectConfigFormat(json);
  if (format === undefined) {
    throw new ConfigError(
      `${source} has neither the book's keys (vocab_size, context_length, emb_dim, n_heads, n_layers, ` +
        "drop_rate, qkv_bias) nor Hugging Face GPT-2's (vocab_size, n_positions, n_embd, n_head, n_layer)",
    );
  }
  const positionEmbedding = json.position_embedding;
  const qkvBias = statedBoolean(json, ['qkv_bias'], source);
  const tie = statedBoolean(
    json,
    format === 'book' ? ['tie_word_embeddings', 'tied'] : ['tie_word_embeddings'],
    source,
  );
  const config: GPTConfig =
    format === 'book'
      ? {
          vocabSize: number(json, 'vocab_size', source),
          contextLength: number(json, 'context_length', source),
          embDim: number(json, 'emb_dim', source),
          nHeads: number(json, 'n_heads', source),
          nLayers: number(json, 'n_layers', source),
          dropRate: number(json, 'drop_rate', source),
          qkvBias: qkvBias ?? false,
          tieWeights: tie ?? false,
        }
      : {
          vocabSize: number(json, 'vocab_size', source),
          contextLength: number(json, 'n_positions' in json ? 'n_positions' : 'n_ctx', source),
          embDim: number(json, 'n_embd', source),
          nHeads: number(json, 'n_head', source),
          nLayers: number(json, 'n_layer', source),
          dropRate: Object.hasOwn(json, 'resid_pdrop') ? number(json, 'resid_pdrop', source) : 0.1,
          // GPT-2 itself has query/key/value biases and ties its head to the token embedding.
          qkvBias: qkvBias ?? true,
          tieWeights: tie ?? true,
        };
  if (positionEmbedding !== undefined) {
    if (typeof positionEmbedding !== 'string') {
      throw new ConfigError(
        `${source}: "position_embedding" must be a string, got ${jsonPreview(positionEmbedding)}`,
      );
    }
    config.positionEmbedding = positionEmbedding as GPTConfig['positionEmbedding'] & string;
  }
  try {
    return { config: validateConfig(config), format, tieStated: tie !== undefined };
  } catch (error) {
    throw new ConfigError(`${source}: ${(error as Error).message}`);
  }
}

/** config.json content in either key set. */
export function configToJson(config: GPTConfig, format: ConfigFormat): Json {
  const extra: Json =
    config.positionEmbedding && config.positionEmbedding !== 'learned'
      ? { position_embedding: config.positionEmbedding }
      : {};
  if (format === 'book') {
    return {
      vocab_size: config.vocabSize,
      context_length: config.contextLength,
      emb_dim: config.embDim,
      n_heads: config.nHeads,
      n_layers: config.nLayers,
      drop_rate: config.dropRate,
      qkv_bias: config.qkvBias,
      tie_word_embeddings: config.tieWeights ?? false,
      ...extra,
    };
  }
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.contextLength,
    n_ctx: config.contextLength,
    n_embd: config.embDim,
    n_head: config.nHeads,
    n_layer: config.nLayers,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: config.dropRate,
    embd_pdrop: config.dropRate,
    attn_pdrop: config.dropRate,
    qkv_bias: config.qkvBias,
    tie_word_embeddings: config.tieWeights ?? false,
    ...extra,
  };
}
