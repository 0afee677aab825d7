import { describe, expect, it } from 'vitest';
import { requiredBackends } from '../testing.js';
import { tf } from '../tf.js';
import { BindingLimitError } from './binding-guard.js';
import {
  BackendUnavailableError,
  currentBackend,
  initBackend,
  maxBindingBytes,
  probeWebGPU,
} from './init-backend.js';

const adapter = await probeWebGPU();
const hasAdapter = !('reason' in adapter);
const webgpuRequired = requiredBackends().includes('webgpu');
const blasRequired = requiredBackends().includes('blas');

describe('initBackend', () => {
  it('finds a WebGPU adapter where one is required', () => {
    if (webgpuRequired) expect(adapter).not.toHaveProperty('reason');
  });

  it('with auto, skips node-gpu and a software WebGPU adapter, and picks blas (else wasm), saying why', async () => {
    const choice = await initBackend();
    expect(tf.getBackend()).toBe('wasm');
    if (blasRequired) expect(choice.backend).toBe('blas');
    if (choice.backend === 'blas') {
      expect(choice.reason).toMatch(
        /^no hardware GPU was found; products in the machine's BLAS \(\w+ kernels, \d+ threads\) beat wasm's$/,
      );
    } else {
      expect(choice.backend).toBe('wasm');
      expect(choice.reason).toMatch(/wasm/);
      expect(choice.skipped[2]?.backend).toBe('blas');
    }
    const [nodeGpu, webgpu] = choice.skipped;
    expect(nodeGpu?.backend).toBe('node-gpu');
    expect(nodeGpu?.reason).toMatch(
      /@tensorflow\/tfjs-node-gpu (is not installed|is installed without|failed to load)/,
    );
    expect(webgpu?.backend).toBe('webgpu');
    if (hasAdapter && adapter.software) {
      expect(webgpu?.reason).toMatch(
        /^the adapter is software \(.*\), slower than wasm: it ranks below wasm$/,
      );
      expect(webgpu?.reason).toMatch(/llvmpipe|SwiftShader/i);
    }
    expect(choice.limits.details).toHaveProperty('simd', true);
    expect(currentBackend()).toBe(choice);
  });

  it.skipIf(!hasAdapter)('asked for webgpu, runs on the adapter and reports its limits', async () => {
    const choice = await initBackend({ prefer: 'webgpu' });
    expect(choice.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(choice.adapter?.description).toBe(hasAdapter ? adapter.description : '');
    expect(choice.limits.maxBindingBytes).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(choice.limits.details.maxStorageBufferBindingSize).toBe(choice.limits.maxBindingBytes);
    const product = tf.matMul(tf.ones([64, 32]), tf.ones([32, 16]));
    expect(Array.from(await product.data()).every((v) => v === 32)).toBe(true);
  });

  it('asked for cpu, uses cpu and reports no binding limit', async () => {
    const choice = await initBackend({ prefer: 'cpu' });
    expect(choice).toMatchObject({ backend: 'cpu', tfBackend: 'cpu', skipped: [] });
    expect(maxBindingBytes()).toBeNull();
  });

  it('asked for a backend that cannot start, fails with the reason', async () => {
    await expect(initBackend({ prefer: 'node-gpu' })).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend({ prefer: 'node-gpu' })).rejects.toThrow(
      /^The node-gpu backend is not available: @tensorflow\/tfjs-node-gpu (is not installed|is installed without|failed to load)/,
    );
  });
});

describe('loaders for Node-only packages', () => {
  it('explain a package that is installed but cannot load', async () => {
    const unbound = async () => {
      throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x');
    };
    await expect(initBackend({ prefer: 'node-gpu', loaders: { 'node-gpu': unbound } })).rejects.toThrow(
      'The node-gpu backend is not available: @tensorflow/tfjs-node-gpu is installed without its native binding (its install downloads libtensorflow, which failed here)',
    );
    const broken = async () => {
      throw new Error('libcudart.so.11.0: cannot open shared object file');
    };
    const choice = await initBackend({ loaders: { 'node-gpu': broken } });
    expect(choice.skipped[0]?.reason).toBe(
      '@tensorflow/tfjs-node-gpu failed to load (libcudart.so.11.0: cannot open shared object file)',
    );
  });

  it('fall back from blas to wasm without the FFI package or a BLAS library, saying why', async () => {
    const missing = async () => {
      throw new Error("Cannot find package 'koffi' imported from /app/dist/cli.js");
    };
    const withoutFfi = await initBackend({ loaders: { blas: missing } });
    expect(withoutFfi.backend).toBe('wasm');
    expect(withoutFfi.skipped.find((s) => s.backend === 'blas')?.reason).toBe('koffi is not installed');

    process.env.SCRATCHGPT_BLAS = '/nonexistent/libopenblas.so.0';
    try {
      const withoutLibrary = await initBackend();
      expect(withoutLibrary.backend).toBe('wasm');
      expect(withoutLibrary.skipped.find((s) => s.backend === 'blas')?.reason).toMatch(
        /^no BLAS library was found \(\/nonexistent\/libopenblas\.so\.0: .+\); on Debian or Ubuntu: apt-get install libopenblas0-pthread$/,
      );
      await expect(initBackend({ prefer: 'blas' })).rejects.toThrow(
        /^The blas backend is not available: no BLAS/,
      );
    } finally {
      delete process.env.SCRATCHGPT_BLAS;
    }
  });

  it('say when a package loaded but registered no backend', async () => {
    await expect(
      initBackend({ prefer: 'node-gpu', loaders: { 'node-gpu': async () => ({}) } }),
    ).rejects.toThrow("The node-gpu backend is not available: TF.js has no 'tensorflow' backend registered");
  });
});

describe.skipIf(!hasAdapter)('the WebGPU binding guard', () => {
  it('throws instead of computing wrong values when a tensor exceeds the binding limit', async () => {
    await initBackend({ prefer: 'webgpu', maxBindingBytes: 64 * 1024 });
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    expect(maxBindingBytes()).toBe(64 * 1024);
    // 16 KiB operands pass.
    const small = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
    expect((await small.data())[0]).toBe(64);
    // A 128 KiB operand (32768 floats) cannot be bound under a 64 KiB limit.
    const big = tf.ones([128, 256]);
    expect(() => tf.matMul(big, tf.ones([256, 8]))).toThrow(BindingLimitError);
    expect(() => tf.matMul(big, tf.ones([256, 8]))).toThrow(
      /WebGPU cannot bind a float32 tensor of shape \[128, 256\] \(0\.1 MiB\).*binds at most 0\.1 MiB per buffer \(maxStorageBufferBindingSize\)\. Shard the tensor/,
    );
    // The output is checked too: two small inputs, one large result.
    expect(() => tf.matMul(tf.ones([256, 4]), tf.ones([4, 128]))).toThrow(BindingLimitError);
  });

  it('lifts a lowered limit on the next initBackend', async () => {
    await initBackend({ prefer: 'webgpu' });
    const product = tf.matMul(tf.ones([128, 256]), tf.ones([256, 8]));
    expect((await product.data())[0]).toBe(256);
  });
});
