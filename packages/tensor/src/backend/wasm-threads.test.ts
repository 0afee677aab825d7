import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';

describe('initBackend with wasmThreads', () => {
  it.each([0, -2, 1.5, Number.NaN])(
    'refuses %s threads with the fix, before any backend loads',
    async (threads) => {
      await expect(initBackend({ prefer: 'wasm', wasmThreads: threads })).rejects.toThrow(
        /^wasmThreads must be a whole number of threads, 1 or more \(got -?[\d.NaN]+\): pass navigator\.hardwareConcurrency/,
      );
      await expect(initBackend({ wasmThreads: threads })).rejects.toThrow(RangeError);
    },
  );

  it('under Node, where the threaded build cannot run, reports the one-thread pool it runs', async () => {
    const choice = await initBackend({ prefer: 'wasm', wasmThreads: 2 });
    expect(choice.backend).toBe('wasm');
    expect(choice.limits.details).toMatchObject({ simd: true, threads: false, threadCount: 1 });
  });
});
