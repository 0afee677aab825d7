import { serializeSafetensors } from '@scratchgpt/tensor';
import type { GPTModel } from '../gpt-model.js';
import { configToJson } from './config-json.js';
import { bookToHf, type HostState, type Layout } from './layouts.js';

export interface SerializedCheckpoint {
  /** config.json content. */
  config: Record<string, unknown>;
  /** model.safetensors bytes (F32). */
  weights: Uint8Array;
  layout: Layout;
}

/**
 * A model as checkpoint files, in the Hugging Face layout (default, which PyTorch's GPT-2 loaders read)
 * or the book's. Weights are read back from the device asynchronously, so this works on WebGPU.
 */
export async function serializeCheckpoint(
  model: GPTModel,
  options: { layout?: Layout; metadata?: Record<string, string> } = {},
): Promise<SerializedCheckpoint> {
  const layout = options.layout ?? 'hf';
  const tied = model.config.tieWeights === true;
  const state: HostState = await model.hostStateDict();
  if (layout === 'book' && tied) state.set('out_head.weight', state.get('tok_emb.weight')!);
  const tensors = layout === 'hf' ? bookToHf(state, model.config, { withHead: !tied }) : state;
  const weights = serializeSafetensors(tensors, {
    ...options.metadata,
    format: 'pt',
    producer: 'scratchgpt',
    layout,
  });
  return { config: configToJson(model.config, layout), weights, layout };
}
