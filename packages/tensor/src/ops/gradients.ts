/**
 * Reverse-mode differentiation that frees as it goes. TF.js's own backward pass (`tf.grads`,
 * `tf.variableGrads`) keeps the gradient of every intermediate tensor, and every tensor saved for the
 * backward pass, until the pass ends: a training step then peaks at the activations plus a gradient
 * for each of them (several times the activations for attention's T × T matrices). This one walks the
 * same record in the same order with the same kernels, so its gradients are the same bits, but drops
 * a tensor's gradient once the operation that produced the tensor has passed it on, and the tensors
 * an operation saved once its gradient is taken.
 */
import { tf } from '../tf.js';

/** One recorded operation, as TF.js's engine keeps it while a gradient records. */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

interface RecordingEngine {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: Array<tf.Tensor | undefined> };
}

export interface ValueAndGradients {
  value: tf.Tensor;
  /** d value / d x for each x, in order; undefined where x does not reach the value. */
  grads: Array<tf.Tensor | undefined>;
}

/**
 * `f()` and its gradients with respect to `xs` (weighted by `dy`, ones by default), as TF.js's
 * `engine.gradients` computes them, with the backward pass holding only the gradients still to be
 * passed on. Inside another recording (a gradient of a gradient) it defers to TF.js, which keeps
 * what the outer recording may need.
 */
export function valueAndGradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor): ValueAndGradients {
  const engine = tf.engine() as unknown as RecordingEngine;
  if (engine.state.gradientDepth > 0) return engine.gradients(f, xs, dy, true);
  engine.startTape();
  const tape = engine.state.activeTape ?? [];
  try {
    let value: tf.Tensor;
    try {
      value = tf.tidy(f);
    } finally {
      engine.endTape();
    }
    if (!(value instanceof tf.Tensor)) throw new TypeError('valueAndGradients: f must return a tensor');
    const y = value;
    try {
      return { value, grads: tf.tidy(() => backward(nodesBetween(tape, xs, y), y, xs, dy)) };
    } catch (error) {
      y.dispose();
      throw error;
    }
  } finally {
    // Whatever happened, nothing the record saved outlives it.
    for (const node of tape) tf.dispose(node.saved ?? []);
    engine.state.activeTape = null;
  }
}

/** The recorded nodes on a path from some x to y, in record order, with inputs not from an x pruned. */
function nodesBetween(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const reachedFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      reachedFromX.add(node.id);
      for (const output of node.outputs) fromX.add(output.id);
    }
  }
  const leadsToY = new Set([y.id]);
  const reachesY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((output) => leadsToY.has(output.id))) {
      reachesY.add(node.id);
      for (const input of Object.values(node.inputs)) leadsToY.add(input.id);
    }
  }
  return tape
    .filter((node) => reachedFromX.has(node.id) && reachesY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
    }));
}

function backward(
  nodes: readonly TapeNode[],
  y: tf.Tensor,
  xs: readonly tf.Tensor[],
  dy: tf.Tensor | undefined,
): Array<tf.Tensor | undefined> {
  const wanted = new Set(xs.map((x) => x.id));
  const gradientOf = new Map<number, tf.Tensor>([[y.id, dy ?? tf.onesLike(y)]]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as TapeNode;
    const dys = node.outputs.map((output) => gradientOf.get(output.id) ?? null);
    const names = Object.keys(node.inputs);
    const dxs = tf.tidy(() => inputGradients(node, dys, names));
    const spent: tf.Tensor[] = [...(node.saved ?? [])];
    for (const [k, name] of names.entries()) {
      const x = node.inputs[name] as tf.Tensor;
      const dx = dxs[k] as tf.Tensor;
      const sum = gradientOf.get(x.id);
      if (sum == null) {
        gradientOf.set(x.id, dx);
      } else {
        gradientOf.set(x.id, tf.add(sum, dx));
        spent.push(sum, dx);
      }
    }
    // Every consumer of this node's outputs came later in the record, so their gradients are whole
    // and now passed on; what the node saved for its gradient is spent.
    for (const output of node.outputs) {
      const gradient = gradientOf.get(output.id);
      if (gradient == null || wanted.has(output.id)) continue;
      gradientOf.delete(output.id);
      spent.push(gradient);
    }
    // A gradient function may hand a tensor on unchanged (as an input's gradient, or to two inputs):
    // what is still held under some id stays.
    const held = new Set(gradientOf.values());
    for (const tensor of spent) if (tensor !== dy && !held.has(tensor)) tensor.dispose();
  }
  return xs.map((x) => gradientOf.get(x.id));
}

/** Node's gradients for the named inputs, checked as TF.js checks them. */
function inputGradients(node: TapeNode, dys: Array<tf.Tensor | null>, names: readonly string[]): tf.Tensor[] {
  if (node.gradient == null) {
    throw new Error(`Cannot compute gradient: no gradient function is registered for ${node.kernelName}`);
  }
  const gradients = node.gradient(dys);
  return names.map((name) => {
    const compute = gradients[name];
    if (compute == null) throw new Error(`${node.kernelName} gives no gradient for its input ${name}`);
    const dx = compute();
    const x = node.inputs[name] as tf.Tensor;
    if (dx.dtype !== 'float32') {
      throw new Error(
        `The gradient of ${node.kernelName}'s input ${name} is ${dx.dtype}; it must be float32`,
      );
    }
    if (!tf.util.arraysEqual(dx.shape, x.shape)) {
      throw new Error(
        `The gradient of ${node.kernelName}'s input ${name} has shape [${dx.shape}], its input [${x.shape}]`,
      );
    }
    return dx;
  });
}
