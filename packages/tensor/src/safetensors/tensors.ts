import { tf } from '../tf.js';
import type { Safetensors, TensorToWrite } from './format.js';
import { serializeSafetensors } from './write.js';

/** Reads tensors back from the device (asynchronously, as WebGPU requires) and serialises them. */
export async function serializeTensors(
  tensors: Map<string, tf.Tensor>,
  metadata: Record<string, string> = {},
): Promise<Uint8Array> {
  const host = new Map<string, TensorToWrite>();
  for (const [name, tensor] of tensors) {
    const data = tensor.dtype === 'int32' ? await tensor.data<'int32'>() : await tensor.data<'float32'>();
    host.set(name, { shape: tensor.shape, data: tensor.dtype === 'bool' ? Int32Array.from(data) : data });
  }
  return serializeSafetensors(host, metadata);
}

/** Creates a tensor for each entry of a parsed file (floats as float32, integers as int32). */
export function tensorsFromSafetensors(file: Safetensors): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, entry] of file.tensors) {
    out.set(
      name,
      tf.tensor(entry.data, entry.shape, entry.data instanceof Float32Array ? 'float32' : 'int32'),
    );
  }
  return out;
}
