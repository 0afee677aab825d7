import { SafetensorsError, type TensorToWrite } from './format.js';

/**
 * Serialises tensors to safetensors: float32 as F32, int32 as I32, in the given order. The header is
 * padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === '__metadata__')
      throw new SafetensorsError("'__metadata__' is reserved and cannot name a tensor");
    const elements = tensor.shape.reduce((product, size) => product * size, 1);
    if (elements !== tensor.data.length) {
      throw new SafetensorsError(
        `tensor '${name}' has shape [${tensor.shape.join(', ')}] (${elements} elements) but ${tensor.data.length} values`,
      );
    }
    const dtype = tensor.data instanceof Float32Array ? 'F32' : 'I32';
    header[name] = {
      dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + tensor.data.byteLength],
    };
    offset += tensor.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (json.byteLength % 8)) % 8;
  if (padding > 0) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padding));
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let cursor = 8 + json.byteLength;
  for (const [, tensor] of entries) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), cursor);
    cursor += tensor.data.byteLength;
  }
  return out;
}
