import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs and prints what the README says', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged).toEqual([
    'inputs  0 1 2 3 4 5 6 50256 50256 50256 7 8 9 50256 50256',
    'targets 1 2 3 4 50256 6 50256 -100 -100 -100 8 9 50256 -100 -100',
    'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nRewrite the sentence using a simile.\n\n### Input:\nThe car is very fast.',
    'batch of 2 × 59 tokens, 29 targets learned',
  ]);
});
