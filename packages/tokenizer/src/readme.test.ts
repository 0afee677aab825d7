import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const promised = [...readFileSync(readme, 'utf8').matchAll(/It prints:\n\n```\n([\s\S]*?)```/g)].map(
  (match) => match[1]?.trimEnd().split('\n'),
);

it('the README example runs and prints what the README says', async () => {
  expect(await runReadmeExample(readme)).toEqual(promised[0]);
});

it('the README’s Hugging Face example runs and prints what the README says', async () => {
  expect(await runReadmeExample(readme, 1)).toEqual(promised[1]);
});
