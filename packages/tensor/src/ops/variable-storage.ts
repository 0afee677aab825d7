/** Whether a tensor's storage belongs to a variable (the variable itself, or a view of it). */
import { tf } from '../tf.js';

interface EngineWithVariables {
  state: { registeredVariables: Record<string, tf.Variable> };
}

/**
 * True when `x` shares its data with a registered variable: a weight, which outlives any step, so
 * keeping a reference to it for a backward pass costs nothing.
 */
export function storedInVariable(x: tf.Tensor): boolean {
  const variables = (tf.engine() as unknown as EngineWithVariables).state.registeredVariables;
  return Object.values(variables).some((variable) => variable.dataId === x.dataId);
}
