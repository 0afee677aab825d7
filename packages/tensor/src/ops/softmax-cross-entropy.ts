/**
 * The cross-entropy of rows of logits against their targets, and the gradient of its sum straight away
 * (for a loss that is the last op, as a language model's is). Where the backend has the fused kernel
 * (WebGPU) this is one pass per row. Elsewhere one softmax serves both: log Σ exp(logits) = max −
 * log(largest probability), and that probability is at least 1/width, so its log never underflows. (A
 * softmax, not exp: TF.js's wasm backend runs softmax through XNNPACK's vector kernel and exp one
 * element at a time, ten times slower.)
 */
import { fusedKernelNames } from '../kernels/fused-kernel-names.js';
import { tf } from '../tf.js';
import { hasFusedKernel, runFused } from './fused.js';

/** A type alias, not an interface, so `tf.tidy` accepts it as a tensor container. */
export type RowCrossEntropy = {
  /** Σ over kept rows of logsumexp(row) − row[target]. */
  loss: tf.Scalar;
  /** d loss / d logits = kept·(softmax − onehot(target)), (rows, width); only when asked. */
  dLogits?: tf.Tensor;
};

/**
 * logits (rows, width) float32, targets (rows) int32. A row counts when its target lies in [0, width)
 * and is not `ignoreIndex`.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  ignoreIndex: number,
  withGradient: boolean,
): RowCrossEntropy {
  if (hasFusedKernel(fusedKernelNames.softmaxCrossEntropy)) {
    return tf.tidy(() => {
      const [rowLosses, dLogits] = runFused(
        fusedKernelNames.softmaxCrossEntropy,
        { logits, targets },
        { ignoreIndex, withGradient },
      );
      const loss = tf.sum(rowLosses as tf.Tensor) as tf.Scalar;
      return withGradient ? { loss, dLogits: dLogits as tf.Tensor } : { loss };
    });
  }
  return tf.tidy(() => {
    const [rows, vocab] = logits.shape as [number, number];
    const kept = tf.logicalAnd(
      tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')),
      tf.logicalAnd(
        tf.greaterEqual(targets, tf.scalar(0, 'int32')),
        tf.less(targets, tf.scalar(vocab, 'int32')),
      ),
    );
    const weight = tf.cast(kept, 'float32'); // (n)
    const pairs = tf.stack(
      [tf.range(0, rows, 1, 'int32'), tf.where(kept, targets, tf.zerosLike(targets))],
      1,
    );
    const probabilities = tf.softmax(logits); // (n, V)
    const logSumExp = tf.sub(tf.max(logits, 1, true), tf.log(tf.max(probabilities, 1, true))); // (n, 1)
    const picked = tf.gatherND(logits, pairs); // (n)
    const loss = tf.sum(tf.mul(tf.sub(tf.reshape(logSumExp, [rows]), picked), weight)) as tf.Scalar;
    if (!withGradient) return { loss };
    const dLogits = tf.sub(
      tf.mul(probabilities, tf.reshape(weight, [rows, 1])),
      tf.scatterND(pairs, weight, [rows, vocab]),
    ); // (n, V)
    return { loss, dLogits };
  });
}
