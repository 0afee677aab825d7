import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-harness.js';

let out: string;
beforeAll(async () => {
  assertBuilt();
  out = await mkdtemp(join(tmpdir(), 'scratchgpt-demo-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

// A time limit that runs out while the text is tokenized and the model built (6 ms here) must still
// stop the run at its first step, not leave it training for a thousand epochs.
it('demo stops at step 1 when its time ran out before training began, then saves and generates', async () => {
  const result = await runCli([
    'demo',
    '--minutes',
    '0.0001',
    '--config',
    'gpt-nano',
    '--out',
    join(out, 'run'),
  ]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain(`stopped at step 1; checkpoint in ${join(out, 'run')}`);
  expect(result.stdout.startsWith('Every effort moves you')).toBe(true);
}, 120_000);
