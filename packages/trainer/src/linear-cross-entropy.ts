/**
 * crossEntropy(hidden · Wᵀ, targets) without the (N, vocab) logits ever existing whole.
 *
 * With GPT-2's vocabulary the logits of a 2 × 256 batch take 103 MB, and their loss and gradient need a
 * few more copies: on wasm, whose heap stops at 4 GiB, that alone keeps GPT-2 small from training. Here
 * the rows go through in chunks. While a gradient tape records, each chunk's gradients are computed in
 * the forward pass too, so the backward pass only scales them by the upstream gradient. Weights that are
 * frozen variables (a base under LoRA) get no gradient: for Qwen3's 151,936-row table it would be
 * 622 MB computed each step and thrown away. Weights stored in 16 bits (frozen) are read by
 * `matMulHalf`, a shard at a time: neither the float32 table nor all the logits ever exist.
 */
import {
  autocast,
  autocastOperand,
  autocastPrecision,
  HalfTensor,
  IGNORE_INDEX,
  matMul,
  matMulHalf,
  productsTakeTransposes,
  roundToPrecision,
  softmaxCrossEntropy,
  tf,
} from '@scratchgpt/tensor';
import { recordingGradients } from './cross-entropy.js';

export interface LinearCrossEntropyOptions {
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum';
  /** Rows per chunk; by default as many as keep one chunk's logits near 32 MB. */
  chunkRows?: number;
}

const CHUNK_BYTES = 32 * 2 ** 20;

/** The output projection as row shards (V_i, D): float32 tensors, or frozen 16-bit ones. */
export type HeadShards = readonly tf.Tensor[] | readonly HalfTensor[];

/** A type alias, not an interface, so `tf.tidy` accepts it as a tensor container. */
type ChunkResult = {
  /** Σ over kept rows of the row losses. */
  loss: tf.Scalar;
  /** d(Σ row losses)/d x for the chunk's rows (n, D); only while recording. */
  dx?: tf.Tensor;
  /**
   * d(Σ row losses)/d Wᵢ for each shard, only while recording: transposed, (D, V_i), where the shards
   * came pre-transposed; else (V_i, D).
   */
  dShardsT?: tf.Tensor[];
};

/**
 * One chunk of rows: logits = x · Wᵀ, then the loss Σ kept·(logsumexp − logit[target]) and, while a tape
 * records, the gradients (of the weights too unless `frozen`) straight away (d logits = kept·(softmax − onehot)): the loss is the last op,
 * so its gradient needs nothing from later, and computing it here spares the backward pass recomputing
 * the logits. One exp per logit serves both the loss and the softmax.
 */
function chunkLossAndGradients(
  x: tf.Tensor,
  shards: readonly tf.Tensor[],
  round: (w: tf.Tensor) => tf.Tensor,
  shardsT: tf.Tensor[] | undefined,
  halves: readonly HalfTensor[] | undefined,
  targets: tf.Tensor,
  ignoreIndex: number,
  frozen: boolean,
): ChunkResult {
  return tf.tidy(() => {
    // Without pre-transposed shards the products read Wᵢ transposed in place; 16-bit shards are widened,
    // and float32 ones rounded under autocast, one at a time inside their product.
    const parts = halves
      ? halves.map((w) => matMulHalf(x, w, { transposeB: true }))
      : shardsT
        ? shardsT.map((wT) => matMul(x, wT))
        : shards.map((w) => tf.tidy(() => matMul(x, round(w), false, true))); // (n, V_i)
    const logits = parts.length === 1 ? parts[0]! : tf.concat(parts, 1); // (n, V)
    const { loss, dLogits } = softmaxCrossEntropy(logits, targets, {
      ignoreIndex,
      gradient: recordingGradients(),
    });
    if (dLogits === undefined) return { loss };
    const rows = (halves ?? shards).map((w) => w.shape[0] as number);
    const pieces = rows.length === 1 ? [dLogits] : tf.split(dLogits, rows, 1);
    // With pre-transposed shards, dx = (Wᵢᵀ · pieceᵀ)ᵀ reads the copy made once per call: the small
    // piece and product are transposed, not a shard per chunk (copied, or rounded under autocast).
    const dx = tf.addN(
      pieces.map((piece, i) => {
        if (halves) return matMulHalf(piece, halves[i]!);
        if (shardsT) return tf.tidy(() => tf.transpose(matMul(shardsT[i]!, tf.transpose(piece))));
        return tf.tidy(() => matMul(piece, round(shards[i]!)));
      }),
    ); // (n, D)
    if (frozen) return { loss, dx };
    if (shardsT === undefined) {
      return { loss, dx, dShardsT: pieces.map((piece) => matMul(piece, x, true, false)) }; // (V_i, D)
    }
    // xᵀ · d logits gives each shard's gradient transposed (D, V_i): on wasm the small x is what gets
    // transposed, not the (n, V) gradient.
    const xT = tf.transpose(x);
    return { loss, dx, dShardsT: pieces.map((piece) => matMul(xT, piece)) };
  });
}

/**
 * hidden (N, D) float32; weights: the output projection as row shards (V_i, D), concatenated in order,
 * float32 or 16-bit; targets (N) int32. Returns the loss as `crossEntropy` would on the full logits.
 */
export function linearCrossEntropy(
  hidden: tf.Tensor,
  weights: HeadShards,
  targets: tf.Tensor,
  options: LinearCrossEntropyOptions = {},
): tf.Scalar {
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  const [rows, dim] = hidden.shape as [number, number];
  if (hidden.rank !== 2 || targets.rank !== 1 || targets.shape[0] !== rows) {
    throw new RangeError(
      `linearCrossEntropy needs hidden [N, D] and targets [N], got [${hidden.shape.join(', ')}] and [${targets.shape.join(', ')}]`,
    );
  }
  const vocab = (weights as ReadonlyArray<{ shape: readonly number[] }>).reduce(
    (n, w) => n + (w.shape[0] as number),
    0,
  );
  const chunkRows = options.chunkRows ?? Math.max(1, Math.floor(CHUNK_BYTES / (vocab * 4)));
  const chunks: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += chunkRows)
    chunks.push([start, Math.min(chunkRows, rows - start)]);
  const chunkOf = (t: tf.Tensor, [start, size]: [number, number]) =>
    t.rank === 1 ? tf.slice(t, [start], [size]) : tf.slice(t, [start, 0], [size, dim]);

  const halves = halfShards(weights);
  // Under autocast the float32 shards are rounded one at a time where they are read: a rounded copy of
  // the whole table would sit beside the logits at the step's peak.
  const precision = autocastPrecision();
  const round = (w: tf.Tensor) => (precision === 'f32' ? w : roundToPrecision(w, precision));
  // Frozen weights are not inputs of the op: the tape then asks it for x's gradient alone.
  const frozen =
    halves !== undefined ||
    (weights.length > 0 && weights.every((w) => w instanceof tf.Variable && !w.trainable));
  const makeOp = (frozenShards: readonly tf.Tensor[] | undefined) =>
    tf.customGrad((...args) => {
      const save = args.at(-1) as tf.GradSaveFunc;
      const [x, ...inputShards] = args.slice(0, -1) as tf.Tensor[];
      const shards = frozenShards ?? inputShards;
      const count = tf.tidy(() =>
        tf.sum(tf.cast(tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')), 'float32')),
      );
      // Transposed once per call, not once per chunk, where products would otherwise copy them (not
      // 16-bit shards: that would be the float32 table whole).
      const shardsT =
        halves || productsTakeTransposes()
          ? undefined
          : shards.map((w) => tf.tidy(() => tf.transpose(round(w))));
      let total: tf.Tensor = tf.scalar(0);
      const dxParts: tf.Tensor[] = [];
      let dShardsT: tf.Tensor[] | undefined;
      for (const chunk of chunks) {
        const result = tf.tidy(() =>
          chunkLossAndGradients(
            chunkOf(x!, chunk),
            shards,
            round,
            shardsT,
            halves,
            chunkOf(targets, chunk),
            ignoreIndex,
            frozen,
          ),
        );
        const nextTotal = tf.add(total, result.loss);
        tf.dispose([total, result.loss]);
        total = nextTotal;
        if (result.dx) dxParts.push(result.dx);
        if (result.dShardsT) {
          if (dShardsT === undefined) dShardsT = result.dShardsT;
          else {
            const sums = dShardsT.map((sum, i) => tf.add(sum, result.dShardsT![i]!));
            tf.dispose([...dShardsT, ...result.dShardsT]);
            dShardsT = sums;
          }
        }
      }
      if (shardsT) tf.dispose(shardsT);
      const value = options.reduction === 'sum' ? total : tf.div(total, tf.maximum(count, 1));
      if (value !== total) total.dispose();
      if (dxParts.length > 0) {
        // The gradients of Σ row losses, ready before the backward pass asks: it only scales them.
        const dx = dxParts.length === 1 ? dxParts[0]! : tf.concat(dxParts, 0);
        const dShards =
          dShardsT === undefined ? [] : shardsT ? dShardsT.map((dwT) => tf.transpose(dwT)) : dShardsT; // (V_i, D)
        tf.dispose([...(dxParts.length === 1 ? [] : dxParts), ...(shardsT && dShardsT ? dShardsT : [])]);
        save([count, dx, ...dShards]);
      } else {
        save([count]);
      }
      return {
        value,
        gradFunc: (dy, saved) =>
          tf.tidy(() => {
            const [savedCount, ...gradients] = saved as tf.Tensor[];
            const scale =
              options.reduction === 'sum'
                ? (dy as tf.Tensor)
                : tf.div(dy as tf.Tensor, tf.maximum(savedCount!, 1));
            // x's gradient is rounded on its way back through x's rounding; the shards' here, as the
            // gradients crossing a rounding are.
            return gradients.map((gradient, i) => {
              const scaled = tf.mul(gradient, scale);
              if (i === 0 || precision === 'f32') return scaled;
              // Freed at once, not at the end of this scope: each is a shard of the table.
              const rounded = round(scaled);
              scaled.dispose();
              return rounded;
            });
          }),
      };
    });
  return tf.tidy(() => {
    // Under autocast the head's operands are 16-bit values (the shards rounded where they are read),
    // and their gradients are rounded on the way back (already scaled by the loss, as loss scaling
    // needs). Inside, the logits and the gradients it computes ahead of the backward pass stay float32,
    // as PyTorch computes the cross-entropy.
    const x = autocastOperand(hidden);
    const shards = halves ? [] : (weights as readonly tf.Tensor[]);
    const op = makeOp(frozen ? shards : undefined) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
    const loss = autocast('f32', () => (frozen ? op(x) : op(x, ...shards)));
    return loss as tf.Scalar;
  });
}

/** The shards when they are 16-bit (all of them must be), else undefined. */
function halfShards(weights: HeadShards): readonly HalfTensor[] | undefined {
  const halves = weights.filter((w): w is HalfTensor => w instanceof HalfTensor);
  if (halves.length === 0) return undefined;
  if (halves.length !== weights.length) {
    throw new TypeError('linearCrossEntropy: the head is stored partly in 16 bits; store every shard alike');
  }
  return halves;
}
