import { Module } from './module.js';

/**
 * An ordered list of modules registered as `0`, `1`, …, like PyTorch's `nn.ModuleList`/`nn.Sequential`,
 * so state-dict names read `trf_blocks.3.att.W_query.weight`.
 */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  readonly #items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const module of modules) this.append(module);
  }

  append(module: M): this {
    this.registerModule(String(this.#items.length), module);
    this.#items.push(module);
    return this;
  }

  get length(): number {
    return this.#items.length;
  }

  at(index: number): M {
    const item = this.#items.at(index);
    if (item == null)
      throw new RangeError(`ModuleList index ${index} is out of range (length ${this.length})`);
    return item;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }
}
