import type { BackendName } from '@scratchgpt/tensor';

/** The traps a WebAssembly heap gives when an allocation runs past its 4 GiB, instead of an error. */
const HEAP_EXHAUSTED = /memory access out of bounds|Aborted\(\)|out of memory|Maximum memory size exceeded/i;

/**
 * wasm and blas keep every tensor on wasm's heap (blas only sends the products to the machine's BLAS),
 * which stops at 4 GiB. Running past it surfaces as a trap, so the trap is named here with the ways
 * out; on other backends, or for other messages, undefined.
 */
export function heapExhaustedLine(backend: BackendName | undefined, message: string): string | undefined {
  if ((backend !== 'wasm' && backend !== 'blas') || !HEAP_EXHAUSTED.test(message)) return undefined;
  return (
    `the ${backend} backend ran out of memory (its tensors live on wasm's heap, which holds at most 4 GiB): ` +
    'use a smaller model, batch size or context, or --backend webgpu'
  );
}
