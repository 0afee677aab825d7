/**
 * How likely a model finds a response: the book's `compute_logprobs`, the mean log-probability of
 * each target token over the masked positions of a row.
 */
import { tf } from '@scratchgpt/tensor';
import type { LanguageModel } from '@scratchgpt/trainer';
import { crossEntropy } from '@scratchgpt/trainer';
import type { PreferenceSequences } from './collate.js';

/**
 * logits (B, T, V) for the inputs, targets (B, T) int32 (the inputs shifted by one), mask (B, T)
 * float32 → (B): Σ mask·log p(target) / Σ mask per row. log p(target) is minus the token's
 * cross-entropy, which picks each target's logit without a one-hot of the vocabulary.
 */
export function sequenceLogProbs(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const tokenLogProbs = tf.neg(crossEntropy(logits, targets, { reduction: 'none' })); // (B, T)
    return tf.div(tf.sum(tf.mul(tokenLogProbs, mask), -1), tf.sum(mask, -1)) as tf.Tensor1D;
  });
}

/** A model's sequence log-probabilities (B) of one side of a preference batch. */
export function responseLogProbs(
  model: Pick<LanguageModel, 'forward'>,
  sequences: PreferenceSequences,
  batchSize: number,
  length: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const shape: [number, number] = [batchSize, length];
    const logits = model.forward(tf.tensor2d(sequences.inputs, shape, 'int32')); // (B, T, V)
    return sequenceLogProbs(
      logits,
      tf.tensor2d(sequences.targets, shape, 'int32'),
      tf.tensor2d(sequences.mask, shape),
    );
  });
}
