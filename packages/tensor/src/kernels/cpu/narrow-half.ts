/** Kernel `ScratchGPTNarrowHalf` on cpu: float32 → packed 16-bit words (see `half/narrow-words.ts`). */

import { narrowWords } from '../../half/narrow-words.js';
import { wordShape } from '../../half/rounding.js';
import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';

interface CpuBackendLike {
  readSync(dataId: tf.DataId): Float32Array;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Int32Array): tf.TensorInfo;
}

function cpuNarrowHalf({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const { bf16 } = attrs as unknown as { bf16: boolean };
  const cpu = backend as unknown as CpuBackendLike;
  const shape = wordShape(x.shape);
  const words = new Int32Array(shape.reduce((a, b) => a * b, 1));
  narrowWords(cpu.readSync(x.dataId), x.shape.at(-1) ?? 1, bf16 ? 'bf16' : 'f16', words);
  return cpu.makeTensorInfo(shape, 'int32', words);
}

export const narrowHalfConfig: KernelPatch = {
  kernelName: fusedKernelNames.narrowHalf,
  backendName: 'cpu',
  kernelFunc: cpuNarrowHalf,
};
