import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs and prints what it promises', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged).toEqual(['0.4419 0.6515 0.5683', '2,6,2 2,2,6,6']);
});
