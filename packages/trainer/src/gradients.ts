/** Gradients of a loss by a module's parameter names. */
import { type Module, tf } from '@scratchgpt/tensor';

export interface LossAndGradients {
  /** The loss value: read it with `await loss.data()`, then dispose it. */
  loss: tf.Scalar;
  /** d loss / d parameter by dotted name (`head.weight`), for every trainable parameter the loss uses. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Runs `lossFn` and differentiates it with respect to the module's trainable parameters.
 * A parameter the loss does not reach gets no entry (AdamW then skips it, as PyTorch skips a `None`
 * gradient). The caller disposes the loss and the gradients.
 */
export function computeGradients(model: Module, lossFn: () => tf.Scalar): LossAndGradients {
  const named = model.namedParameters().filter(([, variable]) => variable.trainable);
  if (named.length === 0) throw new Error('computeGradients: the model has no trainable parameters');
  const { value, grads } = tf.variableGrads(
    lossFn,
    named.map(([, variable]) => variable),
  );
  const byName = new Map<string, tf.Tensor>();
  // tf.variableGrads keys by TF.js's unique variable names; map them back to the module's names.
  for (const [name, variable] of named) {
    const grad = grads[variable.name];
    if (grad != null) byName.set(name, grad);
  }
  return { loss: value, grads: byName };
}
