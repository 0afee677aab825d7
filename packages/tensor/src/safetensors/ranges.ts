/**
 * A safetensors file read by byte ranges, tensor by tensor: the header first (checked as a whole file
 * is), then each tensor's bytes only when it is asked for, so no buffer ever holds the whole file.
 * Where the bytes come from (a file descriptor, a download, memory) is the caller's `ByteRanges`.
 */

import { decodeBF16, decodeBF16Into, decodeF16, decodeF16Into } from './float16.js';
import { HEADER_PREFIX_BYTES, type SafetensorsTensor } from './format.js';
import {
  decodeSafetensorsTensor,
  readSafetensorsHeader,
  type SafetensorsEntry,
  safetensorsHeaderLength,
} from './read.js';

/** Random access to a file's bytes, whose size is known before any byte is read. */
export interface ByteRanges {
  readonly byteLength: number;
  /** Fills `into` with the bytes from `position` on; fails when the source holds fewer than that. */
  read(position: number, into: Uint8Array): Promise<void>;
}

export interface SafetensorsRanges {
  /** Every tensor, in the order of its bytes in the file. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** One tensor read and converted: floats as float32, integers as int32. */
  readTensor(entry: SafetensorsEntry): Promise<SafetensorsTensor>;
  /**
   * One F32, F16 or BF16 tensor read in pieces of at most `pieceBytes` of the file, each widened to
   * float32 and handed to `onPiece` with the element it starts at; the piece's array is reused for the
   * next, so copy what you keep. No buffer ever holds the whole tensor. Other dtypes are refused: read
   * them with `readTensor`.
   */
  readTensorPieces(
    entry: SafetensorsEntry,
    onPiece: (offset: number, values: Float32Array) => void,
    pieceBytes?: number,
  ): Promise<void>;
}

/** The float dtypes {@link SafetensorsRanges.readTensorPieces} reads, by bytes per element. */
const PIECE_DTYPES: ReadonlyMap<string, number> = new Map([
  ['F32', 4],
  ['F16', 2],
  ['BF16', 2],
]);

/** 8 MiB: large enough that reading by pieces costs nothing measurable, small beside any model. */
const DEFAULT_PIECE_BYTES = 8 * 1024 * 1024;

/** Whether {@link SafetensorsRanges.readTensorPieces} reads a tensor of this dtype. */
export function readsInPieces(dtype: string): boolean {
  return PIECE_DTYPES.has(dtype);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads and checks the header of the safetensors file behind `bytes`; tensors are read on request. */
export async function openSafetensorsRanges(
  bytes: ByteRanges,
  source = 'safetensors file',
): Promise<SafetensorsRanges> {
  const prefix = new Uint8Array(Math.min(HEADER_PREFIX_BYTES, bytes.byteLength));
  await bytes.read(0, prefix);
  const headerEnd = HEADER_PREFIX_BYTES + safetensorsHeaderLength(prefix, bytes.byteLength, source);
  const header = new Uint8Array(headerEnd);
  await bytes.read(0, header);
  const { dataStart, entries, metadata } = readSafetensorsHeader(header, bytes.byteLength, source);
  const readTensor = async (entry: SafetensorsEntry): Promise<SafetensorsTensor> => {
    const length = entry.end - entry.begin;
    if (entry.dtype === 'F32' && littleEndian) {
      // Read straight into the float32 array the tensor becomes: no second copy of its bytes.
      const data = new Float32Array(length / 4);
      await bytes.read(dataStart + entry.begin, new Uint8Array(data.buffer));
      return { dtype: entry.dtype, shape: entry.shape, data };
    }
    const raw = new Uint8Array(length);
    await bytes.read(dataStart + entry.begin, raw);
    // Half precision widens from the bytes read, without the aligned copy other dtypes need.
    if (entry.dtype === 'F16') return { dtype: entry.dtype, shape: entry.shape, data: decodeF16(raw) };
    if (entry.dtype === 'BF16') return { dtype: entry.dtype, shape: entry.shape, data: decodeBF16(raw) };
    return decodeSafetensorsTensor(entry, raw);
  };
  const readTensorPieces = async (
    entry: SafetensorsEntry,
    onPiece: (offset: number, values: Float32Array) => void,
    pieceBytes = DEFAULT_PIECE_BYTES,
  ): Promise<void> => {
    const width = PIECE_DTYPES.get(entry.dtype);
    if (width === undefined || !littleEndian) {
      throw new RangeError(
        `readTensorPieces reads F32, F16 and BF16 tensors; '${entry.name}' is ${entry.dtype}`,
      );
    }
    const perPiece = Math.max(1, Math.floor(pieceBytes / width));
    const count = (entry.end - entry.begin) / width;
    const raw = new Uint8Array(Math.min(count, perPiece) * width);
    const widened = width === 4 ? new Float32Array(raw.buffer) : new Float32Array(raw.length / 2);
    for (let offset = 0; offset < count; offset += perPiece) {
      const n = Math.min(perPiece, count - offset);
      await bytes.read(dataStart + entry.begin + offset * width, raw.subarray(0, n * width));
      if (entry.dtype === 'F16') decodeF16Into(raw.subarray(0, n * 2), widened);
      if (entry.dtype === 'BF16') decodeBF16Into(raw.subarray(0, n * 2), widened);
      onPiece(offset, widened.subarray(0, n));
    }
  };
  return {
    entries: [...entries].sort((a, b) => a.begin - b.begin),
    metadata,
    readTensor,
    readTensorPieces,
  };
}

/** A file already in memory as `ByteRanges` (tests, and downloads held whole). */
export function bytesAsRanges(file: Uint8Array): ByteRanges {
  return {
    byteLength: file.byteLength,
    read: async (position, into) => {
      if (position + into.byteLength > file.byteLength) {
        throw new RangeError(
          `read past the end: bytes ${position}..${position + into.byteLength} of ${file.byteLength}`,
        );
      }
      into.set(file.subarray(position, position + into.byteLength));
    },
  };
}

/**
 * A Blob's bytes by range (`slice(start, end).arrayBuffer()` reads only that range): a file the
 * browser keeps on disk (Cache Storage, a picked file) is read tensor by tensor, never whole.
 */
export function blobAsRanges(blob: Blob): ByteRanges {
  return {
    byteLength: blob.size,
    read: async (position, into) => {
      const end = position + into.byteLength;
      if (end > blob.size) {
        throw new RangeError(`read past the end: bytes ${position}..${end} of ${blob.size}`);
      }
      const bytes = await blob.slice(position, end).arrayBuffer();
      if (bytes.byteLength !== into.byteLength) {
        throw new RangeError(
          `read ${bytes.byteLength} of bytes ${position}..${end}: the file changed while it was read`,
        );
      }
      into.set(new Uint8Array(bytes));
    },
  };
}
