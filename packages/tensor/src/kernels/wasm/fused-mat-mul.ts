/**
 * `_FusedMatMul` on wasm: TF.js's adds its bias along the wrong axis when an operand is transposed
 * (`tf.fused.matMul` with `transposeB`, as a linear layer would call it, returned wrong values). Here
 * the product runs without the bias, which is then added by `Add`.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

function biasAfterTransposedProduct(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
    if (bias == null || (!attrs.transposeA && !attrs.transposeB)) return original(args);
    if ((attrs.activation ?? 'linear') !== 'linear' || preluActivationWeights != null) {
      throw new Error(
        `_FusedMatMul on wasm cannot add a bias before a ${attrs.activation} activation when an operand is ` +
          'transposed (its result would be wrong): use tf.matMul, tf.add and the activation',
      );
    }
    const product = original({ ...args, inputs: { a, b } as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    const add = tf.getKernel('Add', 'wasm')!.kernelFunc;
    const out = add({ inputs: { a: product, b: bias }, backend: args.backend, attrs: {} });
    wasmBackend(args.backend).disposeData(product.dataId);
    return out;
  };
}

export const fusedMatMulConfig: KernelPatch = {
  kernelName: tf._FusedMatMul,
  backendName: 'wasm',
  wrap: biasAfterTransposedProduct,
};
