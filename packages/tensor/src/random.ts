/**
 * Seeded random numbers for initialisation, dropout and shuffling.
 *
 * xoshiro128** on four 32-bit words: fast in plain JavaScript, and its whole state is four integers,
 * so a training run can save it and resume with exactly the same stream. The same seed gives the same
 * numbers on every backend and platform because nothing here touches a backend.
 */
import { type HalfTensor, halfTensor } from './half/half-tensor.js';
import type { HalfPrecision } from './half/precision.js';
import { tf } from './tf.js';

/** The whole state of a {@link Generator}: save it with a checkpoint to resume the same stream. */
export type GeneratorState = [number, number, number, number];

const TWO_POW_32 = 2 ** 32;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Generator {
  #s = new Uint32Array(4);

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the stream. Any finite number is a seed; splitmix32 spreads it over the state. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new RangeError(`Seed must be a finite number, got ${seed}`);
    let x = Math.trunc(seed) >>> 0;
    let high = Math.floor(Math.abs(seed) / TWO_POW_32) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9 + high) >>> 0;
      high = 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((word) => word === 0)) this.#s[0] = 1;
    return this;
  }

  getState(): GeneratorState {
    return [this.#s[0] as number, this.#s[1] as number, this.#s[2] as number, this.#s[3] as number];
  }

  setState(state: readonly number[]): this {
    if (
      state.length !== 4 ||
      state.some((word) => !Number.isInteger(word) || word < 0 || word >= TWO_POW_32)
    ) {
      throw new RangeError('A generator state is four unsigned 32-bit integers');
    }
    if (state.every((word) => word === 0)) throw new RangeError('A generator state cannot be all zeros');
    this.#s.set(state);
    return this;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
    const t = (s[1] as number) << 9;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1), with 24 bits so every value is exact in float32. */
  random(): number {
    return (this.nextUint32() >>> 8) / 16_777_216;
  }

  /** Uniform in [0, 1) with 53 bits, for sampling where float32 granularity would bias results. */
  random53(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    const u1 = 1 - this.random53(); // in (0, 1], so the log is finite
    const u2 = this.random53();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [low, high), without modulo bias. */
  randint(low: number, high: number): number {
    const span = high - low;
    if (!Number.isInteger(low) || !Number.isInteger(high) || span <= 0 || span > TWO_POW_32) {
      throw new RangeError(`randint needs integers low < high within 2^32, got [${low}, ${high})`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % span);
  }

  uniformArray(size: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(size);
    const span = high - low;
    for (let i = 0; i < size; i++) out[i] = low + span * this.random();
    return out;
  }

  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A float32 tensor of uniform samples in [low, high); what {@link randUniform} draws. */
  uniformTensor(shape: readonly number[], low = 0, high = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(tf.util.sizeFromShape([...shape]), low, high), [...shape], 'float32');
  }

  /** A float32 tensor of normal samples; what {@link randNormal} draws. */
  normalTensor(shape: readonly number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(tf.util.sizeFromShape([...shape]), mean, std), [...shape], 'float32');
  }

  /**
   * {@link uniformTensor}'s samples stored in 16 bits: the same draws, rounded and packed at once, so
   * a model built in 16 bits equals one built in float32 and then stored in 16 bits.
   */
  uniformHalf(shape: readonly number[], low: number, high: number, precision: HalfPrecision): HalfTensor {
    return halfTensor(this.uniformArray(tf.util.sizeFromShape([...shape]), low, high), shape, precision);
  }

  /** {@link normalTensor}'s samples stored in 16 bits (see {@link uniformHalf}). */
  normalHalf(shape: readonly number[], mean: number, std: number, precision: HalfPrecision): HalfTensor {
    return halfTensor(this.normalArray(tf.util.sizeFromShape([...shape]), mean, std), shape, precision);
  }

  /** Shuffles in place (Fisher–Yates) and returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const item = items[i] as T;
      items[i] = items[j] as T;
      items[j] = item;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** An independent generator seeded from this one, e.g. one per data loader. */
  fork(): Generator {
    const words: GeneratorState = [
      this.nextUint32(),
      this.nextUint32(),
      this.nextUint32(),
      this.nextUint32(),
    ];
    return new Generator(0).setState(nonZero(words));
  }
}

function nonZero(state: GeneratorState): GeneratorState {
  return state.every((word) => word === 0) ? [1, 0, 0, 0] : state;
}

const defaultGenerator = new Generator(0);

/** The generator used when none is passed. */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** A float32 tensor of uniform samples in [low, high). */
export function randUniform(shape: number[], low = 0, high = 1, generator = defaultGenerator): tf.Tensor {
  return generator.uniformTensor(shape, low, high);
}

/** A float32 tensor of normal samples. */
export function randNormal(shape: number[], mean = 0, std = 1, generator = defaultGenerator): tf.Tensor {
  return generator.normalTensor(shape, mean, std);
}
