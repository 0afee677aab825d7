import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs and the loss falls', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged.map((line) => line.replace(/[\d.]+$/, 'N'))).toEqual([
    'step 0: loss N',
    'step 20: loss N',
    'step 40: loss N',
    'step 59: loss N',
  ]);
  const losses = logged.map((line) => Number(line.split('loss ')[1]));
  expect(losses[0]).toBeGreaterThan(0.5);
  expect(losses[3]).toBeLessThan(0.05);
});
