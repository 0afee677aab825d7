import { describe, expect, it } from 'vitest';
import { heapExhaustedLine } from './out-of-memory.js';

describe('heapExhaustedLine', () => {
  it('names the 4 GiB heap on the backends that compute on it', () => {
    for (const backend of ['wasm', 'blas'] as const) {
      const line = heapExhaustedLine(backend, 'RuntimeError: memory access out of bounds');
      expect(line).toContain(`the ${backend} backend ran out of memory`);
      expect(line).toContain('4 GiB');
      expect(line).toContain('--backend webgpu');
    }
    expect(heapExhaustedLine('wasm', 'Aborted(). Build with -sASSERTIONS for more info.')).toBeDefined();
    expect(
      heapExhaustedLine('blas', 'WebAssembly.Memory.grow(): Maximum memory size exceeded'),
    ).toBeDefined();
  });

  it('leaves other backends and other errors to the generic line', () => {
    expect(heapExhaustedLine('cpu', 'memory access out of bounds')).toBeUndefined();
    expect(heapExhaustedLine('webgpu', 'out of memory')).toBeUndefined();
    expect(heapExhaustedLine(undefined, 'memory access out of bounds')).toBeUndefined();
    expect(heapExhaustedLine('wasm', 'Cannot read properties of undefined')).toBeUndefined();
  });
});
