import {
  addBroadcast,
  assertShape,
  buildPrecision,
  gatherHalf,
  type HalfPrecision,
  type HalfTensor,
  type HostTensor,
  halfTensor,
  isHostTensor,
  Module,
  matMul,
  matMulHalf,
  mulConstant,
  preferredShardBytes,
  type StateDict,
  type StoragePrecision,
  tf,
  toHalf,
  type WeightStorage,
  widenHalf,
  withoutGradient,
} from '@scratchgpt/tensor';
import { shardRowCounts } from './shards.js';

export interface ShardedTableOptions {
  /**
   * Stores the table in this precision from the start (f16/bf16: frozen, as after `storeWeight`);
   * default: the build's (`buildInPrecision`), else f32.
   */
  weightPrecision?: StoragePrecision;
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
 *
 * The table can be stored in 16 bits (`storeWeight('bf16')`, the same shards at half the bytes): it is
 * then frozen, read by `gatherHalf` and `matMulHalf`, and still a float32 `weight` in state dicts.
 */
export abstract class ShardedTable extends Module implements WeightStorage {
  #shards: tf.Variable[];
  #halfShards: HalfTensor[] | undefined;
  /** The first row of each shard. */
  readonly shardStarts: number[];

  /**
   * `init` draws a shard's float32 values; `initHalf`, where given, draws the same values straight
   * into 16 bits (else they are drawn in float32 and packed, one shard at a time).
   */
  constructor(
    readonly rows: number,
    readonly dim: number,
    init: (rows: number) => tf.Tensor,
    options: ShardedTableOptions,
    initHalf?: (rows: number, precision: HalfPrecision) => HalfTensor,
  ) {
    super();
    if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 1 || dim < 1) {
      throw new RangeError(`A table needs positive integer sizes, got [${rows}, ${dim}]`);
    }
    const limit = options.maxShardBytes === undefined ? preferredShardBytes() : options.maxShardBytes;
    const counts = shardRowCounts(rows, dim * 4, limit);
    this.shardStarts = [];
    let start = 0;
    for (const count of counts) {
      this.shardStarts.push(start);
      start += count;
    }
    const precision = options.weightPrecision ?? buildPrecision();
    if (precision === 'f32') {
      this.#shards = counts.map((count, i) =>
        this.registerParameter(this.#shardName(i, counts.length), init(count)),
      );
      return;
    }
    this.#shards = [];
    this.#halfShards = counts.map((count) => {
      if (initHalf !== undefined) return initHalf(count, precision);
      const values = init(count);
      try {
        return halfTensor(values.dataSync() as Float32Array, values.shape, precision);
      } finally {
        values.dispose();
      }
    });
  }

  #shardName(i: number, count: number): string {
    return count === 1 ? 'weight' : `weight_shard${i}`;
  }

  /** The float32 shards (trainable parameters); none while the table is stored in 16 bits. */
  get shards(): tf.Variable[] {
    return this.#shards;
  }

  /** The 16-bit shards (frozen) while the table is stored in 16 bits; else undefined. */
  get halfShards(): readonly HalfTensor[] | undefined {
    return this.#halfShards;
  }

  get weightPrecision(): StoragePrecision {
    return this.#halfShards?.[0]?.precision ?? 'f32';
  }

  /**
   * Stores the table in `precision`: float32 → f16/bf16 (rounded to nearest even, shard by shard), or
   * back to float32. Between the two 16-bit formats it refuses: that would round twice.
   */
  async storeWeight(precision: StoragePrecision): Promise<void> {
    const current = this.weightPrecision;
    if (precision === current) return;
    if (current !== 'f32' && precision !== 'f32') {
      throw new Error(`This table is already stored in ${current}: store it in f32 first to change formats`);
    }
    const count = this.shardStarts.length;
    if (precision === 'f32') {
      const halves = this.#halfShards as HalfTensor[];
      this.#shards = halves.map((half, i) =>
        this.registerParameter(this.#shardName(i, count), widenHalf(half)),
      );
      this.#halfShards = undefined;
      for (const half of halves) half.dispose();
      return;
    }
    const halves: HalfTensor[] = [];
    for (const shard of this.#shards) halves.push(await toHalf(shard, precision));
    for (const i of this.#shards.keys()) this.unregisterParameter(this.#shardName(i, count)).dispose();
    this.#shards = [];
    this.#halfShards = halves;
  }

  /** Row counts of the shards, whichever way they are stored. */
  #shardRows(): number[] {
    return this.shardStarts.map((start, i) => (this.shardStarts[i + 1] ?? this.rows) - start);
  }

  /** The shape of each shard, `[rows, dim]`, whichever way they are stored. */
  get shardShapes(): [number, number][] {
    return this.#shardRows().map((rows) => [rows, this.dim]);
  }

  /**
   * Replaces shard `index`'s values with `values`, a float32 tensor of its {@link shardShapes} entry: a
   * table read in pieces, one shard at a time, is never whole in memory. `values` stays the caller's (a
   * float32 shard shares its storage; a 16-bit one rounds it). `name` names the table in errors.
   */
  loadShard(index: number, values: tf.Tensor, name = 'weight'): void {
    const shape = this.shardShapes[index];
    if (shape === undefined) {
      throw new RangeError(`${name}: no shard ${index} in a table of ${this.shardStarts.length}`);
    }
    assertShape(`${name} (shard ${index})`, values.shape, shape);
    const halves = this.#halfShards;
    if (halves != null) {
      const half = halves[index]!;
      halves[index] = halfTensor(values.dataSync() as Float32Array, shape, half.precision);
      half.dispose();
      return;
    }
    tf.tidy(() => {
      this.#shards[index]!.assign(values.dtype === 'float32' ? values : tf.cast(values, 'float32'));
    });
  }

  /** The whole table as one tensor (a new tensor the caller disposes). */
  weight(): tf.Tensor2D {
    const halves = this.#halfShards;
    if (halves != null) {
      return tf.tidy(() => {
        const parts = halves.map((half) => widenHalf(half));
        return (parts.length === 1 ? parts[0]! : tf.concat(parts, 0)) as tf.Tensor2D;
      });
    }
    return (this.shards.length === 1 ? tf.clone(this.shards[0]!) : tf.concat(this.shards, 0)) as tf.Tensor2D;
  }

  /** x Wᵀ: each row of x scored against every table row. x: (..., dim) → (..., rows) */
  project(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const leading = x.shape.slice(0, -1);
      const flat = tf.reshape(x, [-1, this.dim]); // (N, dim)
      const halves = this.#halfShards;
      const parts =
        halves == null
          ? this.shards.map((shard) => matMul(flat, shard, false, true)) // (N, rows_s)
          : halves.map((half) => matMulHalf(flat, half, { transposeB: true }));
      const scores = parts.length === 1 ? parts[0]! : tf.concat(parts, -1); // (N, rows)
      return tf.reshape(scores, [...leading, this.rows]);
    });
  }

  /** Rows of the table for integer ids. ids: (...) → (..., dim) */
  lookup(ids: tf.Tensor): tf.Tensor {
    // A frozen table takes no gradient: nothing of its lookup need be kept for the backward pass.
    const frozen = this.#halfShards != null || this.shards.every((shard) => !shard.trainable);
    return frozen ? withoutGradient(() => this.#lookup(ids)) : this.#lookup(ids);
  }

  #lookup(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(ids, [-1]); // (N,)
      const halves = this.#halfShards;
      const gatherRows = (i: number, at: tf.Tensor) =>
        halves == null ? tf.gather(this.shards[i]!, at) : gatherHalf(halves[i]!, at);
      const shardRows = this.#shardRows();
      if (shardRows.length === 1) return tf.reshape(gatherRows(0, flat), [...ids.shape, this.dim]);
      let sum: tf.Tensor | undefined;
      shardRows.forEach((count, i) => {
        // Each shard answers for its own rows; other ids read row 0 and are zeroed by the mask.
        const local = tf.sub(flat, tf.scalar(this.shardStarts[i]!, 'int32'));
        const inShard = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, count));
        const rows = gatherRows(i, tf.where(inShard, local, tf.zerosLike(local))); // (N, dim)
        const masked = mulConstant(rows, tf.expandDims(tf.cast(inShard, 'float32'), 1));
        sum = sum == null ? masked : addBroadcast(sum, masked);
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
    const halves = this.#halfShards;
    for (const [i, shard] of (halves?.map((half) => widenHalf(half)) ?? this.shards).entries()) {
      data.set((await shard.data()) as Float32Array, this.shardStarts[i]! * this.dim);
      if (halves != null) shard.dispose();
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
    const halves = this.#halfShards;
    if (halves != null) {
      // Values are rounded again into the 16-bit shards.
      const data = isHostTensor(value) ? value.data : (value.dataSync() as Float32Array);
      this.#halfShards = this.#shardRows().map((rows, i) => {
        const start = this.shardStarts[i]! * this.dim;
        return halfTensor(
          data.subarray(start, start + rows * this.dim),
          [rows, this.dim],
          halves[i]!.precision,
        );
      });
      for (const half of halves) half.dispose();
      return;
    }
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

  override dispose(): void {
    for (const half of this.#halfShards ?? []) half.dispose();
    super.dispose();
  }
}
