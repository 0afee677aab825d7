/**
 * NumPy's legacy `RandomState` (the Mersenne Twister MT19937), for the few places where a result must
 * match what Python code seeded with `np.random.RandomState(seed)` (or pandas' `random_state=seed`)
 * produced: the book's chapter 6 samples its ham messages and shuffles its dataset this way, so a port
 * reproduces its exact split. Everything else uses the faster {@link Generator}.
 *
 * Only what those calls need is here: seeding by an integer, raw 32-bit outputs, `random_sample`,
 * `shuffle`, `permutation` and `choice(n, size, replace=False)`, each drawing exactly the numbers
 * NumPy draws, in the same order.
 */

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

export class RandomState {
  readonly #mt = new Uint32Array(N);
  #index = N;

  /** `np.random.RandomState(seed)`: an integer seed in [0, 2³² − 1]. */
  constructor(seed = 0) {
    this.seed(seed);
  }

  /** NumPy's `mt19937_seed`: Knuth's linear recurrence fills the 624 words. */
  seed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`A RandomState seed is an integer in [0, 2^32 - 1], got ${seed}`);
    }
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const previous = mt[i - 1] as number;
      mt[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
    }
    this.#index = N;
    return this;
  }

  /** The next tempered 32-bit output (`genrand_int32`). */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#mt[this.#index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: a double in [0, 1) from 53 random bits (27 + 26 of two outputs). */
  randomSample(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /**
   * An integer in [0, max] (both ends included), NumPy's `random_interval`: outputs masked to the
   * bits of `max`, rejecting those above it. `max` < 2³² (larger ranges draw 64-bit words in NumPy).
   */
  interval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`interval takes an integer in [0, 2^32 - 1], got ${max}`);
    }
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  /** `shuffle(x)` on a one-dimensional array: Fisher–Yates from the last element down, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const item = items[i] as T;
      items[i] = items[j] as T;
      items[j] = item;
    }
    return items;
  }

  /** `permutation(n)`: 0..n-1 shuffled. */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`permutation takes a count ≥ 0, got ${n}`);
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /**
   * `choice(n, size, replace=False)`: `size` distinct integers of [0, n). NumPy takes the first `size`
   * of a whole permutation, so the draws (and the generator's state afterwards) depend on `n`.
   */
  choice(n: number, size: number): number[] {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`choice: size must be ≥ 0, got ${size}`);
    if (size > n) {
      throw new RangeError(`choice: cannot take ${size} distinct items from ${n} without replacement`);
    }
    return this.permutation(n).slice(0, size);
  }

  /** Regenerates the 624 words (the "twist"). */
  #twist(): void {
    const mt = this.#mt;
    for (let i = 0; i < N; i++) {
      const y = ((mt[i] as number) & UPPER_MASK) | ((mt[(i + 1) % N] as number) & LOWER_MASK);
      mt[i] = ((mt[(i + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
    }
    this.#index = 0;
  }
}
