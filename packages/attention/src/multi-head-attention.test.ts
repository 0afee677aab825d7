import { fusedAttentionAvailable, Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { KVCache } from './kv-cache.js';
import { MultiHeadAttention } from './multi-head-attention.js';

const backends = await findTestBackends();
const fusedKernel = 'ScratchGPTCausalAttention';

async function kernelsOf(run: () => tf.Tensor): Promise<Set<string>> {
  const profile = await tf.profile(() => {
    run().dispose();
  });
  return new Set(profile.kernels.map((kernel) => kernel.name));
}

describe.each(backends)('MultiHeadAttention on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'forward runs the fused kernel where the backend has it; with weights or a cache, never; one context',
    async () => {
      await initBackend({ prefer: backend });
      const attention = new MultiHeadAttention({
        dIn: 16,
        dOut: 16,
        contextLength: 8,
        dropout: 0.1,
        numHeads: 4,
        generator: new Generator(0),
      }).eval();
      const x = tf.randomNormal([2, 8, 16], 0, 1, 'float32', 1);

      const forward = await kernelsOf(() => attention.forward(x));
      expect(forward.has(fusedKernel)).toBe(fusedAttentionAvailable());
      expect(forward.has('Softmax')).toBe(!fusedAttentionAvailable());
      expect((await kernelsOf(() => attention.forwardWithWeights(x).context)).has(fusedKernel)).toBe(false);
      const cache = new KVCache(1);
      const cached = await kernelsOf(() => attention.forward(x, { cache: cache.layer(0) }));
      expect(cached.has(fusedKernel)).toBe(false);
      cache.dispose();

      const fused = await attention.forward(x).data();
      const { context, weights } = attention.forwardWithWeights(x);
      expect(weights.shape).toEqual([2, 4, 8, 8]);
      expect(maxAbsDiff(fused, await context.data())).toBeLessThan(1e-5);
      tf.dispose([x, context, weights]);
      attention.dispose();
    },
  );
});
