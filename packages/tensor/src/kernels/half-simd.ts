/**
 * Products of one input row with a 16-bit weight (`x · Wᵀ`, W stored two values to a 32-bit word) as a
 * WebAssembly SIMD kernel on the wasm backend's memory: the weight is read once, four words (eight
 * values) at a time, and widened in registers; float32 products and sums. bfloat16 widens by a shift;
 * binary16 by moving its exponent and fraction into float32's places and scaling by 2^112, exact for
 * subnormal halves too. Finite halves only: ±∞ and NaN read as large finite values, and
 * `ScratchGPTMatMulHalf` sends an f16 weight holding them to the widened product instead. This is what
 * generation with the KV cache spends its time on: reading every weight once per token, so reading
 * half the bytes is the gain.
 *
 * The bytes below are `wat2wasm half-simd.wat` (wabt 1.0.39); the text beside this file is the source.
 * The threaded wasm build's heap is a shared memory, which only an import declared `shared` (with a
 * maximum) accepts: the second binary is the same text with that import, `(memory 0 65536 shared)`,
 * compiled with `wat2wasm --enable-threads`.
 */

import { simdKernelLoader } from './simd-module.js';

const KERNEL_BASE64 =
  'AGFzbQEAAAABCgFgBn9/f39/fwACDwEDZW52Bm1lbW9yeQIAAAMDAgAABxYCCGRvdF9iZjE2AAAHZG90X2YxNgABCukFAqoC' +
  'AgR/AnsgAUF8cSEIAkADQCAGIABPDQFDAAAAAP0TIQtBACEHAkADQCAHIAhPDQEgB0ECdCEJIAQgCWr9AAQAIQogCyAKQRD9' +
  'qwEgAiAJav0ABAD95gEgCv0MAAD//wAA//8AAP//AAD///1OIAMgCWr9AAQA/eYB/eQB/eQBIQsgB0EEaiEHDAALCwJAA0Ag' +
  'ByABTw0BIAdBAnQhCSAEIAlq/VwCACEKIAsgCkEQ/asBIAIgCWr9AAQA/eYBIAr9DAAA//8AAP//AAD//wAA///9TiADIAlq' +
  '/QAEAP3mAf3kAf3kASELIAdBAWohBwwACwsgBSAGQQJ0aiAL/R8AIAv9HwGSIAv9HwIgC/0fA5KSOAIAIAQgAUECdGohBCAG' +
  'QQFqIQYMAAsLC7oDAgR/AnsgAUF8cSEIAkADQCAGIABPDQFDAAAAAP0TIQtBACEHAkADQCAHIAhPDQEgB0ECdCEJIAQgCWr9' +
  'AAQAIQogCyAKQRD9qwFBA/2sAf0MAOD/jwDg/48A4P+PAOD/j/1O/QwAAIB3AACAdwAAgHcAAIB3/eYBIAIgCWr9AAQA/eYB' +
  'IApBA/2sAf0MAOD/jwDg/48A4P+PAOD/j/1O/QwAAIB3AACAdwAAgHcAAIB3/eYBIAMgCWr9AAQA/eYB/eQB/eQBIQsgB0EE' +
  'aiEHDAALCwJAA0AgByABTw0BIAdBAnQhCSAEIAlq/VwCACEKIAsgCkEQ/asBQQP9rAH9DADg/48A4P+PAOD/jwDg/4/9Tv0M' +
  'AACAdwAAgHcAAIB3AACAd/3mASACIAlq/QAEAP3mASAKQQP9rAH9DADg/48A4P+PAOD/jwDg/4/9Tv0MAACAdwAAgHcAAIB3' +
  'AACAd/3mASADIAlq/QAEAP3mAf3kAf3kASELIAdBAWohBwwACwsgBSAGQQJ0aiAL/R8AIAv9HwGSIAv9HwIgC/0fA5KSOAIA' +
  'IAQgAUECdGohBCAGQQFqIQYMAAsLCw==';

/** The same kernels importing a shared memory of up to 4 GiB (65536 pages), as the threaded build's. */
const SHARED_KERNEL_BASE64 =
  'AGFzbQEAAAABCgFgBn9/f39/fwACEgEDZW52Bm1lbW9yeQIDAICABAMDAgAABxYCCGRvdF9iZjE2AAAHZG90X2YxNgABCukF' +
  'AqoCAgR/AnsgAUF8cSEIAkADQCAGIABPDQFDAAAAAP0TIQtBACEHAkADQCAHIAhPDQEgB0ECdCEJIAQgCWr9AAQAIQogCyAK' +
  'QRD9qwEgAiAJav0ABAD95gEgCv0MAAD//wAA//8AAP//AAD///1OIAMgCWr9AAQA/eYB/eQB/eQBIQsgB0EEaiEHDAALCwJA' +
  'A0AgByABTw0BIAdBAnQhCSAEIAlq/VwCACEKIAsgCkEQ/asBIAIgCWr9AAQA/eYBIAr9DAAA//8AAP//AAD//wAA///9TiAD' +
  'IAlq/QAEAP3mAf3kAf3kASELIAdBAWohBwwACwsgBSAGQQJ0aiAL/R8AIAv9HwGSIAv9HwIgC/0fA5KSOAIAIAQgAUECdGoh' +
  'BCAGQQFqIQYMAAsLC7oDAgR/AnsgAUF8cSEIAkADQCAGIABPDQFDAAAAAP0TIQtBACEHAkADQCAHIAhPDQEgB0ECdCEJIAQg' +
  'CWr9AAQAIQogCyAKQRD9qwFBA/2sAf0MAOD/jwDg/48A4P+PAOD/j/1O/QwAAIB3AACAdwAAgHcAAIB3/eYBIAIgCWr9AAQA' +
  '/eYBIApBA/2sAf0MAOD/jwDg/48A4P+PAOD/j/1O/QwAAIB3AACAdwAAgHcAAIB3/eYBIAMgCWr9AAQA/eYB/eQB/eQBIQsg' +
  'B0EEaiEHDAALCwJAA0AgByABTw0BIAdBAnQhCSAEIAlq/VwCACEKIAsgCkEQ/asBQQP9rAH9DADg/48A4P+PAOD/jwDg/4/9' +
  'Tv0MAACAdwAAgHcAAIB3AACAd/3mASACIAlq/QAEAP3mASAKQQP9rAH9DADg/48A4P+PAOD/jwDg/4/9Tv0MAACAdwAAgHcA' +
  'AIB3AACAd/3mASADIAlq/QAEAP3mAf3kAf3kASELIAdBAWohBwwACwsgBSAGQQJ0aiAL/R8AIAv9HwGSIAv9HwIgC/0fA5KS' +
  'OAIAIAQgAUECdGohBCAGQQFqIQYMAAsLCw==';

/**
 * dot(rows, perRow, xe, xo, w, y): y[r] = Σ_j even(w[r, j])·xe[j] + odd(w[r, j])·xo[j] for r < rows,
 * pointers in bytes; xe and xo hold perRow + 3 floats (zeros past perRow).
 */
export type HalfDot = (rows: number, perRow: number, xe: number, xo: number, w: number, y: number) => void;

export interface HalfDots {
  bf16: HalfDot;
  f16: HalfDot;
}

/** The kernels on `memory` (plain or shared); null where they cannot run (no WebAssembly SIMD). */
export const halfDotsFor = simdKernelLoader<HalfDots>(
  { plain: KERNEL_BASE64, shared: SHARED_KERNEL_BASE64 },
  (exports) => ({
    bf16: exports.dot_bf16 as HalfDot,
    f16: exports.dot_f16 as HalfDot,
  }),
);
