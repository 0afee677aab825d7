/** `BatchMatMul` on wasm computed by BLAS while the blas backend is in use (see `products.ts`). */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from '../wasm/backend.js';
import { blasProducts, multiply } from './products.js';

function blasBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const sgemm = blasProducts();
    if (sgemm == null || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    return multiply(wasmBackend(args.backend), sgemm, a, b, transposeA, transposeB, undefined);
  };
}

export const batchMatMulConfig: KernelPatch = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  wrap: blasBatchMatMul,
};
