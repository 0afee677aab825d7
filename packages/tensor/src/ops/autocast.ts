/**
 * Mixed precision as PyTorch's autocast: while `autocast('f16', …)` runs, every matrix product in model
 * code ({@link matMul}, causal attention) rounds its operands to half precision before the product and
 * its result after it, and the gradients crossing those roundings are rounded too; everything else
 * (norms, softmax, the loss, the optimizer and its master weights) stays float32.
 *
 * Tensors stay float32 (TF.js has no 16-bit dtype), but what a product or fused attention keeps for
 * the backward pass is 16 bits: an activation operand packed (`narrowToHalf`, exact, since it holds
 * rounded values) and a weight by reference, rounded again when needed (`rounded-product.ts`).
 * On WebGPU with `shader-f16`, 'f16' also has the product kernels read their operands as halves (the
 * operands are halves already, so nothing more is lost), with float32 accumulation.
 *
 * A context rather than a model option: the products live in `Linear`, attention and the heads of
 * every model family, and a training step is one synchronous call (forward and backward) that can be
 * wrapped whole, so no model needs to know which precision it trains in.
 */
import { featureSwitch, setFeatureSwitch } from '../kernels/webgpu/features.js';
import type { tf } from '../tf.js';
import { type RoundingFormat, roundToPrecision } from './round-precision.js';

/** 'f32': no rounding; 'f16' / 'bf16': products computed from, and giving, 16-bit values. */
export type AutocastPrecision = 'f32' | RoundingFormat;

export const autocastPrecisions: readonly AutocastPrecision[] = ['f32', 'f16', 'bf16'];

let active: AutocastPrecision = 'f32';
let depth = 0;
/** The WebGPU switch outside every autocast: what the backend was started with. */
let startedWithF16 = false;

/** The precision products run in now. */
export function autocastPrecision(): AutocastPrecision {
  return active;
}

/**
 * Runs `compute` with products in `precision`, then restores the previous one (also when it throws).
 * `compute` must be synchronous: wrap a whole forward and backward pass (`tf.variableGrads`), whose
 * gradient products then run in the same precision.
 */
export function autocast<T>(precision: AutocastPrecision, compute: () => T): T {
  const previous = active;
  const previousF16 = featureSwitch().f16;
  if (depth === 0) startedWithF16 = previousF16;
  depth++;
  active = precision;
  // Only 'f16' turns half-staged products on (bfloat16's range is float32's, not a half's); the other
  // precisions have the switch as the backend was started with (SCRATCHGPT_WEBGPU_F16).
  setFeatureSwitch({ f16: precision === 'f16' || startedWithF16 });
  try {
    const result = compute();
    if (result instanceof Promise) {
      throw new TypeError('autocast needs a synchronous function: wrap the forward and backward pass');
    }
    return result;
  } finally {
    depth--;
    active = previous;
    setFeatureSwitch({ f16: previousF16 });
  }
}

/** x rounded to the active precision (x itself under 'f32'). */
export function autocastOperand<T extends tf.Tensor>(x: T): T {
  return active === 'f32' || x.dtype !== 'float32' ? x : roundToPrecision(x, active);
}
