import { describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/init-backend.js';
import { type AdamWScalars, adamwUpdate } from '../../ops/adamw-update.js';
import { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import { wasmAdamWKernel } from './adamw.js';

const scalars: AdamWScalars = {
  decay: 1 - 4e-4 * 0.1,
  beta1: 0.9,
  beta2: 0.999,
  correction2Sqrt: Math.sqrt(1 - 0.999 ** 7),
  eps: 1e-8,
  stepSize: 4e-4 / (1 - 0.9 ** 7),
};

/** The composed update (fourteen TF.js ops), which the fused kernel must equal bit for bit. */
function composed(param: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamWScalars): tf.Tensor[] {
  return tf.tidy(() => {
    const newM = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
    const newV = tf.add(tf.mul(v, s.beta2), tf.mul(tf.mul(g, g), 1 - s.beta2));
    const denom = tf.add(tf.div(tf.sqrt(newV), s.correction2Sqrt), s.eps);
    return [tf.sub(tf.mul(param, s.decay), tf.mul(tf.div(newM, denom), s.stepSize)), newM, newV];
  });
}

/** Values that stress float32: zeros of both signs, subnormals, extremes, ordinary noise. */
function awkward(n: number, seed: number): Float32Array {
  const special = [0, -0, 1e-45, -3e-39, 3e38, -3e38, 1, -1, 1e-20];
  let state = seed;
  return Float32Array.from({ length: n }, (_, i) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return i % 11 === 5 ? (special[i % special.length] as number) : (state / 2 ** 31 - 0.5) * 4;
  });
}

function inputs(n: number): tf.Tensor[] {
  const magnitudes = awkward(n, 3).map(Math.abs);
  return [awkward(n, 1), awkward(n, 2), awkward(n, 4), magnitudes].map((values) => tf.tensor1d(values));
}

const bits = async (t: tf.Tensor) => Array.from(new Uint32Array((await t.data<'float32'>()).buffer));

describe('ScratchGPTAdamW on wasm', () => {
  it('is registered, so adamwUpdate runs it on wasm and blas', async () => {
    await initBackend({ prefer: 'wasm' });
    expect(tf.getKernel(fusedKernelNames.adamw, 'wasm')).toBeDefined();
  });

  it.each([0, 1, 3, 4, 5, 301, 100_003])('equals the composed update bit for bit (%i values)', async (n) => {
    await initBackend({ prefer: 'wasm' });
    const [param, grad, m, v] = inputs(n) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const before = tf.memory().numTensors;
    const fused = adamwUpdate(param, grad, m, v, scalars);
    expect(tf.memory().numTensors).toBe(before + 3);
    const expected = composed(param, grad, m, v, scalars);
    expect(await bits(fused.param)).toEqual(await bits(expected[0]!));
    expect(await bits(fused.m)).toEqual(await bits(expected[1]!));
    expect(await bits(fused.v)).toEqual(await bits(expected[2]!));
    tf.dispose([param, grad, m, v, fused.param, fused.m, fused.v, ...expected]);
  });

  it('reads inputs in place and leaves them unchanged', async () => {
    await initBackend({ prefer: 'wasm' });
    const [param, grad, m, v] = inputs(37) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const saved = await Promise.all([param, grad, m, v].map(bits));
    const next = adamwUpdate(param, grad, m, v, scalars);
    expect(await Promise.all([param, grad, m, v].map(bits))).toEqual(saved);
    tf.dispose([param, grad, m, v, next.param, next.m, next.v]);
  });

  it('runs the same steps in JavaScript where the memory cannot be imported', async () => {
    await initBackend({ prefer: 'wasm' });
    const [param, grad, m, v] = inputs(301) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const backend = tf.backend() as unknown as { wasm: object };
    // The backend as the kernel sees it, but its module without an importable memory.
    const withoutMemory = new Proxy(backend, {
      get: (target, key) => {
        if (key === 'wasm') return {};
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const infos = wasmAdamWKernel({
      inputs: { param, grad, m, v },
      backend: withoutMemory as unknown as tf.KernelBackend,
      attrs: { ...scalars },
    });
    const fallback = infos.map((info) => tf.engine().makeTensorFromTensorInfo(info));
    const expected = composed(param, grad, m, v, scalars);
    for (let i = 0; i < 3; i++) expect(await bits(fallback[i]!)).toEqual(await bits(expected[i]!));
    tf.dispose([param, grad, m, v, ...fallback, ...expected]);
  });

  it('names a wrong input', async () => {
    await initBackend({ prefer: 'wasm' });
    const [param, grad, m] = inputs(4) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const short = tf.zeros([3]);
    expect(() => adamwUpdate(param, grad, m, short, scalars)).toThrow(
      'ScratchGPTAdamW: v has shape [3], param [4]',
    );
    tf.dispose([param, grad, m, short]);
  });
});
