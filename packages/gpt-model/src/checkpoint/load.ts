import { loadInPieces } from '@scratchgpt/embeddings';
import {
  buildInPrecision,
  checkWeightDtype,
  checkWeights,
  NoInitGenerator,
  parseSafetensors,
  readsInPieces,
  type Safetensors,
  type SafetensorsEntry,
  type SafetensorsRanges,
  type SafetensorsTensor,
  type StoragePrecision,
  setDropoutGenerator,
} from '@scratchgpt/tensor';
import type { GPTConfig } from '../config.js';
import { GPTModel, type ModelOptions } from '../gpt-model.js';
import { type ConfigFormat, parseConfigJson } from './config-json.js';
import { CheckpointError, formatShape } from './errors.js';
import { CONFIG_FILE, WEIGHTS_FILE } from './file-names.js';
import type { HostTensor } from './host-tensor.js';
import {
  bookShapes,
  detectLayout,
  type HostState,
  hfRenamedOnly,
  hfShapes,
  hfTensorToBook,
  hfToBook,
  isIgnoredTensor,
  type Layout,
} from './layouts.js';

export interface LoadedModel {
  model: GPTModel;
  config: GPTConfig;
  layout: Layout;
  configFormat: ConfigFormat;
  /** The weights file's `__metadata__`. */
  metadata: Record<string, string>;
}

export interface LoadModelOptions {
  /** Names used in error messages (default: config.json, model.safetensors). */
  configSource?: string;
  weightsSource?: string;
  maxShardBytes?: ModelOptions['maxShardBytes'];
  /**
   * Stores the Linear weights and the tables in this precision as they load (default f32): the model
   * is built in it (`buildInPrecision`), so it never exists whole in float32, and each weight is read
   * in float32 and rounded on its way in.
   */
  weightPrecision?: StoragePrecision;
}

/**
 * Builds a model from a checkpoint's config.json content and model.safetensors bytes, in either layout
 * and with F32, F16 or BF16 weights. Anything that does not fit the config is an error naming the tensor
 * and both shapes.
 */
export function loadModel(
  configJson: unknown,
  weights: Uint8Array,
  options: LoadModelOptions = {},
): LoadedModel {
  const source = options.weightsSource ?? WEIGHTS_FILE;
  return loadModelFromSafetensors(configJson, parseSafetensors(weights, source), options);
}

/** {@link loadModel} from a parsed safetensors file (read tensor by tensor where it is too large for one buffer). */
export function loadModelFromSafetensors(
  configJson: unknown,
  file: Safetensors,
  options: LoadModelOptions = {},
): LoadedModel {
  const configSource = options.configSource ?? CONFIG_FILE;
  const source = options.weightsSource ?? WEIGHTS_FILE;
  const parsed = parseConfigJson(configJson, configSource);
  const { state, metadata } = readState(file, source);
  const layout = layoutOf(state, source);
  const headName = layout === 'hf' ? 'lm_head.weight' : 'out_head.weight';
  const config = settleHead(parsed.config, parsed.tieStated, state, layout, {
    source,
    configSource,
    headEqualsEmbedding: () => sameValues(state.get(headName), state.get('tok_emb.weight')),
  });
  if (config.tieWeights) state.delete(headName);
  checkTensors(state, expectedShapes(config, layout), source, describe(config, parsed.format));
  if (layout === 'hf') {
    for (const [name, tensor] of state) checkZeroQkvBias(name, tensor, config, source, configSource);
  }
  const bookState = layout === 'hf' ? hfToBook(state, config, { withHead: !config.tieWeights }) : state;
  const model = emptyModel(config, options);
  try {
    // Host tensors: vocabulary tables are cut into shards on the host, never bound whole on the device.
    model.loadStateDict(bookState);
  } catch (error) {
    // A weight that the model's storage refuses (beyond f16's range): nothing is left allocated.
    model.dispose();
    throw error;
  }
  return { model, config, layout, configFormat: parsed.format, metadata };
}

/**
 * {@link loadModelFromSafetensors} from a file read by byte ranges: every check on names and shapes is
 * made from the header, before any weight is read; then each tensor is read, checked, converted and
 * copied into the model before the next is read, so loading holds the model and one tensor, never the
 * whole file beside it.
 */
export async function loadModelFromRanges(
  configJson: unknown,
  file: SafetensorsRanges,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const configSource = options.configSource ?? CONFIG_FILE;
  const source = options.weightsSource ?? WEIGHTS_FILE;
  const parsed = parseConfigJson(configJson, configSource);
  const entries = new Map<string, SafetensorsEntry>();
  for (const entry of file.entries) {
    const bare = bareName(entry.name);
    if (isIgnoredTensor(bare)) continue;
    checkWeightDtype(entry.name, entry.dtype, source, (message) => new CheckpointError(message));
    entries.set(bare, entry);
  }
  const read = async (name: string): Promise<SafetensorsTensor | undefined> => {
    const entry = entries.get(name);
    if (entry === undefined) return undefined;
    const tensor = await file.readTensor(entry);
    checkWeights([[entry.name, tensor]], source, (message) => new CheckpointError(message));
    return tensor;
  };
  const layout = layoutOf(entries, source);
  const headName = layout === 'hf' ? 'lm_head.weight' : 'out_head.weight';
  // Only a book file that ties its head in config.json yet stores one needs two tables compared.
  const compareHead = layout === 'book' && parsed.config.tieWeights === true && entries.has(headName);
  const headEqual = compareHead && sameValues(await read(headName), await read('tok_emb.weight'));
  const config = settleHead(parsed.config, parsed.tieStated, entries, layout, {
    source,
    configSource,
    headEqualsEmbedding: () => headEqual,
  });
  if (config.tieWeights) entries.delete(headName);
  checkTensors(entries, expectedShapes(config, layout), source, describe(config, parsed.format));

  const model = emptyModel(config, options);
  try {
    for (const entry of file.entries) {
      const name = bareName(entry.name);
      if (entries.get(name) !== entry) continue;
      const direct = layout === 'book' ? name : hfRenamedOnly(name);
      if (direct !== undefined && readsInPieces(entry.dtype)) {
        // Straight into the model's storage: the token table is never held a second time.
        await loadInPieces(model, direct, file, entry, source, (message) => new CheckpointError(message));
        continue;
      }
      const tensor = (await read(name)) as SafetensorsTensor;
      const host = { shape: tensor.shape, data: tensor.data as Float32Array };
      if (layout === 'book') {
        model.loadStateDict(new Map([[name, host]]), { strict: false });
        continue;
      }
      checkZeroQkvBias(name, host, config, source, configSource);
      model.loadStateDict(hfTensorToBook(name, host, config), { strict: false });
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, config, layout, configFormat: parsed.format, metadata: file.metadata };
}

/** A model of `config` whose weights are about to be overwritten: no initialisation drawn. */
function emptyModel(config: GPTConfig, options: LoadModelOptions): GPTModel {
  const shards = options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {};
  const model = buildInPrecision(
    options.weightPrecision ?? 'f32',
    () => new GPTModel(config, { generator: new NoInitGenerator(), ...shards }),
  );
  // The zero generator only skips the initialisation; dropout must draw real masks, from the default
  // generator, whose state a training run saves and restores.
  setDropoutGenerator(model, undefined);
  return model;
}

function bareName(name: string): string {
  return name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
}

function layoutOf(names: ReadonlyMap<string, unknown>, source: string): Layout {
  const layout = detectLayout(names.keys());
  if (layout === undefined) {
    throw new CheckpointError(
      `${source} holds neither checkpoint layout: expected 'tok_emb.weight' (the book's) or 'wte.weight' (Hugging Face GPT-2's)`,
    );
  }
  return layout;
}

function expectedShapes(config: GPTConfig, layout: Layout): Map<string, number[]> {
  return layout === 'book'
    ? bookShapes(config, { withHead: !config.tieWeights })
    : hfShapes(config, { withHead: !config.tieWeights });
}

function readState(
  file: Safetensors,
  source: string,
): { state: HostState; metadata: Record<string, string> } {
  const state: HostState = new Map();
  for (const [name, tensor] of file.tensors) {
    const bare = bareName(name);
    if (isIgnoredTensor(bare)) continue;
    checkWeights([[name, tensor]], source, (message) => new CheckpointError(message));
    state.set(bare, { shape: tensor.shape, data: tensor.data as Float32Array });
  }
  return { state, metadata: file.metadata };
}

/**
 * Whether the head is tied follows the weights: Hugging Face files without `lm_head.weight` are tied; a
 * book file is tied when it has no `out_head.weight` or the config ties it (then it must equal tok_emb).
 * A config that says the head is separate, over weights without one, is a contradiction.
 */
function settleHead(
  config: GPTConfig,
  tieStated: boolean,
  names: ReadonlyMap<string, unknown>,
  layout: Layout,
  context: { source: string; configSource: string; headEqualsEmbedding: () => boolean },
): GPTConfig {
  const { source } = context;
  const headName = layout === 'hf' ? 'lm_head.weight' : 'out_head.weight';
  if (!names.has(headName)) {
    if (tieStated && config.tieWeights === false) {
      throw new CheckpointError(
        `${context.configSource} says tie_word_embeddings: false, but ${source} has no '${headName}': the head is missing (or set tie_word_embeddings to true if it is tied)`,
      );
    }
    return { ...config, tieWeights: true };
  }
  if (layout === 'book' && config.tieWeights) {
    if (!context.headEqualsEmbedding()) {
      throw new CheckpointError(
        `${source}: the config ties the output head to the token embedding, but 'out_head.weight' differs from 'tok_emb.weight'`,
      );
    }
    return config;
  }
  return { ...config, tieWeights: false };
}

function sameValues(
  a: { data: ArrayLike<number> } | undefined,
  b: { data: ArrayLike<number> } | undefined,
): boolean {
  if (a === undefined || b === undefined || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

function describe(config: GPTConfig, format: ConfigFormat): string {
  return format === 'book'
    ? `config.json (vocab_size ${config.vocabSize}, context_length ${config.contextLength}, emb_dim ${config.embDim}, n_layers ${config.nLayers}, qkv_bias ${config.qkvBias})`
    : `config.json (vocab_size ${config.vocabSize}, n_positions ${config.contextLength}, n_embd ${config.embDim}, n_layer ${config.nLayers})`;
}

function checkTensors(
  state: ReadonlyMap<string, { shape: readonly number[] }>,
  expected: Map<string, number[]>,
  source: string,
  configText: string,
): void {
  for (const [name, shape] of expected) {
    const tensor = state.get(name);
    if (tensor == null) {
      throw new CheckpointError(
        `${source} is missing tensor '${name}' (expected shape ${formatShape(shape)} by ${configText})`,
      );
    }
    const same = tensor.shape.length === shape.length && tensor.shape.every((size, i) => size === shape[i]);
    if (!same) {
      throw new CheckpointError(
        `${source}: tensor '${name}' has shape ${formatShape(tensor.shape)} but ${configText} expects ${formatShape(shape)}`,
      );
    }
  }
  for (const name of state.keys()) {
    if (!expected.has(name)) {
      throw new CheckpointError(
        `${source} has tensor '${name}', which a model of ${configText} does not have`,
      );
    }
  }
}

/** A model without query/key/value biases may only come from a Hugging Face file whose c_attn biases are zero. */
function checkZeroQkvBias(
  name: string,
  tensor: HostTensor,
  config: GPTConfig,
  source: string,
  configSource: string,
): void {
  if (config.qkvBias || !/^h\.\d+\.attn\.c_attn\.bias$/.test(name)) return;
  if (tensor.data.some((value) => value !== 0)) {
    throw new CheckpointError(
      `${configSource} says qkv_bias false, but ${source} has nonzero values in '${name}'`,
    );
  }
}
