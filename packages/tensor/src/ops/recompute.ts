/**
 * Activation recomputation (PyTorch's `torch.utils.checkpoint`): runs a function without keeping what
 * it computes on the way, and runs it again in the backward pass to differentiate it. Memory then
 * holds the function's inputs instead of all its intermediate tensors; the price is a second forward.
 *
 * The backward pass records the function anew and differentiates that record with the upstream
 * gradient, so it runs the very kernels, in the very order, that differentiating the first forward
 * would have run: the gradients are the same bits.
 */
import type { Generator, GeneratorState } from '../random.js';
import { tf } from '../tf.js';
import { valueAndGradients } from './gradients.js';

/** Whether a model keeps every block's activations for the backward pass, or recomputes them. */
export type RecomputeMode = 'none' | 'blocks';

export const recomputeModes: readonly RecomputeMode[] = ['none', 'blocks'];

export interface RecomputeOptions {
  /**
   * The trainable variables the function reads. TF.js learns which variables a loss reads from the
   * operations it records, and the first forward records none, so their gradients flow only through
   * this list (a variable missing here gets no gradient from the function; one listed that the
   * function does not read gets zeros).
   */
  variables?: readonly tf.Variable[];
  /**
   * The generators the function draws from (dropout): rewound before the second forward so it draws
   * the same numbers, and set back afterwards so the stream goes on as if it had run once.
   */
  generators?: readonly Generator[];
}

type Engine = ReturnType<typeof tf.engine> & { state: { activeTape: unknown } };

/**
 * `fn(...inputs)`, whose intermediate tensors are freed as soon as it returns and computed again when
 * the gradient is taken. `fn` must compute the same thing twice: tensors it closes over must outlive the
 * backward pass, and its random draws come from `generators`.
 */
export function recompute(
  fn: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: readonly tf.Tensor[],
  options: RecomputeOptions = {},
): tf.Tensor {
  const variables = options.variables ?? [];
  const generators = options.generators ?? [];
  const count = inputs.length;
  const op = tf.customGrad((...args) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const given = args.slice(0, count) as tf.Tensor[];
    const before = generators.map((generator) => generator.getState());
    save(given);
    const value = fn(...given);
    const after = generators.map((generator) => generator.getState());
    return {
      value,
      gradFunc: (dy, saved) =>
        tf.tidy(() => {
          const xs = [...saved, ...variables];
          const grads = rerun(() => fn(...saved), generators, before, after, xs, dy);
          return grads.map((grad, i) => grad ?? tf.zerosLike(xs[i] as tf.Tensor));
        }),
    };
  }) as (...tensors: tf.Tensor[]) => tf.Tensor;
  return op(...inputs, ...variables);
}

/**
 * Records `forward` again from the generators' states `before`, and differentiates it with `dy`;
 * undefined where an x does not reach the output. Checks that it drew as many numbers as the first
 * time (ended at `after`), then puts the generators back where the caller's stream is now.
 */
function rerun(
  forward: () => tf.Tensor,
  generators: readonly Generator[],
  before: readonly GeneratorState[],
  after: readonly GeneratorState[],
  xs: tf.Tensor[],
  dy: tf.Tensor,
): Array<tf.Tensor | undefined> {
  const engine = tf.engine() as Engine;
  const now = generators.map((generator) => generator.getState());
  // The enclosing gradient is walking its own record; a gradient taken inside its backward pass starts
  // a record of its own and, when done, drops the one it finds active: keep the enclosing one aside.
  const enclosing = engine.state.activeTape;
  try {
    setStates(generators, before);
    const { value, grads } = valueAndGradients(forward, xs, dy);
    value.dispose();
    if (generators.some((generator, i) => generator.getState().join() !== after[i]?.join())) {
      throw new Error(
        'recompute: the function drew different random numbers the second time: give every generator it draws from in `generators`',
      );
    }
    return grads as Array<tf.Tensor | undefined>;
  } finally {
    engine.state.activeTape = enclosing;
    setStates(generators, now);
  }
}

function setStates(generators: readonly Generator[], states: readonly GeneratorState[]): void {
  for (const [i, generator] of generators.entries()) generator.setState(states[i] as GeneratorState);
}
