import { SafetensorsError, type TensorToWrite } from './format.js';

/** What the header says of a tensor to write: float32 is stored as F32, int32 as I32. */
export interface TensorLayoutToWrite {
  shape: readonly number[];
  dtype: 'F32' | 'I32';
}

/**
 * Serialises tensors to safetensors: float32 as F32, int32 as I32, in the given order. The header is
 * padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  for (const [name, tensor] of entries) checkValueCount(name, tensor.shape, tensor.data.length);
  const header = safetensorsHeader(
    entries.map(([name, tensor]) => [name, { shape: tensor.shape, dtype: dtypeOf(tensor) }]),
    metadata,
  );
  const out = new Uint8Array(header.fileBytes);
  out.set(header.bytes, 0);
  let cursor = header.bytes.byteLength;
  for (const [, tensor] of entries) {
    out.set(bytesOf(tensor), cursor);
    cursor += tensor.data.byteLength;
  }
  return out;
}

/**
 * A safetensors file's first bytes (the length prefix and the padded JSON header) for tensors of these
 * shapes, in this order, and the size of the whole file they begin.
 */
export function safetensorsHeader(
  tensors: Iterable<[string, TensorLayoutToWrite]>,
  metadata: Record<string, string> = {},
): { bytes: Uint8Array; fileBytes: number } {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (name === '__metadata__')
      throw new SafetensorsError("'__metadata__' is reserved and cannot name a tensor");
    if (Object.hasOwn(header, name)) throw new SafetensorsError(`tensor '${name}' is given twice`);
    const byteLength = elementsOf(tensor.shape) * 4;
    header[name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + byteLength],
    };
    offset += byteLength;
  }
  const text = JSON.stringify(header);
  const padding = (8 - (new TextEncoder().encode(text).byteLength % 8)) % 8;
  const json = new TextEncoder().encode(text + ' '.repeat(padding));
  const bytes = new Uint8Array(8 + json.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  bytes.set(json, 8);
  return { bytes, fileBytes: bytes.byteLength + offset };
}

/**
 * The bytes of a safetensors file as a sequence of pieces: the header for `layout`, then each tensor's
 * bytes as `tensors` hands it over, so only one tensor need be in memory at a time. The tensors must
 * come in the layout's order with its shapes; anything else is an error before its bytes are given.
 */
export async function* safetensorsPieces(
  layout: ReadonlyMap<string, TensorLayoutToWrite>,
  tensors: AsyncIterable<[string, TensorToWrite]>,
  metadata: Record<string, string> = {},
): AsyncGenerator<Uint8Array> {
  yield safetensorsHeader(layout, metadata).bytes;
  const expected = [...layout];
  let index = 0;
  for await (const [name, tensor] of tensors) {
    const [expectedName, expectedLayout] = expected[index] ?? [];
    if (name !== expectedName || expectedLayout === undefined) {
      throw new SafetensorsError(
        `tensor '${name}' came where the header places ${expectedName === undefined ? 'no more tensors' : `'${expectedName}'`}`,
      );
    }
    checkValueCount(name, expectedLayout.shape, tensor.data.length);
    if (dtypeOf(tensor) !== expectedLayout.dtype) {
      throw new SafetensorsError(
        `tensor '${name}' holds ${dtypeOf(tensor)} values where the header says ${expectedLayout.dtype}`,
      );
    }
    yield bytesOf(tensor);
    index += 1;
  }
  if (index !== expected.length) {
    throw new SafetensorsError(
      `the tensors ended before '${expected[index]?.[0]}', which the header places next`,
    );
  }
}

function checkValueCount(name: string, shape: readonly number[], values: number): void {
  const elements = elementsOf(shape);
  if (elements !== values) {
    throw new SafetensorsError(
      `tensor '${name}' has shape [${shape.join(', ')}] (${elements} elements) but ${values} values`,
    );
  }
}

function elementsOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function dtypeOf(tensor: TensorToWrite): 'F32' | 'I32' {
  return tensor.data instanceof Float32Array ? 'F32' : 'I32';
}

function bytesOf(tensor: TensorToWrite): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}
