/**
 * `Identity` on wasm shares its input's data instead of copying it, as the cpu backend does. TF.js
 * clones every tensor it saves for a backward pass through this kernel: with copies, every activation
 * and weight a gradient needs was held twice. Tensors are immutable, so sharing is safe.
 */
import { tf } from '../../tf.js';
import type { KernelPatch } from '../register.js';
import { wasmBackend } from './backend.js';

function sharingIdentity(copying: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return copying(args);
    wasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

export const identityConfig: KernelPatch = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  wrap: sharingIdentity,
};
