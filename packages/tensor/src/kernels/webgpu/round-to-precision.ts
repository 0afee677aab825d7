/**
 * Kernel `ScratchGPTRoundToPrecision` on WebGPU: float32 values rounded to the nearest half or
 * bfloat16 (ties to even) in one pass, where the composed op takes some twenty. The buffers are read
 * and written as u32 and every step is an integer operation on the bit patterns, so the result is
 * exact on every adapter, with or without `shader-f16`, and no float32 subnormal or NaN payload ever
 * passes through a float unit that might flush or quiet it.
 */

import type { tf } from '../../tf.js';
import { fusedKernelNames } from '../fused-kernel-names.js';
import type { KernelArgs, KernelPatch } from '../register.js';
import type { RoundingFormatCode } from '../round-to-precision-array.js';
import { elementwiseShader, runElementwise } from './elementwise.js';

// bfloat16 is float32's top half: add just under half a unit of the kept part (plus its lowest bit, for
// ties to even) and cut. ∞ stays ∞; NaN is kept as it is, since the carry could turn it into ∞.
export const roundBf16WGSL = `
fn roundBf16(u: u32) -> u32 {
  if ((u & 0x7fffffffu) > 0x7f800000u) { return u; }
  return (u + 0x7fffu + ((u >> 16u) & 1u)) & 0xffff0000u;
}`;

// binary16 keeps 10 of the 23 fraction bits and the exponents from 2⁻¹⁴ to 2¹⁵. From 65520 on a
// value rounds to ∞. Below 2⁻¹⁴ the halves are multiples k of 2⁻²⁴: the significand, hidden bit
// included, is rounded to whole 2⁻²⁴ units, and k · 2⁻²⁴ is written back as a normal float32 (the
// exponent from k's leading bit, k's lower bits as the fraction).
export const roundF16WGSL = `
fn roundF16(u: u32) -> u32 {
  let sign = u & 0x80000000u;
  let magnitude = u & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) { return u; }
  if (magnitude >= 0x477ff000u) { return sign | 0x7f800000u; }
  if (magnitude >= 0x38800000u) {
    // A carry out of the kept fraction bits moves the exponent, as it should.
    return sign | ((magnitude + 0xfffu + ((magnitude >> 13u) & 1u)) & 0x7fffe000u);
  }
  let exponent = magnitude >> 23u;
  // Below 2⁻²⁵ (float32 subnormals included) a value is nearer zero than the smallest half; 2⁻²⁵
  // itself is a tie, to the even zero, which the rounding below gives.
  if (exponent < 102u) { return sign; }
  let shift = 126u - exponent; // 14 for [2⁻¹⁵, 2⁻¹⁴) … 24 for [2⁻²⁵, 2⁻²⁴)
  let significand = (magnitude & 0x7fffffu) | 0x800000u;
  var k = significand >> shift;
  let rest = significand & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (k & 1u) == 1u)) { k += 1u; }
  if (k == 0u) { return sign; }
  let top = firstLeadingBit(k); // k · 2⁻²⁴ = 2^(top − 24) · (k / 2^top)
  return sign | ((top + 103u) << 23u) | ((k << (23u - top)) & 0x7fffffu);
}`;

const shaders = {
  0: elementwiseShader(
    'scratchgpt-round-f16',
    ['x'],
    ['y'],
    [],
    'y[i] = roundF16(x[i]);',
    'u32',
    roundF16WGSL,
  ),
  1: elementwiseShader(
    'scratchgpt-round-bf16',
    ['x'],
    ['y'],
    [],
    'y[i] = roundBf16(x[i]);',
    'u32',
    roundBf16WGSL,
  ),
} as const;

/** Input x (float32), attribute `format` (0: half, 1: bfloat16) → x rounded, float32. */
function webgpuRoundKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  if (x.dtype !== 'float32') throw new Error(`ScratchGPTRoundToPrecision: x must be float32, got ${x.dtype}`);
  const { format } = attrs as unknown as { format: RoundingFormatCode };
  return runElementwise(backend, shaders[format], [x], 1)[0] as tf.TensorInfo;
}

export const roundToPrecisionConfig: KernelPatch = {
  kernelName: fusedKernelNames.roundToPrecision,
  backendName: 'webgpu',
  kernelFunc: webgpuRoundKernel,
};
