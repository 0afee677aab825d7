import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs and prints what it promises', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged[0]).toMatch(/^running on (blas|wasm|webgpu|node-gpu|cpu): /);
  expect(logged.at(-1)).toBe('2');
});
