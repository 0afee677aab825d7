/**
 * Streamed generation for any model with the parts the shared loop reads. `generateStream` of
 * `@scratchgpt/gpt-model` is declared for `GPTModel`, but it reads only what `TokenModel` names (the
 * vocabulary and context sizes, train/eval, a KV cache and `forward`), which the open families'
 * `DecoderModel` has too: the page hands it over here, in this one place, rather than keeping a
 * second copy of the loop. Once `generateStream` takes a structural model the cast goes.
 */
import { type GenerateOptions, type GPTModel, generateStream } from '@scratchgpt/gpt-model';
import type { tf } from '@scratchgpt/tensor';

/** The keys and values of earlier tokens, as the loop uses them. */
export interface TokenCache {
  readonly length: number;
  reset(): void;
  dispose(): void;
}

/** What the generation loop reads of a model. */
export interface TokenModel {
  readonly config: { readonly vocabSize: number; readonly contextLength: number };
  readonly training: boolean;
  eval(): void;
  train(mode?: boolean): void;
  createCache(): TokenCache;
  forward(ids: tf.Tensor, options?: { cache?: TokenCache }): tf.Tensor;
}

/** New token ids one at a time, as `generateStream` yields them. */
export function streamTokens(
  model: TokenModel,
  promptIds: readonly number[],
  options: GenerateOptions,
): AsyncGenerator<number, void, undefined> {
  return generateStream(model as unknown as GPTModel, promptIds, options);
}
