/**
 * The attention weights of every layer and head for a prompt: the book's chapter 3 matrices, computed
 * by the trained model in eval mode (no dropout on the weights).
 */
import type { GPTModel } from '@scratchgpt/gpt-model';
import { tf } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import type { MessageOf } from '../protocol.js';

/** The most tokens a heatmap labels legibly. */
export const maxHeatmapTokens = 48;

export async function promptAttention(model: GPTModel, prompt: string): Promise<MessageOf<'attention'>> {
  const tokenizer = getGPT2Tokenizer();
  const allIds = tokenizer.encode(prompt);
  if (allIds.length === 0) throw new Error('The prompt is empty: type a few words to see their attention');
  const keep = Math.min(maxHeatmapTokens, model.config.contextLength);
  const ids = allIds.slice(-keep);
  const wasTraining = model.training;
  model.eval();
  const input = tf.tensor2d([ids], [1, ids.length], 'int32');
  const { logits, attention } = model.forwardWithAttention(input);
  model.train(wasTraining);
  tf.dispose([input, logits]);
  const { nLayers: layers, nHeads: heads } = model.config;
  const size = ids.length * ids.length;
  const weights = new Float32Array(layers * heads * size);
  for (const [layer, tensor] of attention.entries()) {
    weights.set(await tensor.data(), layer * heads * size); // (1, heads, T, T)
    tensor.dispose();
  }
  return {
    type: 'attention',
    tokens: ids.map((id) => tokenizer.decode([id])),
    layers,
    heads,
    weights,
    dropped: allIds.length - ids.length,
  };
}
