import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { tf } from '../tf.js';
import { bfloat16ToFloat, halfToFloat } from './float16.js';
import { SafetensorsError } from './format.js';
import { decodeSafetensorsTensor, parseSafetensors, readSafetensorsHeader } from './read.js';
import { serializeTensors, tensorsFromSafetensors } from './tensors.js';
import { serializeSafetensors } from './write.js';

/** A file from a raw header object and data bytes, as another writer might produce it. */
function rawFile(header: unknown, data: Uint8Array, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return out;
}

describe('safetensors round trip', () => {
  it('writes F32 and I32 and reads them back exactly, with metadata', () => {
    const weights = new Float32Array([1.5, -2.25, 3e-8, 3.4e38, -0, 7]);
    const ids = new Int32Array([0, -1, 2147483647, 50256]);
    const bytes = serializeSafetensors(
      { 'h.0.attn.c_attn.weight': { shape: [2, 3], data: weights }, ids: { shape: [4], data: ids } },
      { format: 'pt', note: 'scratchgpt' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', note: 'scratchgpt' });
    expect(file.tensors.get('h.0.attn.c_attn.weight')).toEqual({
      dtype: 'F32',
      shape: [2, 3],
      data: weights,
    });
    expect(file.tensors.get('ids')).toEqual({ dtype: 'I32', shape: [4], data: ids });
  });

  it('round-trips tensors through the device', async () => {
    await initBackend({ prefer: 'cpu' });
    const tensors = new Map<string, tf.Tensor>([
      [
        'a',
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
      ],
      ['b', tf.tensor1d([5, 6, 7], 'int32')],
      ['scalar', tf.scalar(0.125)],
    ]);
    const back = tensorsFromSafetensors(parseSafetensors(await serializeTensors(tensors)));
    for (const [name, tensor] of tensors) {
      expect(back.get(name)?.shape).toEqual(tensor.shape);
      expect(back.get(name)?.dtype).toBe(tensor.dtype);
      expect(await back.get(name)?.data()).toEqual(await tensor.data());
    }
  });
});

describe('half-precision input', () => {
  it('decodes binary16 exactly, subnormals and infinities included', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('decodes bfloat16 as the top half of a float32', () => {
    expect(bfloat16ToFloat(0x3f80)).toBe(1);
    expect(bfloat16ToFloat(0xc049)).toBe(-3.140625);
    expect(bfloat16ToFloat(0x4049)).toBe(3.140625);
  });

  it('reads F16 and BF16 tensors as float32', () => {
    const file = parseSafetensors(
      rawFile(
        {
          half: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
          brain: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
        },
        new Uint8Array([...u16([0x3c00, 0xc000]), ...u16([0x3f80, 0xc049])]),
      ),
    );
    expect(file.tensors.get('half')).toEqual({ dtype: 'F16', shape: [2], data: new Float32Array([1, -2]) });
    expect(file.tensors.get('brain')?.data).toEqual(new Float32Array([1, -3.140625]));
  });

  it('reads I64 into int32 and refuses values beyond it', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(0, 50256n, true);
    new DataView(data.buffer).setBigInt64(8, -100n, true);
    const file = parseSafetensors(
      rawFile({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data),
    );
    expect(file.tensors.get('ids')?.data).toEqual(new Int32Array([50256, -100]));
    new DataView(data.buffer).setBigInt64(0, 2n ** 40n, true);
    expect(() =>
      parseSafetensors(rawFile({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data)),
    ).toThrow(/'ids' holds 1099511627776, outside the int32 range/);
  });
});

describe('safetensors validation', () => {
  const eight = new Uint8Array(8);

  it('rejects a file shorter than its length prefix', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'model.safetensors')).toThrow(
      new SafetensorsError('model.safetensors is truncated: 5 bytes, less than the 8-byte header length'),
    );
  });

  it('rejects a header length beyond the file', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, eight, 10_000);
    expect(() => parseSafetensors(bytes)).toThrow(/header claims 10000 bytes but only \d+ follow/);
  });

  it('rejects a second __metadata__ (or any key given twice)', () => {
    const header = '{"__metadata__":{"step":"1"},"__metadata__":{"step":"9"}}';
    const text = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + text.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    expect(() => parseSafetensors(bytes)).toThrow(
      'safetensors file has a header that is not valid JSON (duplicate key "__metadata__" at character 29)',
    );
  });

  it('rejects a deeply nested 100 MB header at once, with a short message', () => {
    const depth = 49_999_990; // just under the 100,000,000-byte limit on headers
    const text = new TextEncoder().encode(`{"w":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const bytes = new Uint8Array(8 + text.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    expect(() => parseSafetensors(bytes)).toThrow(
      'safetensors file has a header that is not valid JSON (nested deeper than 3 levels at character 7)',
    );
  });

  it('rejects a header that is not JSON', () => {
    const bytes = rawFile({}, eight);
    bytes[8] = 0x7b; // '{'
    bytes[9] = 0x21; // '!'
    expect(() => parseSafetensors(bytes)).toThrow(/header that is not valid JSON/);
  });

  it('rejects offsets beyond the data (a truncated file)', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight);
    expect(() => parseSafetensors(bytes)).toThrow(
      /tensor 'w' has data_offsets \[0, 16\] beyond the 8 data bytes/,
    );
  });

  it('rejects overlapping tensors', () => {
    const bytes = rawFile(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      },
      eight,
    );
    expect(() => parseSafetensors(bytes)).toThrow(/tensor '[ab]' overlaps the tensor before it/);
  });

  it('rejects holes between tensors and bytes after the last', () => {
    const hole = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight);
    expect(() => parseSafetensors(hole)).toThrow(/4 unused bytes before tensor 'a'/);
    const tail = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight);
    expect(() => parseSafetensors(tail)).toThrow(/4 bytes after the last tensor/);
  });

  it('rejects unknown dtypes, naming them', () => {
    const bytes = rawFile({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, eight);
    expect(() => parseSafetensors(bytes)).toThrow(
      /tensor 'w' has unknown dtype "F8_E4M3" \(supported: F64, F32/,
    );
  });

  it('rejects a shape whose size disagrees with its bytes', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight);
    expect(() => parseSafetensors(bytes)).toThrow(
      "tensor 'w' has shape [3] of F32 (12 bytes) but its data_offsets span 8 bytes",
    );
  });

  it('rejects malformed shapes, offsets and metadata', () => {
    const badShape = rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight);
    expect(() => parseSafetensors(badShape)).toThrow(/invalid shape \[-2\]/);
    const badOffsets = rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, eight);
    expect(() => parseSafetensors(badOffsets)).toThrow(/end before they begin/);
    const badMetadata = rawFile({ __metadata__: { epoch: 3 } }, new Uint8Array(0));
    expect(() => parseSafetensors(badMetadata)).toThrow(/__metadata__.epoch must be a string/);
  });

  it('refuses to write a shape that disagrees with its data', () => {
    expect(() => serializeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).toThrow(
      /tensor 'w' has shape \[3\] \(3 elements\) but 2 values/,
    );
  });
});

describe('safetensors read piece by piece', () => {
  it('the header alone says where each tensor lies; decoding each gives what parsing the whole file gives', () => {
    const bytes = serializeSafetensors(
      {
        a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
        b: { shape: [3], data: new Int32Array([7, 8, 9]) },
      },
      { format: 'pt' },
    );
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    // Only the prefix and the header: the rest of the file stays unread.
    const { dataStart, entries, metadata } = readSafetensorsHeader(
      bytes.subarray(0, headerEnd),
      bytes.length,
    );
    expect(dataStart).toBe(headerEnd);
    expect(metadata).toEqual({ format: 'pt' });
    const whole = parseSafetensors(bytes);
    for (const entry of entries) {
      const piece = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
      expect(decodeSafetensorsTensor(entry, piece)).toEqual(whole.tensors.get(entry.name));
    }
    expect(entries.map((entry) => entry.name)).toEqual(['a', 'b']);
    // The size of the file is checked against the header, so a truncated file fails up front.
    expect(() =>
      readSafetensorsHeader(bytes.subarray(0, headerEnd), bytes.length - 4, 'w.safetensors'),
    ).toThrow(
      new SafetensorsError(
        "w.safetensors: tensor 'b' has data_offsets [16, 28] beyond the 24 data bytes (the file is truncated or corrupt)",
      ),
    );
  });
});
