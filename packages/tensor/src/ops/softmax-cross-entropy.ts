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

/** PyTorch's `ignore_index`: a target equal to it counts for nothing (the padding of a batch). */
export const IGNORE_INDEX = -100;

export interface SoftmaxCrossEntropyOptions {
  /** A row whose target equals this counts for nothing: loss 0, gradient 0 (default {@link IGNORE_INDEX}). */
  ignoreIndex?: number;
  /** Also compute d loss / d logits (default false). */
  gradient?: boolean;
  /** `sum` (default): `loss` is the sum over the rows, a scalar; `none`: each row's loss, (rows). */
  reduction?: 'sum' | 'none';
}

/** A type alias, not an interface, so `tf.tidy` accepts it as a tensor container. */
export type RowCrossEntropy<Loss extends tf.Tensor = tf.Scalar> = {
  /** logsumexp(row) − row[target] for each kept row (0 for the rest), summed unless asked not to be. */
  loss: Loss;
  /**
   * d(Σ row losses) / d logits = kept·(softmax − onehot(target)), (rows, width): each row's own
   * gradient, as rows do not interact. Only with `gradient`.
   */
  dLogits?: tf.Tensor;
};

/**
 * logits (rows, width) float32, targets (rows) int32. A row counts when its target lies in [0, width)
 * and is not `ignoreIndex`.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options: SoftmaxCrossEntropyOptions & { reduction: 'none' },
): RowCrossEntropy<tf.Tensor1D>;
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options?: SoftmaxCrossEntropyOptions & { reduction?: 'sum' },
): RowCrossEntropy;
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): RowCrossEntropy<tf.Tensor> {
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  const withGradient = options.gradient ?? false;
  const reduce = (rowLosses: tf.Tensor) => (options.reduction === 'none' ? rowLosses : tf.sum(rowLosses));
  if (hasFusedKernel(fusedKernelNames.softmaxCrossEntropy)) {
    return tf.tidy(() => {
      const [rowLosses, dLogits] = runFused(
        fusedKernelNames.softmaxCrossEntropy,
        { logits, targets },
        { ignoreIndex, withGradient },
      );
      const loss = reduce(rowLosses as tf.Tensor);
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
    const loss = reduce(tf.mul(tf.sub(tf.reshape(logSumExp, [rows]), picked), weight));
    if (!withGradient) return { loss };
    const dLogits = tf.sub(
      tf.mul(probabilities, tf.reshape(weight, [rows, 1])),
      tf.scatterND(pairs, weight, [rows, vocab]),
    ); // (n, V)
    return { loss, dLogits };
  });
}
