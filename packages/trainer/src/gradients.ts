/** Gradients of a loss by a module's parameter names. */
import { type Module, tf, valueAndGradients } from '@scratchgpt/tensor';

export interface LossAndGradients {
  /** The loss value: read it with `await loss.data()`, then dispose it. */
  loss: tf.Scalar;
  /** d loss / d parameter by dotted name (`head.weight`), for every trainable parameter the loss uses. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Runs `lossFn` and differentiates it with respect to the module's trainable parameters: the same
 * numbers as `tf.variableGrads`, with a backward pass that frees each gradient once it is passed on.
 * A parameter the loss does not reach gets no entry (AdamW then skips it, as PyTorch skips a `None`
 * gradient). The caller disposes the loss and the gradients.
 */
export function computeGradients(model: Module, lossFn: () => tf.Scalar): LossAndGradients {
  const named = model.namedParameters().filter(([, variable]) => variable.trainable);
  if (named.length === 0) throw new Error('computeGradients: the model has no trainable parameters');
  const { value, grads } = valueAndGradients(
    lossFn,
    named.map(([, variable]) => variable),
  );
  if (value.rank !== 0) {
    tf.dispose([value, ...grads.filter((grad) => grad != null)]);
    throw new Error(`computeGradients: the loss must be a scalar, got shape [${value.shape}]`);
  }
  const byName = new Map<string, tf.Tensor>();
  for (const [i, [name]] of named.entries()) {
    const grad = grads[i];
    if (grad != null) byName.set(name, grad);
  }
  return { loss: value as tf.Scalar, grads: byName };
}
