/**
 * `_FusedMatMul` on wasm with a plain bias and no activation, computed by BLAS while the blas backend
 * is in use (see `products.ts`); anything else goes to the kernel it wraps.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from '../wasm/backend.js';
import { blasProducts, multiply } from './products.js';

function blasFusedMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
    };
    const sgemm = blasProducts();
    const n = (transposeB ? b?.shape.at(-2) : b?.shape.at(-1)) ?? 0;
    const plainBias =
      bias == null || (bias.shape.length <= 1 && [1, n].includes(tf.util.sizeFromShape(bias.shape)));
    if (
      sgemm == null ||
      a?.dtype !== 'float32' ||
      b?.dtype !== 'float32' ||
      (activation ?? 'linear') !== 'linear' ||
      preluActivationWeights != null ||
      !plainBias ||
      (bias != null && bias.dtype !== 'float32')
    ) {
      return original(args);
    }
    return multiply(wasmBackend(args.backend), sgemm, a, b, transposeA, transposeB, bias);
  };
}

export const fusedMatMulConfig: KernelPatch = {
  kernelName: tf._FusedMatMul,
  backendName: 'wasm',
  wrap: blasFusedMatMul,
};
