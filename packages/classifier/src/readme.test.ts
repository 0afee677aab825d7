import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs: it trains, evaluates and classifies', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged[0]).toMatch(/^classes ham, spam; \d+ training batches of \[4, \d+\]$/);
  expect(logged[1]).toMatch(/^trained \d+ steps$/);
  const accuracy = Number(/test accuracy ([\d.]+)%/.exec(logged[2] ?? '')?.[1]);
  expect(accuracy).toBeGreaterThanOrEqual(90);
  expect(logged[3]).toBe('"Claim your free prize now" is spam');
}, 300_000);

it('the README example of an open family runs: a class head on a small Qwen3', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)), 1);
  expect(logged).toEqual(['23314 of 60882 parameters train']);
});
