import { tf } from '../tf.js';

/** wasm32 addresses 4 GiB: TF.js's wasm heap can grow to that and no further. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * How many bytes of tensors the current backend can hold at once, where it has a hard ceiling that
 * is not the machine's memory: the wasm heap. `null` where no such ceiling is known ahead (cpu and
 * node-gpu use the process's memory; a WebGPU device reports per-buffer limits, not a total).
 *
 * Callers use it to plan, e.g. keeping optimizer state on the host when it would crowd the heap, or
 * refusing a model that cannot fit before allocating any of it.
 */
export function memoryBudgetBytes(): number | null {
  return tf.getBackend() === 'wasm' ? WASM_HEAP_BYTES : null;
}
