/**
 * WebGPU binds each tensor of a kernel as one storage buffer. A buffer larger than the device's
 * `maxStorageBufferBindingSize` fails validation, and TF.js never checks for that error: the kernel
 * silently produces zeros or garbage. The guard checks every dispatch first and throws instead.
 */

export class BindingLimitError extends Error {
  override name = 'BindingLimitError';
}

interface TensorInfoLike {
  shape: readonly number[];
  dtype: string;
}

interface ProgramLike {
  outputShape: number[];
  shaderKey?: string;
}

export interface GuardableBackend {
  runWebGPUProgram(
    program: ProgramLike,
    inputs: TensorInfoLike[],
    outputDtype: string,
    programDefinedUniform?: unknown,
    output?: TensorInfoLike,
  ): unknown;
}

const bytesPerElement: Record<string, number> = { complex64: 8 };

export function tensorBytes(shape: readonly number[], dtype: string): number {
  const elements = shape.reduce((product, size) => product * size, 1);
  return elements * (bytesPerElement[dtype] ?? 4);
}

const MiB = 1024 * 1024;

function describeBytes(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function checkBinding(
  shape: readonly number[],
  dtype: string,
  limitBytes: number,
  kernel: string,
): void {
  const bytes = tensorBytes(shape, dtype);
  if (bytes <= limitBytes) return;
  throw new BindingLimitError(
    `WebGPU cannot bind a ${dtype} tensor of shape [${shape.join(', ')}] (${describeBytes(bytes)}) in kernel ` +
      `${kernel}: this device binds at most ${describeBytes(limitBytes)} per buffer ` +
      '(maxStorageBufferBindingSize). Shard the tensor (scratchgpt embeddings shard vocabulary tables), ' +
      'use a smaller batch size or context length, or choose the wasm backend.',
  );
}

/** Wraps the backend's single dispatch entry point so every kernel's inputs and output are checked. */
export function installBindingGuard(backend: GuardableBackend, limitBytes: () => number): void {
  const dispatch = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, outputDtype, programDefinedUniform, output) => {
    const kernel = program.constructor.name;
    const limit = limitBytes();
    for (const input of inputs) checkBinding(input.shape, input.dtype, limit, kernel);
    checkBinding(output?.shape ?? program.outputShape, outputDtype, limit, kernel);
    return dispatch(program, inputs, outputDtype, programDefinedUniform, output);
  };
}
