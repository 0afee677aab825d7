import {
  type HostTensor,
  safetensorsPieces,
  serializeSafetensors,
  type TensorLayoutToWrite,
} from '@scratchgpt/tensor';
import type { GPTModel } from '../gpt-model.js';
import { configToJson } from './config-json.js';
import { bookPartToHf, bookToHf, type HostState, hfShapes, type Layout } from './layouts.js';

export interface SerializedCheckpoint {
  /** config.json content. */
  config: Record<string, unknown>;
  /** model.safetensors bytes (F32). */
  weights: Uint8Array;
  layout: Layout;
}

export interface CheckpointOptions {
  layout?: Layout;
  metadata?: Record<string, string>;
}

/**
 * A model as checkpoint files, in the Hugging Face layout (default, which PyTorch's GPT-2 loaders read)
 * or the book's. Weights are read back from the device asynchronously, so this works on WebGPU.
 */
export async function serializeCheckpoint(
  model: GPTModel,
  options: CheckpointOptions = {},
): Promise<SerializedCheckpoint> {
  const layout = options.layout ?? 'hf';
  const tied = model.config.tieWeights === true;
  const state: HostState = await model.hostStateDict();
  if (layout === 'book' && tied) state.set('out_head.weight', state.get('tok_emb.weight')!);
  const tensors = layout === 'hf' ? bookToHf(state, model.config, { withHead: !tied }) : state;
  const weights = serializeSafetensors(tensors, weightsMetadata(layout, options));
  return { config: configToJson(model.config, layout), weights, layout };
}

/**
 * {@link serializeCheckpoint} with the weights as pieces (the header, then each tensor) read from the
 * device one part of the model at a time, for a writer that never holds the whole file. The bytes are
 * the same.
 */
export function streamCheckpoint(
  model: GPTModel,
  options: CheckpointOptions = {},
): { config: Record<string, unknown>; weights: AsyncIterable<Uint8Array>; layout: Layout } {
  const layout = options.layout ?? 'hf';
  const tied = model.config.tieWeights === true;
  let shapes: Map<string, number[]>;
  let tensors: AsyncIterable<[string, HostTensor]>;
  if (layout === 'hf') {
    shapes = hfShapes(model.config, { withHead: !tied });
    tensors = hfTensorsOf(model, { withHead: !tied });
  } else {
    shapes = model.stateShapes();
    if (tied) shapes.set('out_head.weight', shapes.get('tok_emb.weight')!);
    tensors = bookTensorsOf(model, { tied });
  }
  const layoutToWrite = new Map<string, TensorLayoutToWrite>(
    [...shapes].map(([name, shape]) => [name, { shape, dtype: 'F32' }]),
  );
  const weights = safetensorsPieces(layoutToWrite, tensors, weightsMetadata(layout, options));
  return { config: configToJson(model.config, layout), weights, layout };
}

function weightsMetadata(layout: Layout, options: CheckpointOptions): Record<string, string> {
  return { ...options.metadata, format: 'pt', producer: 'scratchgpt', layout };
}

async function* bookTensorsOf(
  model: GPTModel,
  options: { tied: boolean },
): AsyncGenerator<[string, HostTensor]> {
  yield* model.hostStateEntries();
  // The book's file of a tied model stores the head as a copy of the embedding.
  if (options.tied) yield ['out_head.weight', await partState(model, ['tok_emb']).then(tokenTable)];
}

async function* hfTensorsOf(
  model: GPTModel,
  options: { withHead: boolean },
): AsyncGenerator<[string, HostTensor]> {
  const { config } = model;
  yield* bookPartToHf(await partState(model, ['tok_emb', 'pos_emb']), 'head', config, options);
  for (let i = 0; i < config.nLayers; i++) {
    yield* bookPartToHf(await partState(model, [`trf_blocks.${i}`]), i, config, options);
  }
  const tail = options.withHead ? ['final_norm', 'out_head'] : ['final_norm'];
  yield* bookPartToHf(await partState(model, tail), 'tail', config, options);
}

/** The host state of the named modules only (those the model has), under the model's full names. */
async function partState(model: GPTModel, names: string[]): Promise<HostState> {
  const modules = new Map(model.namedModules());
  const state: HostState = new Map();
  for (const name of names) {
    const module = modules.get(name);
    if (module === undefined) continue;
    for (const [key, tensor] of await module.hostStateDict(`${name}.`)) state.set(key, tensor);
  }
  return state;
}

function tokenTable(state: HostState): HostTensor {
  return state.get('tok_emb.weight')!;
}
