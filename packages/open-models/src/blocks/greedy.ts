import { tf } from '@scratchgpt/tensor';
import type { DecoderModel } from './decoder-model.js';

/**
 * The `maxNewTokens` most likely next tokens, one at a time (without the prompt). With the cache (the
 * default) each step runs only the newest token; without it each step reruns the whole sequence. The
 * sequence must fit the context: these models' positions are absolute, so no cropping is done here.
 */
export async function greedyTokens(
  model: DecoderModel,
  promptIds: readonly number[],
  maxNewTokens: number,
  options: { useCache?: boolean } = {},
): Promise<number[]> {
  if (promptIds.length === 0) throw new RangeError('The prompt is empty: give at least one token id');
  const { contextLength, family } = model.config;
  if (promptIds.length + maxNewTokens > contextLength) {
    throw new RangeError(
      `${promptIds.length} prompt tokens + ${maxNewTokens} new exceed ${family}'s context length ${contextLength}`,
    );
  }
  const cache = options.useCache === false ? undefined : model.createCache();
  const wasTraining = model.training;
  model.eval();
  const ids = [...promptIds];
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      const fresh = cache ? ids.slice(cache.length) : ids;
      const next = tf.tidy(() => {
        const logits = model.forward(
          tf.tensor2d([fresh], [1, fresh.length], 'int32'),
          cache ? { cache } : {},
        );
        const last = tf.slice(logits, [0, fresh.length - 1, 0], [1, 1, -1]);
        return tf.argMax(tf.reshape(last, [-1]));
      });
      ids.push((await next.data())[0] as number);
      next.dispose();
    }
  } finally {
    cache?.dispose();
    model.train(wasTraining);
  }
  return ids.slice(promptIds.length);
}
