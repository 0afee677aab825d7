import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example.js';

it('the README example runs: LoRA changes no output, reloads exactly and merges', async () => {
  const logged = await runReadmeExample(fileURLToPath(new URL('../README.md', import.meta.url)));
  expect(logged).toEqual([
    // (8·2 + 2·16) + (16·2 + 2·2) of 8·16 + 16 + 16·2 + 2
    'LoRA on first, second: 84 of 262 parameters train',
    'output unchanged: true',
    expect.stringMatching(/^adapters reloaded: true; file \d+ bytes$/),
    'merged: true',
  ]);
});
