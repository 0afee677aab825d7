/** The 16-bit formats weights can be stored in. */

/** IEEE 754 binary16 (`f16`: 5 exponent bits, 10 fraction bits) or bfloat16 (`bf16`: 8 and 7). */
export type HalfPrecision = 'f16' | 'bf16';

/** Every storage precision, float32 included, in the order the CLI lists them. */
export const storagePrecisions = ['f32', 'f16', 'bf16'] as const;
export type StoragePrecision = (typeof storagePrecisions)[number];

export function isHalfPrecision(value: unknown): value is HalfPrecision {
  return value === 'f16' || value === 'bf16';
}
