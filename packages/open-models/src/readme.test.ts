import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs: a count, logits and the same tokens with and without the cache', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged).toEqual([
    'Qwen3-0.6B: 596,049,920 parameters',
    'logits 1 × 3 × 100',
    'the KV cache changes no token: true',
  ]);
});
