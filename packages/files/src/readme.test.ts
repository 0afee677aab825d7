import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));

it('the README example runs and prints what the README says', async () => {
  const logged = await runReadmeExample(readme);
  const promised = /It prints:\n\n```\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'))?.[1];
  expect(logged).toEqual(promised?.trimEnd().split('\n'));
});
