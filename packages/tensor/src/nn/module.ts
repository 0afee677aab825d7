/**
 * A PyTorch-style module: named parameters and children, train/eval mode, state dicts.
 *
 * Children and parameters are registered explicitly and keep their registration order, which is the
 * order of `namedParameters()` and of the state dict (as in PyTorch).
 */
import { tf } from '../tf.js';

/** Tensors by dotted name. The caller owns the tensors of a state dict it receives. */
export type StateDict = Map<string, tf.Tensor>;

/** A float32 tensor held on the host, e.g. read from a checkpoint or back from the device. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** What `loadStateDict` takes: device tensors, host tensors, or a mix. */
export type StateEntries = Map<string, tf.Tensor | HostTensor> | Record<string, tf.Tensor | HostTensor>;

export function isHostTensor(value: tf.Tensor | HostTensor): value is HostTensor {
  return !(value instanceof tf.Tensor);
}

export interface LoadStateDictOptions {
  /** Every parameter present and no unknown names (default true). */
  strict?: boolean;
}

export class StateDictError extends Error {
  override name = 'StateDictError';
}

export abstract class Module {
  training = true;
  readonly #parameters = new Map<string, tf.Variable>();
  readonly #children = new Map<string, Module>();

  protected registerParameter(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    this.assertFreeName(name);
    const variable = tf.variable(
      initial.dtype === 'float32' ? initial : tf.cast(initial, 'float32'),
      trainable,
    );
    initial.dispose();
    this.#parameters.set(name, variable);
    return variable;
  }

  /** Removes the parameter `name` and returns it undisposed (e.g. to keep its values another way). */
  protected unregisterParameter(name: string): tf.Variable {
    const variable = this.#parameters.get(name);
    if (variable == null) throw new Error(`No parameter is registered as '${name}'`);
    this.#parameters.delete(name);
    return variable;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.assertFreeName(name);
    this.#children.set(name, module);
    return module;
  }

  /** Removes a child registered as `name` and returns it (still alive: the caller disposes it). */
  protected unregisterModule(name: string): Module {
    const child = this.#children.get(name);
    if (child == null) throw new Error(`No module is registered as '${name}'`);
    this.#children.delete(name);
    return child;
  }

  private assertFreeName(name: string): void {
    if (name === '' || name.includes('.')) throw new Error(`Invalid parameter or module name '${name}'`);
    if (this.#parameters.has(name) || this.#children.has(name))
      throw new Error(`'${name}' is registered twice`);
  }

  /** Parameters with their dotted names, depth first in registration order. */
  namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [name, variable] of this.#parameters) out.push([prefix + name, variable]);
    for (const [name, child] of this.#children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, variable]) => variable);
  }

  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.#children) out.push(...child.namedModules(`${prefix}${name}.`));
    return out;
  }

  /** Total number of parameter elements; with `trainable: true`, of those that train only. */
  numParameters(options: { trainable?: boolean } = {}): number {
    return this.parameters().reduce(
      (total, variable) => total + (options.trainable && !variable.trainable ? 0 : variable.size),
      0,
    );
  }

  /**
   * Whether every parameter of this module and its children trains (PyTorch's `requires_grad_`): a
   * frozen parameter gets no gradient and the optimizer leaves it alone. Parameters start trainable.
   */
  setTrainable(trainable: boolean): this {
    for (const variable of this.parameters()) variable.trainable = trainable;
    return this;
  }

  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * A snapshot of every parameter by dotted name. The tensors are new handles the caller must
   * dispose (cloning shares memory, so this is cheap).
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = new Map();
    for (const [name, tensor] of this.ownState()) out.set(prefix + name, tensor);
    for (const [name, child] of this.#children) {
      for (const [key, tensor] of child.stateDict(`${prefix}${name}.`)) out.set(key, tensor);
    }
    return out;
  }

  /**
   * Every parameter read back to the host, by dotted name (asynchronously, as WebGPU requires). Sharded
   * parameters come back whole without ever being one tensor on the device.
   */
  async hostStateDict(prefix = ''): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for await (const [key, tensor] of this.hostStateEntries(prefix)) out.set(key, tensor);
    return out;
  }

  /**
   * {@link hostStateDict} one module at a time, in the same order: a module's tensors are read back
   * only when the caller asks for the next entry, so a writer holds one module's weights, not all.
   */
  async *hostStateEntries(prefix = ''): AsyncGenerator<[string, HostTensor]> {
    for (const [name, tensor] of await this.ownHostState()) yield [prefix + name, tensor];
    for (const [name, child] of this.#children) yield* child.hostStateEntries(`${prefix}${name}.`);
  }

  /** Each entry of the state dict with its shape, in the state dict's order, without reading any data. */
  stateShapes(prefix = ''): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [name, shape] of this.ownStateShapes()) out.set(prefix + name, shape);
    for (const [name, child] of this.#children) {
      for (const [key, shape] of child.stateShapes(`${prefix}${name}.`)) out.set(key, shape);
    }
    return out;
  }

  /** Copies values into the parameters. The given tensors stay the caller's. */
  loadStateDict(entries: StateEntries, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const given = entries instanceof Map ? entries : new Map(Object.entries(entries));
    const used = new Set<string>();
    this.loadInto(given, '', used, strict);
    if (strict) refuseUnknown(given.keys(), used);
  }

  /**
   * What a strict {@link loadStateDict} would refuse, from names and shapes alone (the same errors), so
   * a reader can check a file's header before it reads any weight.
   */
  checkStateShapes(given: ReadonlyMap<string, readonly number[]>): void {
    const expected = this.stateShapes();
    for (const [name, shape] of expected) {
      const found = given.get(name);
      if (found === undefined) throw new StateDictError(`Missing tensor '${name}' in state dict`);
      assertShape(name, found, shape);
    }
    refuseUnknown(given.keys(), expected);
  }

  private loadInto(
    given: Map<string, tf.Tensor | HostTensor>,
    prefix: string,
    used: Set<string>,
    strict: boolean,
  ): void {
    const own = new Map<string, tf.Tensor | HostTensor>();
    for (const name of this.ownStateNames()) {
      const key = prefix + name;
      const tensor = given.get(key);
      if (tensor == null) {
        if (strict) throw new StateDictError(`Missing tensor '${key}' in state dict`);
        continue;
      }
      used.add(key);
      own.set(name, tensor);
    }
    this.loadOwnState(own, prefix);
    for (const [name, child] of this.#children) child.loadInto(given, `${prefix}${name}.`, used, strict);
  }

  /** Names this module contributes to its state dict (its parameters, unless overridden). */
  protected ownStateNames(): string[] {
    return [...this.#parameters.keys()];
  }

  /** This module's entries of the state dict; subclasses that store tensors differently override. */
  protected ownState(): StateDict {
    const out: StateDict = new Map();
    for (const [name, variable] of this.#parameters) out.set(name, tf.clone(variable));
    return out;
  }

  protected ownStateShapes(): Map<string, number[]> {
    return new Map([...this.#parameters].map(([name, variable]) => [name, [...variable.shape]]));
  }

  protected async ownHostState(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, variable] of this.#parameters) {
      out.set(name, { shape: variable.shape, data: (await variable.data()) as Float32Array });
    }
    return out;
  }

  protected loadOwnState(entries: Map<string, tf.Tensor | HostTensor>, prefix: string): void {
    for (const [name, tensor] of entries) {
      const variable = this.#parameters.get(name);
      if (variable == null) continue;
      assertShape(prefix + name, tensor.shape, variable.shape);
      tf.tidy(() => {
        const value = isHostTensor(tensor) ? tf.tensor(tensor.data, tensor.shape, 'float32') : tensor;
        variable.assign(value.dtype === 'float32' ? value : tf.cast(value, 'float32'));
      });
    }
  }

  /** Frees every parameter of this module and, through their own `dispose`, of its children. */
  dispose(): void {
    for (const variable of this.#parameters.values()) variable.dispose();
    for (const child of this.#children.values()) child.dispose();
  }
}

function refuseUnknown(names: Iterable<string>, known: { has(name: string): boolean }): void {
  const unknown = [...names].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new StateDictError(`Unexpected tensor(s) in state dict: ${unknown.join(', ')}`);
  }
}

export function assertShape(name: string, found: readonly number[], expected: readonly number[]): void {
  const same = found.length === expected.length && found.every((size, i) => size === expected[i]);
  if (!same) {
    throw new StateDictError(
      `Tensor '${name}' has shape [${found.join(', ')}] but the model expects [${expected.join(', ')}]`,
    );
  }
}
