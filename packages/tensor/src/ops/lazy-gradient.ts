/**
 * An op whose gradient is one function per input, called only for the inputs a gradient is asked of.
 * `tf.customGrad` computes every input's gradient at once: for a product with a frozen weight (a base
 * under LoRA) that is a whole weight-sized product per step, computed and thrown away. This goes
 * through TF.js's engine entry point behind `customGrad` (private in its types), as TF.js's own
 * kernels' gradients do.
 */
import { tf } from '../tf.js';

interface EngineWithKernelFunc {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor;
}

/**
 * Runs `forward` on `inputs` (it may `save` tensors for the backward pass, kept only while a gradient
 * records); `gradients(dy, saved)` maps each input's name to the function giving its gradient.
 */
export function withLazyGradients<Name extends string>(
  inputs: Record<Name, tf.Tensor>,
  forward: (save: tf.GradSaveFunc) => tf.Tensor,
  gradients: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<Name, () => tf.Tensor>,
): tf.Tensor {
  return (tf.engine() as unknown as EngineWithKernelFunc).runKernelFunc({
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: gradients,
    inputs,
  });
}
