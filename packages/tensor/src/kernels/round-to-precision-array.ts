/**
 * Rounding float32 values to half precision or bfloat16 (ties to even) on their bit patterns, for the
 * kernels that run in JavaScript over a backend's memory: exact by construction, one pass.
 */

/** Which format: 0 for IEEE half precision, 1 for bfloat16 (kernel attributes are numbers). */
export type RoundingFormatCode = 0 | 1;

const HALF_OVERFLOW = 0x477ff000; // 65520: from here on a half rounds to ∞
const HALF_SMALLEST_NORMAL = 0x38800000; // 2^-14
const TWO_POW_24 = 2 ** 24;

/** `output[i]` = `input[i]` rounded; the two views may be the same array. */
export function roundArrayToPrecision(
  input: Float32Array,
  output: Float32Array,
  format: RoundingFormatCode,
): void {
  const bits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  const out = new Uint32Array(output.buffer, output.byteOffset, output.length);
  if (format === 1) {
    for (let i = 0; i < bits.length; i++) {
      const u = bits[i]!;
      // NaN stays NaN; everything else, ∞ and float32 subnormals included, rounds on the low 16 bits.
      out[i] = (u & 0x7fffffff) > 0x7f800000 ? u : ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
    }
    return;
  }
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i]!;
    const magnitude = u & 0x7fffffff;
    const sign = (u & 0x80000000) >>> 0;
    if (magnitude >= 0x7f800000) out[i] = u;
    else if (magnitude >= HALF_OVERFLOW) out[i] = (sign | 0x7f800000) >>> 0;
    else if (magnitude >= HALF_SMALLEST_NORMAL) {
      // Keep 10 of the 23 fraction bits; a carry out of them moves the exponent, as it should.
      out[i] = (sign | ((magnitude + 0xfff + ((magnitude >>> 13) & 1)) & 0x7fffe000)) >>> 0;
    } else {
      // Subnormal halves are multiples of 2^-24: round |x| · 2^24 to an integer, ties to even.
      const scaled = Math.abs(input[i]!) * TWO_POW_24;
      const floor = Math.floor(scaled);
      const rest = scaled - floor;
      const whole = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
      output[i] = (sign ? -whole : whole) / TWO_POW_24;
      if (whole === 0) out[i] = sign;
    }
  }
}
