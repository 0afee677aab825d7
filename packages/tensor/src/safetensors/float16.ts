/** Half-precision conversions for reading F16 and BF16 safetensors into float32. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits → number (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 bits → number: they are the top half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

export function decodeF16(bytes: Uint8Array): Float32Array {
  return decodeF16Into(bytes, new Float32Array(bytes.byteLength / 2));
}

/** Widens the halves in `bytes` into the start of `out` (which must hold them); returns `out`. */
export function decodeF16Into(bytes: Uint8Array, out: Float32Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / 2;
  for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

export function decodeBF16(bytes: Uint8Array): Float32Array {
  return decodeBF16Into(bytes, new Float32Array(bytes.byteLength / 2));
}

/** Widens the bfloat16s in `bytes` into the start of `out` (which must hold them); returns `out`. */
export function decodeBF16Into(bytes: Uint8Array, out: Float32Array): Float32Array {
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / 2;
  for (let i = 0; i < count; i++) words[i] = view.getUint16(i * 2, true) << 16;
  return out;
}
