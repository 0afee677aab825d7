/**
 * Sparse cross-entropy over logits, with PyTorch's `ignore_index` (the chapter 7 padding mask).
 *
 * Never builds a one-hot of the vocabulary: each row's target logit is picked with `gatherND` at its
 * (row, target) pair, and the gradient (softmax − onehot) subtracts a `scatterND` of N values at the
 * same pairs. Why pairs and not one flat index `row·V + target`: WebGPU's gather and scatter shaders
 * read index tensors as float32, exact only below 2^24, and N·V passes that with GPT-2's vocabulary
 * from 334 rows on (the wrong logits come back silently). Each coordinate of a pair stays small.
 * `tf.gather` with `batchDims` is avoided as well: its gradient fails on wasm.
 */
import { tf } from '@scratchgpt/tensor';

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
  const ignoreIndex = options.ignoreIndex ?? -100;
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
    const kept = tf.cast(tf.logicalNot(ignored), 'float32'); // (N): 1 where the target counts
    // Ignored and out-of-range rows read column 0, so the gather never leaves the logits.
    const safeTargets = tf.where(inRange, flatTargets, tf.zerosLike(flatTargets));
    const pairs = tf.stack([tf.range(0, rows, 1, 'int32'), safeTargets], 1); // (N, 2): (row, target)
    // NaN for a real target outside the vocabulary, 0 elsewhere: added to the per-row loss.
    const badTarget = tf.where(tf.logicalOr(inRange, ignored), tf.zeros([rows]), tf.fill([rows], Number.NaN));

    const loss = rowLosses(tf.reshape(logits, [rows, vocabSize]), pairs, kept, badTarget); // (N)
    if (reduction === 'none') return tf.reshape(loss, targets.shape);
    if (reduction === 'sum') return tf.sum(loss);
    // PyTorch's order: sum the kept losses, then divide by their count (1 when none is kept).
    return tf.div(tf.sum(loss), tf.maximum(tf.sum(kept), 1));
  });
}

/**
 * Per-row losses `kept·(logsumexp(row) − row[target]) + badTarget` with the gradient
 * `dy·kept·(softmax(row) − onehot(target))`, the onehot replaced by a scatter at `pairs`.
 * Everything the gradient reads goes through `save`: the caller's tensors are gone by backprop time.
 */
function rowLosses(
  logits: tf.Tensor, // (N, V)
  pairs: tf.Tensor, // (N, 2) int32: (row, target)
  kept: tf.Tensor, // (N) float32, 0 for ignored rows
  badTarget: tf.Tensor, // (N) 0, or NaN for a target outside the vocabulary
): tf.Tensor {
  const [rows, vocabSize] = logits.shape as [number, number];
  const lossFn = tf.customGrad((x, save) => {
    const input = x as tf.Tensor2D;
    const max = tf.max(input, 1, true); // (N, 1)
    const sumExp = tf.sum(tf.exp(tf.sub(input, max)), 1, true); // (N, 1)
    const logSumExp = tf.add(tf.log(sumExp), max); // (N, 1)
    const picked = tf.gatherND(input, pairs); // (N)
    const value = tf.add(tf.mul(tf.sub(tf.reshape(logSumExp, [rows]), picked), kept), badTarget);
    (save as tf.GradSaveFunc)([input, logSumExp, pairs, kept]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [savedLogits, savedLogSumExp, savedPairs, savedKept] = saved as tf.Tensor[] as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
        ];
        const weight = tf.mul(dy as tf.Tensor, savedKept); // (N)
        const softmax = tf.exp(tf.sub(savedLogits, savedLogSumExp)); // (N, V)
        const atTargets = tf.scatterND(savedPairs, weight, [rows, vocabSize]); // (N, V), N nonzeros
        return tf.sub(tf.mul(softmax, tf.reshape(weight, [rows, 1])), atTargets);
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
