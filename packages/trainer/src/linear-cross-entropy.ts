/**
 * crossEntropy(hidden · Wᵀ, targets) without the (N, vocab) logits ever existing whole.
 *
 * With GPT-2's vocabulary the logits of a 2 × 256 batch take 103 MB, and their loss and gradient need a
 * few more copies: on wasm, whose heap stops at 4 GiB, that alone keeps GPT-2 small from training. Here
 * the rows go through in chunks, in the forward pass and again (recomputing each chunk's logits) in the
 * backward pass, which returns the gradients of `hidden` and of every weight shard.
 */
import { matMul, tf } from '@scratchgpt/tensor';
import { crossEntropy } from './cross-entropy.js';

export interface LinearCrossEntropyOptions {
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum';
  /** Rows per chunk; by default as many as keep one chunk's logits near 32 MB. */
  chunkRows?: number;
}

const CHUNK_BYTES = 32 * 2 ** 20;

/**
 * d(Σ row losses)/d logits = kept·(softmax − onehot(target)), the onehot as a scatter at (row, target)
 * pairs (a gradient cannot be taken inside another's backward pass, so it is written out).
 */
function sumLossGradient(logits: tf.Tensor, targets: tf.Tensor, ignoreIndex: number): tf.Tensor {
  const [rows, vocab] = logits.shape as [number, number];
  const kept = tf.logicalAnd(
    tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')),
    tf.logicalAnd(
      tf.greaterEqual(targets, tf.scalar(0, 'int32')),
      tf.less(targets, tf.scalar(vocab, 'int32')),
    ),
  );
  const weight = tf.cast(kept, 'float32'); // (n)
  const safeTargets = tf.where(kept, targets, tf.zerosLike(targets));
  const pairs = tf.stack([tf.range(0, rows, 1, 'int32'), safeTargets], 1); // (n, 2)
  const softmax = tf.exp(tf.sub(logits, tf.logSumExp(logits, 1, true))); // (n, V)
  return tf.sub(tf.mul(softmax, tf.reshape(weight, [rows, 1])), tf.scatterND(pairs, weight, [rows, vocab]));
}

/**
 * hidden (N, D) float32; weights: the output projection as row shards (V_i, D), concatenated in order;
 * targets (N) int32. Returns the loss as `crossEntropy` would on the full logits.
 */
export function linearCrossEntropy(
  hidden: tf.Tensor,
  weights: tf.Tensor[],
  targets: tf.Tensor,
  options: LinearCrossEntropyOptions = {},
): tf.Scalar {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const [rows, dim] = hidden.shape as [number, number];
  if (hidden.rank !== 2 || targets.rank !== 1 || targets.shape[0] !== rows) {
    throw new RangeError(
      `linearCrossEntropy needs hidden [N, D] and targets [N], got [${hidden.shape.join(', ')}] and [${targets.shape.join(', ')}]`,
    );
  }
  const vocab = weights.reduce((n, w) => n + (w.shape[0] as number), 0);
  const chunkRows = options.chunkRows ?? Math.max(1, Math.floor(CHUNK_BYTES / (vocab * 4)));
  const chunks: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += chunkRows)
    chunks.push([start, Math.min(chunkRows, rows - start)]);
  const shardSizes = weights.map((w) => w.shape[0] as number);

  const logitsOf = (x: tf.Tensor, shards: tf.Tensor[]) => {
    const parts = shards.map((w) => matMul(x, w, false, true)); // (n, V_i)
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 1); // (n, V)
  };
  const chunkOf = (t: tf.Tensor, [start, size]: [number, number]) =>
    t.rank === 1 ? tf.slice(t, [start], [size]) : tf.slice(t, [start, 0], [size, dim]);

  const op = tf.customGrad((...args) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const [x, ...shards] = args.slice(0, -1) as tf.Tensor[];
    const count = tf.tidy(() =>
      tf.sum(tf.cast(tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')), 'float32')),
    );
    // Everything the backward pass reads is saved: the caller's own tensors may be gone by then.
    save([x!, targets, count, ...shards]);
    const total = tf.tidy(() =>
      tf.addN(
        chunks.map((chunk) =>
          crossEntropy(logitsOf(chunkOf(x!, chunk), shards), chunkOf(targets, chunk), {
            ignoreIndex,
            reduction: 'sum',
          }),
        ),
      ),
    );
    const value = options.reduction === 'sum' ? total : tf.div(total, tf.maximum(count, 1));
    return {
      value,
      gradFunc: (dy, saved) =>
        tf.tidy(() => {
          const [savedX, savedTargets, savedCount, ...savedShards] = saved as tf.Tensor[];
          const scale =
            options.reduction === 'sum'
              ? (dy as tf.Tensor)
              : tf.div(dy as tf.Tensor, tf.maximum(savedCount!, 1));
          const dxParts: tf.Tensor[] = [];
          let dShards: tf.Tensor[] = savedShards.map((w) => tf.zerosLike(w));
          for (const chunk of chunks) {
            const [dx, dws] = tf.tidy(() => {
              const xChunk = chunkOf(savedX!, chunk);
              const chunkTargets = chunkOf(savedTargets!, chunk);
              const dLogits = tf.mul(
                sumLossGradient(logitsOf(xChunk, savedShards), chunkTargets, ignoreIndex),
                scale,
              ); // (n, V)
              const pieces = savedShards.length === 1 ? [dLogits] : tf.split(dLogits, shardSizes, 1);
              const dxChunk = tf.addN(pieces.map((piece, i) => matMul(piece, savedShards[i]!))); // (n, D)
              return [dxChunk, pieces.map((piece) => matMul(piece, xChunk, true, false))] as const; // (V_i, D)
            });
            dxParts.push(dx);
            const next = dShards.map((sum, i) => tf.add(sum, dws[i]!));
            tf.dispose([...dShards, ...dws]);
            dShards = next;
          }
          return [dxParts.length === 1 ? dxParts[0]! : tf.concat(dxParts, 0), ...dShards];
        }),
    };
  });
  return tf.tidy(() => {
    const loss = (op as unknown as (...inputs: tf.Tensor[]) => tf.Tensor)(hidden, ...weights);
    return loss as tf.Scalar;
  });
}
