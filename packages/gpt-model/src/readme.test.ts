import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs and prints what it promises', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged).toEqual(['163009536 621.83', '1,4,50257', '6']);
});
