import { jsonPreview, parseStrictJson } from '../json/strict-json.js';
import { decodeBF16, decodeF16 } from './float16.js';
import {
  dtypeBytes,
  HEADER_PREFIX_BYTES,
  MAX_HEADER_BYTES,
  type Safetensors,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsTensor,
} from './format.js';

/** A tensor's place in a safetensors file: `begin`/`end` are offsets into the data after the header. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file. Floats (F64, F32, F16, BF16) come back as float32, integers as int32.
 * Every structural problem is a {@link SafetensorsError} naming the tensor and what is wrong.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors file'): Safetensors {
  const { dataStart, entries, metadata } = readSafetensorsHeader(bytes, bytes.byteLength, source);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    tensors.set(entry.name, decodeSafetensorsTensor(entry, data.subarray(entry.begin, entry.end)));
  }
  return { tensors, metadata };
}

/** How many bytes the header takes after the 8-byte prefix, from a file's first 8 bytes. */
export function safetensorsHeaderLength(
  prefix: Uint8Array,
  fileBytes: number,
  source = 'safetensors file',
): number {
  if (fileBytes < HEADER_PREFIX_BYTES || prefix.byteLength < HEADER_PREFIX_BYTES) {
    throw new SafetensorsError(
      `${source} is truncated: ${fileBytes} bytes, less than the 8-byte header length`,
    );
  }
  const headerLength = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > fileBytes - HEADER_PREFIX_BYTES) {
    throw new SafetensorsError(
      `${source} is truncated or corrupt: its header claims ${headerLength} bytes but only ` +
        `${fileBytes - HEADER_PREFIX_BYTES} follow`,
    );
  }
  if (headerLength > MAX_HEADER_BYTES)
    throw new SafetensorsError(`${source} has an implausible ${headerLength}-byte header`);
  return headerLength;
}

/**
 * The header of a file of `fileBytes` bytes from its first bytes (`prefix` holds at least the 8-byte
 * length and the header), checked against the file's size: where each tensor lies, so a reader can
 * fetch tensors one at a time from files too large for one buffer.
 */
export function readSafetensorsHeader(
  prefix: Uint8Array,
  fileBytes: number,
  source = 'safetensors file',
): { dataStart: number; entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  const headerLength = safetensorsHeaderLength(prefix, fileBytes, source);
  const dataStart = HEADER_PREFIX_BYTES + headerLength;
  if (prefix.byteLength < dataStart) throw new RangeError(`internal: ${source}'s header was not read whole`);
  const header = parseHeaderJson(prefix.subarray(HEADER_PREFIX_BYTES, dataStart), source);
  const { entries, metadata } = readEntries(header, source);
  checkLayout(entries, fileBytes - dataStart, source);
  return { dataStart, entries, metadata };
}

/** One tensor from its bytes: floats as float32, integers as int32. */
export function decodeSafetensorsTensor(entry: SafetensorsEntry, bytes: Uint8Array): SafetensorsTensor {
  return { dtype: entry.dtype, shape: entry.shape, data: decode(entry, bytes) };
}

/** The header nests three levels at most: the object, a tensor's entry, its shape or offsets. */
const HEADER_DEPTH = 3;

function parseHeaderJson(bytes: Uint8Array, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    parsed = parseStrictJson(text, { maxDepth: HEADER_DEPTH });
  } catch (error) {
    throw new SafetensorsError(`${source} has a header that is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SafetensorsError(`${source} has a header that is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function readEntries(header: Record<string, unknown>, source: string) {
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = readMetadata(value, source);
      continue;
    }
    entries.push(readEntry(name, value, source));
  }
  return { entries, metadata };
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SafetensorsError(`${source}: __metadata__ must be an object of strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new SafetensorsError(`${source}: __metadata__.${shortName(key)} must be a string`);
  }
  return value as Record<string, string>;
}

function readEntry(name: string, value: unknown, source: string): SafetensorsEntry {
  const fail = (problem: string) => new SafetensorsError(`${source}: tensor '${shortName(name)}' ${problem}`);
  if (value === null || typeof value !== 'object') throw fail('has no dtype/shape/data_offsets entry');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(dtypeBytes, dtype)) {
    throw fail(`has unknown dtype ${jsonPreview(dtype)} (supported: ${Object.keys(dtypeBytes).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw fail(`has an invalid shape ${jsonPreview(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0)
  ) {
    throw fail(`has invalid data_offsets ${jsonPreview(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw fail(`has data_offsets [${begin}, ${end}] that end before they begin`);
  const typed = dtype as SafetensorsDtype;
  const expectedBytes = (shape as number[]).reduce((product, size) => product * size, 1) * dtypeBytes[typed];
  if (end - begin !== expectedBytes) {
    throw fail(
      `has shape [${shape.join(', ')}] of ${dtype} (${expectedBytes} bytes) but its data_offsets span ` +
        `${end - begin} bytes`,
    );
  }
  return { name, dtype: typed, shape: shape as number[], begin, end };
}

/** Offsets must lie inside the data, must not overlap, and (as the format requires) leave no holes. */
function checkLayout(entries: SafetensorsEntry[], dataBytes: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of sorted) {
    if (entry.end > dataBytes) {
      throw new SafetensorsError(
        `${source}: tensor '${shortName(entry.name)}' has data_offsets [${entry.begin}, ${entry.end}] beyond the ` +
          `${dataBytes} data bytes (the file is truncated or corrupt)`,
      );
    }
    if (entry.begin < cursor) {
      throw new SafetensorsError(
        `${source}: tensor '${shortName(entry.name)}' overlaps the tensor before it (offset ${entry.begin})`,
      );
    }
    if (entry.begin > cursor) {
      throw new SafetensorsError(
        `${source}: ${entry.begin - cursor} unused bytes before tensor '${shortName(entry.name)}'`,
      );
    }
    cursor = entry.end;
  }
  if (cursor !== dataBytes)
    throw new SafetensorsError(`${source}: ${dataBytes - cursor} bytes after the last tensor`);
}

function decode(entry: SafetensorsEntry, bytes: Uint8Array): Float32Array | Int32Array {
  // Copy to an aligned buffer: tensors in a file are not guaranteed to sit on 4-byte boundaries.
  const aligned = new Uint8Array(bytes);
  const view = new DataView(aligned.buffer);
  const count = bytes.byteLength / dtypeBytes[entry.dtype];
  switch (entry.dtype) {
    case 'F32':
      return littleEndian
        ? new Float32Array(aligned.buffer)
        : mapFloat(count, (i) => view.getFloat32(i * 4, true));
    case 'F64':
      return mapFloat(count, (i) => view.getFloat64(i * 8, true));
    case 'F16':
      return decodeF16(aligned);
    case 'BF16':
      return decodeBF16(aligned);
    case 'I32':
      return littleEndian ? new Int32Array(aligned.buffer) : mapInt(count, (i) => view.getInt32(i * 4, true));
    case 'I64':
      return mapInt(count, (i) => {
        const value = view.getBigInt64(i * 8, true);
        if (value > 2147483647n || value < -2147483648n) {
          throw new SafetensorsError(
            `tensor '${shortName(entry.name)}' holds ${value}, outside the int32 range scratchgpt uses`,
          );
        }
        return Number(value);
      });
    case 'I16':
      return mapInt(count, (i) => view.getInt16(i * 2, true));
    case 'I8':
      return mapInt(count, (i) => view.getInt8(i));
    case 'U8':
    case 'BOOL':
      return mapInt(count, (i) => view.getUint8(i));
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function mapFloat(count: number, at: (i: number) => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = at(i);
  return out;
}

function mapInt(count: number, at: (i: number) => number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = at(i);
  return out;
}

/** A tensor's name for a message: a hostile file may name one with megabytes. */
function shortName(name: string): string {
  return name.length <= 100 ? name : `${name.slice(0, 99)}…`;
}
