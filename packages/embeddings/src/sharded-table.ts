import {
  assertShape,
  type HostTensor,
  isHostTensor,
  Module,
  matMul,
  preferredShardBytes,
  type StateDict,
  tf,
} from '@scratchgpt/tensor';
import { shardRowCounts } from './shards.js';

export interface ShardedTableOptions {
  /**
   * The largest shard in bytes. Defaults to what the current backend prefers (`preferredShardBytes()`:
   * WebGPU's binding limit, 32 MiB on wasm), so tables are split only where the backend needs it;
   * `null` keeps one shard.
   */
  maxShardBytes?: number | null;
}

/**
 * A `[rows, dim]` parameter stored as row shards that each fit one backend binding. It appears as a
 * single `weight` in state dicts; the shards are separate parameters to the optimizer.
 */
export abstract class ShardedTable extends Module {
  readonly shards: tf.Variable[];
  /** The first row of each shard. */
  readonly shardStarts: number[];

  constructor(
    readonly rows: number,
    readonly dim: number,
    init: (rows: number) => tf.Tensor,
    options: ShardedTableOptions,
  ) {
    super();
    if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 1 || dim < 1) {
      throw new RangeError(`A table needs positive integer sizes, got [${rows}, ${dim}]`);
    }
    const limit = options.maxShardBytes === undefined ? preferredShardBytes() : options.maxShardBytes;
    const counts = shardRowCounts(rows, dim * 4, limit);
    this.shardStarts = [];
    let start = 0;
    this.shards = counts.map((count, i) => {
      this.shardStarts.push(start);
      start += count;
      return this.registerParameter(counts.length === 1 ? 'weight' : `weight_shard${i}`, init(count));
    });
  }

  /** The whole table as one tensor (a new tensor the caller disposes). */
  weight(): tf.Tensor2D {
    return (this.shards.length === 1 ? tf.clone(this.shards[0]!) : tf.concat(this.shards, 0)) as tf.Tensor2D;
  }

  /** x Wᵀ: each row of x scored against every table row. x: (..., dim) → (..., rows) */
  project(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const leading = x.shape.slice(0, -1);
      const flat = tf.reshape(x, [-1, this.dim]); // (N, dim)
      const parts = this.shards.map((shard) => matMul(flat, shard, false, true)); // (N, rows_s)
      const scores = parts.length === 1 ? parts[0]! : tf.concat(parts, -1); // (N, rows)
      return tf.reshape(scores, [...leading, this.rows]);
    });
  }

  /** Rows of the table for integer ids. ids: (...) → (..., dim) */
  lookup(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(ids, [-1]); // (N,)
      if (this.shards.length === 1)
        return tf.reshape(tf.gather(this.shards[0]!, flat), [...ids.shape, this.dim]);
      let sum: tf.Tensor | undefined;
      this.shards.forEach((shard, i) => {
        // Each shard answers for its own rows; other ids read row 0 and are zeroed by the mask.
        const local = tf.sub(flat, tf.scalar(this.shardStarts[i]!, 'int32'));
        const inShard = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, shard.shape[0]!));
        const rows = tf.gather(shard, tf.where(inShard, local, tf.zerosLike(local))); // (N, dim)
        const masked = tf.mul(rows, tf.expandDims(tf.cast(inShard, 'float32'), 1));
        sum = sum == null ? masked : tf.add(sum, masked);
      });
      return tf.reshape(sum!, [...ids.shape, this.dim]);
    });
  }

  protected override ownStateNames(): string[] {
    return ['weight'];
  }

  protected override ownStateShapes(): Map<string, number[]> {
    return new Map([['weight', [this.rows, this.dim]]]);
  }

  protected override ownState(): StateDict {
    return new Map([['weight', this.weight()]]);
  }

  protected override async ownHostState(): Promise<Map<string, HostTensor>> {
    const data = new Float32Array(this.rows * this.dim);
    for (const [i, shard] of this.shards.entries()) {
      data.set((await shard.data()) as Float32Array, this.shardStarts[i]! * this.dim);
    }
    return new Map([['weight', { shape: [this.rows, this.dim], data }]]);
  }

  /**
   * Host data is cut into shards on the host. A device tensor is split on the device, which needs it
   * to fit one binding: tables larger than that must come as host data (checkpoints do).
   */
  protected override loadOwnState(entries: Map<string, tf.Tensor | HostTensor>, prefix: string): void {
    const value = entries.get('weight');
    if (value == null) return;
    assertShape(`${prefix}weight`, value.shape, [this.rows, this.dim]);
    tf.tidy(() => {
      this.shards.forEach((shard, i) => {
        const start = this.shardStarts[i]!;
        const rows = shard.shape[0]!;
        const piece = isHostTensor(value)
          ? tf.tensor2d(value.data.subarray(start * this.dim, (start + rows) * this.dim), [rows, this.dim])
          : this.shards.length === 1
            ? value
            : tf.slice(value, [start, 0], [rows, this.dim]);
        shard.assign(piece.dtype === 'float32' ? piece : tf.cast(piece, 'float32'));
      });
    });
  }
}
