/**
 * Sparse cross-entropy over logits, with PyTorch's `ignore_index` (the chapter 7 padding mask), as the
 * tensor package's `softmaxCrossEntropy` computes it: its fused kernel where the backend has one
 * (wasm, blas, WebGPU), TF.js primitives elsewhere. This adds the reductions, the NaN for a target
 * outside the vocabulary, and a place on the gradient tape.
 *
 * Never builds a one-hot of the vocabulary: the composed path picks each row's target logit with
 * `gatherND` at its (row, target) pair and subtracts a `scatterND` of N values at the same pairs for
 * the gradient. Why pairs and not one flat index `row·V + target`: WebGPU's gather and scatter shaders
 * read index tensors as float32, exact only below 2^24, and N·V passes that with GPT-2's vocabulary
 * from 334 rows on (the wrong logits come back silently). Each coordinate of a pair stays small.
 */
import { IGNORE_INDEX, softmaxCrossEntropy, tf } from '@scratchgpt/tensor';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Targets equal to this contribute neither loss nor gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /**
   * `mean` over the targets that are not ignored (default), `sum`, or `none`: one loss per target,
   * shaped like the targets, 0 where ignored. A `mean` over zero targets is 0 with a zero gradient
   * (PyTorch gives NaN).
   */
  reduction?: Reduction;
}

/** True while a gradient tape records (inside `tf.grads`, `variableGrads`, `computeGradients`). */
export function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

/**
 * logits float32 [N, V] or [B, T, V]; targets int32 [N] or [B, T]. A target outside [0, V) that is not
 * `ignoreIndex` makes the loss NaN (a non-finite loss a training loop stops on), never a silent read.
 */
export function crossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options?: CrossEntropyOptions & { reduction?: 'mean' | 'sum' },
): tf.Scalar;
export function crossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options: CrossEntropyOptions & { reduction: 'none' },
): tf.Tensor;
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, options?: CrossEntropyOptions): tf.Tensor;
export function crossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  options: CrossEntropyOptions = {},
): tf.Tensor {
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  const reduction = options.reduction ?? 'mean';
  checkShapes(logits, targets);
  if (!Number.isInteger(ignoreIndex))
    throw new RangeError(`ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
  const vocabSize = logits.shape[logits.rank - 1] as number;
  const rows = targets.size;

  return tf.tidy(() => {
    const int = (value: number) => tf.scalar(value, 'int32'); // a bare number would upcast to float32
    const flatTargets = tf.reshape(targets, [rows]); // (N)
    const ignored = tf.equal(flatTargets, int(ignoreIndex));
    const inRange = tf.logicalAnd(tf.greaterEqual(flatTargets, int(0)), tf.less(flatTargets, int(vocabSize)));
    // NaN for a real target outside the vocabulary, 0 elsewhere: added to the per-row loss.
    const badTarget = tf.where(tf.logicalOr(inRange, ignored), tf.zeros([rows]), tf.fill([rows], Number.NaN));

    const loss = tf.add(
      rowLosses(tf.reshape(logits, [rows, vocabSize]), flatTargets, ignoreIndex),
      badTarget,
    ); // (N)
    if (reduction === 'none') return tf.reshape(loss, targets.shape);
    if (reduction === 'sum') return tf.sum(loss);
    // PyTorch's order: sum the kept losses, then divide by their count (1 when none is kept).
    const kept = tf.cast(tf.logicalNot(ignored), 'float32'); // (N): 1 where the target counts
    return tf.div(tf.sum(loss), tf.maximum(tf.sum(kept), 1));
  });
}

/**
 * Each row's loss, kept·(logsumexp(row) − row[target]), by `softmaxCrossEntropy`. While a tape records,
 * its d logits come with the loss (one softmax for both) and the backward pass only scales them by the
 * upstream gradient of each row.
 */
function rowLosses(
  logits: tf.Tensor, // (N, V)
  targets: tf.Tensor, // (N) int32
  ignoreIndex: number,
): tf.Tensor {
  const rows = logits.shape[0] as number;
  const lossFn = tf.customGrad((x, save) => {
    const { loss, dLogits } = softmaxCrossEntropy(x as tf.Tensor, targets, {
      ignoreIndex,
      gradient: recordingGradients(),
      reduction: 'none',
    });
    (save as tf.GradSaveFunc)(dLogits === undefined ? [] : [dLogits]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [savedDLogits] = saved as tf.Tensor[];
        if (savedDLogits === undefined) throw new Error('crossEntropy: no gradient was recorded');
        return tf.mul(savedDLogits, tf.reshape(dy as tf.Tensor, [rows, 1]));
      },
    };
  });
  return lossFn(logits);
}

function checkShapes(logits: tf.Tensor, targets: tf.Tensor): void {
  if (logits.dtype !== 'float32')
    throw new TypeError(`crossEntropy needs float32 logits, got ${logits.dtype}`);
  if (targets.dtype !== 'int32') {
    throw new TypeError(`crossEntropy needs int32 targets, got ${targets.dtype} (cast them with tf.cast)`);
  }
  const leading = logits.shape.slice(0, -1);
  const matches =
    (logits.rank === 2 || logits.rank === 3) &&
    targets.rank === leading.length &&
    leading.every((size, i) => size === targets.shape[i]);
  if (!matches) {
    throw new RangeError(
      `crossEntropy needs logits [N, V] with targets [N], or [B, T, V] with [B, T]; got logits ` +
        `[${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}]`,
    );
  }
}
