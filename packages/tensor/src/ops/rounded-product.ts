/**
 * A product under 16-bit autocast as one op: operands rounded to f16 or bf16, multiplied in float32,
 * the result rounded, and the gradients crossing each rounding rounded too. Its values and gradients
 * are bit for bit those of the same roundings composed around the product; what differs is what the
 * backward pass keeps. Composed, each product keeps float32 copies of its rounded operands: for a
 * weight, a copy of the whole weight per step. Here an operand held by a variable (a weight) is kept by
 * reference and rounded again when its partner's gradient is taken, and any other operand (an
 * activation) is kept in 16 bits (`narrowToHalf`), which holds its rounded values exactly, and widened
 * when needed. A backend without a narrowing kernel keeps the rounded float32 copy instead.
 */

import { HalfTensor } from '../half/half-tensor.js';
import { narrowsOnDevice, narrowToHalf } from '../half/narrow-half.js';
import { widenHalf } from '../half/widen-half.js';
import { tf } from '../tf.js';
import { withLazyGradients } from './lazy-gradient.js';
import { type RoundingFormat, roundToPrecision } from './round-precision.js';
import { storedInVariable } from './variable-storage.js';

/** The product the op wraps: its forward on rounded operands, and each operand's gradient. */
export interface ProductRule {
  forward(a: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** The gradient of a, given dy and b. */
  gradientA(dy: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** The gradient of b, given dy and a. */
  gradientB(dy: tf.Tensor, a: tf.Tensor): tf.Tensor;
}

interface RecordingState {
  state: { gradientDepth: number; kernelDepth: number };
}

/** Whether an op run now is recorded for a gradient (TF.js's tape is off inside another op). */
function recordingHere(): boolean {
  const { gradientDepth, kernelDepth } = (tf.engine() as unknown as RecordingState).state;
  return gradientDepth > 0 && kernelDepth === 0;
}

/** How an operand is kept for the backward pass. */
type Kept = 'variable' | 'narrowed' | 'rounded';

function keep(x: tf.Tensor, rounded: tf.Tensor, format: RoundingFormat): { kept: Kept; tensor: tf.Tensor } {
  if (storedInVariable(x)) return { kept: 'variable', tensor: x };
  if (narrowsOnDevice()) return { kept: 'narrowed', tensor: narrowToHalf(rounded, format).words };
  return { kept: 'rounded', tensor: rounded };
}

/** op(a) · op(b) in `format`, as the rule computes it, keeping its operands as said above. */
export function roundedProduct(
  a: tf.Tensor,
  b: tf.Tensor,
  format: RoundingFormat,
  rule: ProductRule,
): tf.Tensor {
  const round = (x: tf.Tensor) => roundToPrecision(x, format);
  // Nothing to keep where no gradient records: inference, and products inside another op's forward
  // (a 16-bit weight's product widens it and multiplies here).
  if (!recordingHere()) return tf.tidy(() => round(rule.forward(round(a), round(b))));
  let keptA: Kept = 'rounded';
  let keptB: Kept = 'rounded';
  return withLazyGradients(
    { a, b },
    (save) => {
      const roundedA = round(a);
      const roundedB = round(b);
      const forA = keep(a, roundedA, format);
      const forB = keep(b, roundedB, format);
      keptA = forA.kept;
      keptB = forB.kept;
      save([forA.tensor, forB.tensor]);
      return round(rule.forward(roundedA, roundedB));
    },
    (dy, saved) => {
      const [savedA, savedB] = saved as [tf.Tensor, tf.Tensor];
      const restore = (kept: Kept, tensor: tf.Tensor, shape: number[]): tf.Tensor => {
        if (kept === 'variable') return round(tensor);
        if (kept === 'rounded') return tensor;
        return widenHalf(new HalfTensor(tensor, shape, format));
      };
      // dy rounded once for both gradients: the backward pass runs this in a scope of its own per op.
      const roundedDy = round(dy);
      // Each gradient restores its operand itself, inside the scope TF.js gives it, so it does not
      // outlive that gradient.
      return {
        a: () => round(rule.gradientA(roundedDy, restore(keptB, savedB, b.shape))),
        b: () => round(rule.gradientB(roundedDy, restore(keptA, savedA, a.shape))),
      };
    },
  );
}
