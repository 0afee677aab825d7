import { tf } from '../tf.js';

/**
 * Runs `compute` as PyTorch's `torch.no_grad()` would: inside a gradient (`tf.grad`,
 * `tf.variableGrads`) none of its operations is recorded, so nothing it computes is kept for the
 * backward pass, and its result is a constant there (no gradient flows into it).
 *
 * TF.js stops recording while a custom-gradient op runs its forward function; this is such an op with
 * no inputs, so its backward pass is never visited.
 */
export function withoutGradient<T extends tf.Tensor>(compute: () => T): T {
  const constant = tf.customGrad(() => {
    const value = compute();
    if (!(value instanceof tf.Tensor)) {
      throw new TypeError('withoutGradient: the function must return one tensor');
    }
    return { value, gradFunc: () => [] };
  }) as unknown as () => T;
  return constant();
}
