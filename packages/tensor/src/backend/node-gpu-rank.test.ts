import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { initBackend } from './init-backend.js';

/**
 * Stands in for a working `@tensorflow/tfjs-node-gpu`: importing the real package registers a backend
 * named `tensorflow`; this one does the same with the cpu backend's implementation and kernels, so the
 * ranking can be tested where no CUDA GPU (or libtensorflow) exists.
 */
async function loadWorkingNodeGpu(): Promise<void> {
  await initBackend({ prefer: 'cpu' });
  const cpu = tf.findBackend('cpu');
  if (cpu == null) throw new Error('the cpu backend did not start');
  const CpuBackend = cpu.constructor as new () => tf.KernelBackend;
  tf.registerBackend('tensorflow', () => new CpuBackend());
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
  }
}

afterAll(async () => {
  for (const kernel of tf.getKernelsForBackend('tensorflow')) {
    tf.unregisterKernel(kernel.kernelName, 'tensorflow');
  }
  tf.removeBackend('tensorflow');
  await initBackend({ prefer: 'cpu' });
});

describe('node-gpu in auto', () => {
  it('ranks first when @tensorflow/tfjs-node-gpu loads and registers its backend', async () => {
    let imported = 0;
    const choice = await initBackend({
      loaders: {
        'node-gpu': async () => {
          imported++;
          await loadWorkingNodeGpu();
        },
      },
    });
    expect(imported).toBe(1);
    expect(choice).toMatchObject({
      backend: 'node-gpu',
      tfBackend: 'tensorflow',
      reason: 'a CUDA GPU through tfjs-node-gpu ranks first',
      skipped: [],
    });
    expect(tf.getBackend()).toBe('tensorflow');
    const product = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(await product.data())).toEqual([3, 3, 3, 3]);
  });

  it('is passed over, with the reason, when the package is missing', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu'"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    };
    const choice = await initBackend({ loaders: { 'node-gpu': missing } });
    expect(choice.backend).not.toBe('node-gpu');
    expect(choice.skipped[0]).toEqual({
      backend: 'node-gpu',
      reason: '@tensorflow/tfjs-node-gpu is not installed',
    });
  });
});
