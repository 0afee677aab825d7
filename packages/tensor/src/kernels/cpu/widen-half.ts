/**
 * Kernel `ScratchGPTWidenHalf` on cpu: packed 16-bit words → float32 (see `half/rounding.ts`), all
 * rows or those `ids` names.
 */
import { type HalfAttrs, widenedShape } from '../../half/half-kernel.js';
import { widenWords } from '../../half/widen-words.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';

interface CpuBackendLike {
  readSync(dataId: tf.DataId): Int32Array;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function cpuWidenHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { words, ids } = inputs as { words: tf.TensorInfo; ids?: tf.TensorInfo };
  const { bf16, columns } = attrs as unknown as HalfAttrs;
  const cpu = backend as unknown as CpuBackendLike;
  const shape = widenedShape(words, columns, ids);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const rows = ids == null ? undefined : cpu.readSync(ids.dataId);
  widenWords(cpu.readSync(words.dataId), columns, bf16 ? 'bf16' : 'f16', out, rows);
  return cpu.makeTensorInfo(shape, 'float32', out);
}

export const widenHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.widenHalf,
  backendName: 'cpu',
  kernelFunc: cpuWidenHalf,
};
