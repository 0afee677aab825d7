import { describe, expect, it } from 'vitest';
import { SafetensorsError } from './format.js';
import { type ByteRanges, blobAsRanges, bytesAsRanges, openSafetensorsRanges } from './ranges.js';
import { parseSafetensors } from './read.js';
import { safetensorsPieces, serializeSafetensors } from './write.js';

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
  return new Uint8Array(Uint16Array.from(values).buffer);
}

async function readAll(bytes: Uint8Array) {
  const file = await openSafetensorsRanges(bytesAsRanges(bytes));
  const tensors = new Map();
  for (const entry of file.entries) tensors.set(entry.name, await file.readTensor(entry));
  return { tensors, metadata: file.metadata };
}

async function concat(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const all: number[] = [];
  for await (const piece of pieces) all.push(...piece);
  return new Uint8Array(all);
}

async function* tensorsOf<T>(entries: Array<[string, T]>): AsyncGenerator<[string, T]> {
  yield* entries;
}

const eight = new Uint8Array(8);
const deep = (() => {
  const text = new TextEncoder().encode(`{"w":[[[[1]]]]}`);
  const bytes = new Uint8Array(8 + text.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
  bytes.set(text, 8);
  return bytes;
})();

/** Every malformed file the whole-file parser refuses, each refused by byte ranges with the same error. */
const malformed: Array<[string, Uint8Array]> = [
  ['shorter than its length prefix', new Uint8Array(5)],
  [
    'a header beyond the file',
    rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, eight, 10_000),
  ],
  ['a header nested too deep', deep],
  ['offsets beyond the data', rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight)],
  [
    'overlapping tensors',
    rawFile(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      },
      eight,
    ),
  ],
  ['a hole', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight)],
  ['bytes after the last tensor', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight)],
  ['an unknown dtype', rawFile({ w: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, eight)],
  ['a shape that disagrees', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight)],
  ['a negative size', rawFile({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight)],
  ['offsets backwards', rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, eight)],
  ['metadata not strings', rawFile({ __metadata__: { epoch: 3 } }, new Uint8Array(0))],
];

describe('safetensors read by byte ranges', () => {
  it('gives what parsing the whole file gives: F32, I32, F16, BF16 and I64, with metadata', async () => {
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(0, 50256n, true);
    new DataView(i64.buffer).setBigInt64(8, -100n, true);
    const bytes = rawFile(
      {
        __metadata__: { format: 'pt' },
        half: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        brain: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
        ids: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
        w: { dtype: 'F32', shape: [1, 2], data_offsets: [24, 32] },
      },
      new Uint8Array([
        ...u16([0x3c00, 0xc000]),
        ...u16([0x3f80, 0xc049]),
        ...i64,
        ...new Uint8Array(new Float32Array([1.5, -2.25]).buffer),
      ]),
    );
    const whole = parseSafetensors(bytes);
    const byRanges = await readAll(bytes);
    expect(byRanges).toEqual(whole);
    expect(byRanges.tensors.get('brain')?.data).toEqual(new Float32Array([1, -3.140625]));
    expect(byRanges.tensors.get('w')?.data).toEqual(new Float32Array([1.5, -2.25]));
  });

  it('lists tensors in the order of their bytes, whatever the header order', async () => {
    const bytes = rawFile(
      {
        second: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        first: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      },
      eight,
    );
    const file = await openSafetensorsRanges(bytesAsRanges(bytes));
    expect(file.entries.map((entry) => entry.name)).toEqual(['first', 'second']);
  });

  it.each(malformed)('refuses %s with the error the whole-file parser gives', async (_, bytes) => {
    let expected: unknown;
    try {
      parseSafetensors(bytes, 'model.safetensors');
    } catch (error) {
      expected = error;
    }
    expect(expected).toBeInstanceOf(SafetensorsError);
    await expect(openSafetensorsRanges(bytesAsRanges(bytes), 'model.safetensors')).rejects.toThrow(
      expected as Error,
    );
  });

  it('reads only the header until a tensor is asked for, then only its bytes', async () => {
    const bytes = serializeSafetensors({
      a: { shape: [2], data: new Float32Array([1, 2]) },
      b: { shape: [3], data: new Float32Array([3, 4, 5]) },
    });
    const reads: Array<[number, number]> = [];
    const inner = bytesAsRanges(bytes);
    const counting: ByteRanges = {
      byteLength: inner.byteLength,
      read: (position, into) => {
        reads.push([position, into.byteLength]);
        return inner.read(position, into);
      },
    };
    const file = await openSafetensorsRanges(counting);
    const dataStart = bytes.length - 20;
    expect(reads).toEqual([
      [0, 8],
      [0, dataStart],
    ]);
    const b = file.entries[1]!;
    expect((await file.readTensor(b)).data).toEqual(new Float32Array([3, 4, 5]));
    expect(reads.at(-1)).toEqual([dataStart + 8, 12]);
  });

  it('reads F32, F16 and BF16 tensors in pieces that make up what readTensor gives', async () => {
    const values = Float32Array.from({ length: 37 }, (_, i) => (i - 18) * 0.375);
    const bf16 = u16([...new Uint32Array(values.buffer)].map((word) => word >>> 16));
    const f16 = u16([0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000]);
    const bytes = rawFile(
      {
        w: { dtype: 'F32', shape: [37], data_offsets: [0, 148] },
        b: { dtype: 'BF16', shape: [37], data_offsets: [148, 222] },
        h: { dtype: 'F16', shape: [5], data_offsets: [222, 232] },
      },
      new Uint8Array([...new Uint8Array(values.buffer), ...bf16, ...f16]),
    );
    const file = await openSafetensorsRanges(bytesAsRanges(bytes));
    for (const entry of file.entries) {
      const pieces: Array<[number, number[]]> = [];
      await file.readTensorPieces(entry, (offset, piece) => pieces.push([offset, [...piece]]), 16);
      const perPiece = entry.dtype === 'F32' ? 4 : 8;
      expect(pieces.map(([offset]) => offset)).toEqual(
        Array.from({ length: Math.ceil(entry.shape[0]! / perPiece) }, (_, i) => i * perPiece),
      );
      expect(pieces.flatMap(([, piece]) => piece)).toEqual([...(await file.readTensor(entry)).data]);
    }
  });

  it('refuses to read integer tensors in pieces', async () => {
    const bytes = serializeSafetensors({ ids: { shape: [2], data: new Int32Array([1, 2]) } });
    const file = await openSafetensorsRanges(bytesAsRanges(bytes));
    await expect(file.readTensorPieces(file.entries[0]!, () => {})).rejects.toThrow(
      "readTensorPieces reads F32, F16 and BF16 tensors; 'ids' is I32",
    );
  });

  it('fails when the source holds fewer bytes than it said (a file cut short while read)', async () => {
    const bytes = serializeSafetensors({ a: { shape: [4], data: new Float32Array(4) } });
    const lying: ByteRanges = {
      ...bytesAsRanges(bytes.subarray(0, bytes.length - 4)),
      byteLength: bytes.length,
    };
    const file = await openSafetensorsRanges(lying);
    await expect(file.readTensor(file.entries[0]!)).rejects.toThrow(/read past the end/);
  });
});

describe('safetensors written piece by piece', () => {
  const tensors: Array<[string, { shape: number[]; data: Float32Array | Int32Array }]> = [
    ['h.0.attn.c_attn.weight', { shape: [2, 3], data: new Float32Array([1.5, -2.25, 3e-8, 3.4e38, -0, 7]) }],
    ['ids', { shape: [3], data: new Int32Array([0, -1, 50256]) }],
  ];
  const layout = new Map(
    tensors.map(([name, t]) => [
      name,
      { shape: t.shape, dtype: t.data instanceof Float32Array ? 'F32' : 'I32' } as const,
    ]),
  );

  it('makes the bytes of the whole-file writer', async () => {
    const metadata = { format: 'pt', step: '3' };
    const pieces = await concat(safetensorsPieces(layout, tensorsOf(tensors), metadata));
    expect(pieces).toEqual(serializeSafetensors(new Map(tensors), metadata));
  });

  it('refuses tensors out of the header order, of another shape or dtype, or too few', async () => {
    const swapped = tensorsOf([tensors[1]!, tensors[0]!]);
    await expect(concat(safetensorsPieces(layout, swapped))).rejects.toThrow(
      new SafetensorsError("tensor 'ids' came where the header places 'h.0.attn.c_attn.weight'"),
    );
    const misshaped = tensorsOf([['h.0.attn.c_attn.weight', { shape: [2, 3], data: new Float32Array(5) }]]);
    await expect(concat(safetensorsPieces(layout, misshaped))).rejects.toThrow(
      "tensor 'h.0.attn.c_attn.weight' has shape [2, 3] (6 elements) but 5 values",
    );
    const ints = tensorsOf([tensors[0]!, ['ids', { shape: [3], data: new Float32Array(3) }]]);
    await expect(concat(safetensorsPieces(layout, ints))).rejects.toThrow(
      "tensor 'ids' holds F32 values where the header says I32",
    );
    await expect(concat(safetensorsPieces(layout, tensorsOf([tensors[0]!])))).rejects.toThrow(
      "the tensors ended before 'ids', which the header places next",
    );
  });
});

describe('blobAsRanges', () => {
  it('reads a file held in a Blob range by range, as from bytes, and refuses a read past its end', async () => {
    const bytes = serializeSafetensors(
      new Map([
        ['a', { dtype: 'F32', shape: [3, 2], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) }],
        ['b', { dtype: 'F32', shape: [4], data: new Float32Array([0.25, 0, -1, 7]) }],
      ]),
      { format: 'pt' },
    );
    const ranges = blobAsRanges(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    expect(ranges.byteLength).toBe(bytes.byteLength);
    const file = await openSafetensorsRanges(ranges);
    const expected = parseSafetensors(bytes);
    for (const entry of file.entries) {
      expect(await file.readTensor(entry)).toEqual(expected.tensors.get(entry.name));
    }
    await expect(ranges.read(bytes.byteLength - 2, new Uint8Array(4))).rejects.toThrow(
      `read past the end: bytes ${bytes.byteLength - 2}..${bytes.byteLength + 2} of ${bytes.byteLength}`,
    );
  });
});
