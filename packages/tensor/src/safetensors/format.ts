/** The safetensors dtypes scratchgpt reads, with their sizes in bytes. */
export const dtypeBytes = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDtype = keyof typeof dtypeBytes;

/** A tensor as read: floats become float32, integers int32. `dtype` is the dtype stored in the file. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A tensor to write: float32 is stored as F32, int32 as I32. */
export interface TensorToWrite {
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

export interface Safetensors {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The 8-byte little-endian header length prefix. */
export const HEADER_PREFIX_BYTES = 8;
/** Refuse absurd headers before parsing them (the reference implementation uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
