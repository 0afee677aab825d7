import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend/init-backend.js';
import { Generator, getDefaultGenerator, manualSeed, randNormal, randUniform } from './random.js';

describe('Generator', () => {
  it('produces the xoshiro128** reference sequence from state [1, 2, 3, 4]', () => {
    const generator = new Generator().setState([1, 2, 3, 4]);
    // The first outputs of the authors' reference C implementation (xoshiro128starstar.c) for this state.
    expect([0, 1, 2, 3, 4].map(() => generator.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883,
    ]);
  });

  it('repeats a stream for the same seed and differs for another', () => {
    const a = new Generator(42).uniformArray(8);
    const b = new Generator(42).uniformArray(8);
    const c = new Generator(43).uniformArray(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('resumes exactly from a saved state', () => {
    const generator = new Generator(7);
    generator.uniformArray(100);
    const state = generator.getState();
    const next = generator.normalArray(16);
    const resumed = new Generator(0).setState(state);
    expect(resumed.normalArray(16)).toEqual(next);
  });

  it('draws uniforms in [low, high) and normals with the asked mean and spread', () => {
    const generator = new Generator(1);
    const uniforms = generator.uniformArray(100_000, -3, 5);
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...uniforms)).toBeLessThan(5);
    const normals = generator.normalArray(100_000, 2, 0.5);
    const mean = normals.reduce((a, b) => a + b, 0) / normals.length;
    const variance = normals.reduce((a, b) => a + (b - mean) ** 2, 0) / normals.length;
    // Standard errors are 0.0016 (mean) and 0.0011 (std): these bounds are ~6 of them.
    expect(mean).toBeCloseTo(2, 2);
    expect(Math.sqrt(variance)).toBeGreaterThan(0.493);
    expect(Math.sqrt(variance)).toBeLessThan(0.507);
  });

  it('draws integers without bias over their whole range', () => {
    const generator = new Generator(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[generator.randint(0, 6)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
    expect(() => generator.randint(3, 3)).toThrow(/low < high/);
  });

  it('shuffles into a permutation, reproducibly', () => {
    const p = new Generator(5).permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Generator(5).permutation(50)).toEqual(p);
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('forks an independent stream deterministically', () => {
    const a = new Generator(9);
    const b = new Generator(9);
    expect(a.fork().uniformArray(4)).toEqual(b.fork().uniformArray(4));
    expect(a.uniformArray(4)).toEqual(b.uniformArray(4));
  });

  it('rejects invalid seeds and states', () => {
    expect(() => new Generator(Number.NaN)).toThrow(/finite/);
    expect(() => new Generator().setState([0, 0, 0, 0])).toThrow(/all zeros/);
    expect(() => new Generator().setState([1, 2, 3])).toThrow(/four unsigned/);
  });
});

describe('manualSeed', () => {
  beforeAll(() => initBackend({ prefer: 'cpu' }));

  it('reseeds the default generator in place, like torch.manual_seed', () => {
    const generator = getDefaultGenerator();
    manualSeed(123);
    const first = randUniform([4]).dataSync();
    manualSeed(123);
    expect(randUniform([4]).dataSync()).toEqual(first);
    expect(getDefaultGenerator()).toBe(generator);
    expect(randNormal([2, 3]).shape).toEqual([2, 3]);
  });
});
