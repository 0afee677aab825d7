/**
 * `--recompute blocks`: the same losses as keeping the activations (dropout on), recorded in the run,
 * kept when it resumes; a bad value is one line.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, ownStderr, runCli, tinyWorkspace } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
let work: string;
let configPath: string;

beforeAll(async () => {
  assertBuilt();
  ({ work, configPath } = await tinyWorkspace('scratchgpt-recompute-', { nLayers: 2, dropRate: 0.1 }));
});

function train(out: string, extra: string[]): string[] {
  return [
    'train',
    '--config',
    configPath,
    '--steps',
    '2',
    '--eval-every',
    '0',
    '--out',
    out,
    '--json',
    ...extra,
    ...backend,
  ];
}

const losses = (stdout: string) =>
  jsonLines(stdout)
    .filter((event) => event.event === 'step')
    .map((event) => event.loss);

describe('train --recompute', () => {
  it('takes the steps of a run that keeps its activations, records the mode and resumes with it', async () => {
    const kept = await runCli(train(join(work, 'kept'), []));
    expect(kept.code, kept.stderr).toBe(0);
    const dir = join(work, 'recomputed');
    const recomputed = await runCli(train(dir, ['--recompute', 'blocks']));
    expect(recomputed.code, recomputed.stderr).toBe(0);
    expect(losses(recomputed.stdout)).toHaveLength(2);
    expect(losses(recomputed.stdout)).toEqual(losses(kept.stdout));
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(manifest.run.recompute).toBe('blocks');
    expect(JSON.parse(await readFile(join(work, 'kept', 'checkpoint.json'), 'utf8')).run.recompute).toBe(
      'none',
    );

    const resumed = await runCli(['train', '--model', dir, '--steps', '3', '--json', ...backend]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout).filter((event) => event.event === 'step')).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')).run.recompute).toBe('blocks');

    const changed = await runCli([
      'train',
      '--model',
      dir,
      '--steps',
      '4',
      '--recompute',
      'none',
      ...backend,
    ]);
    expect(changed.code).toBe(2);
    expect(ownStderr(changed.stderr)).toEqual([
      `scratchgpt: train: --recompute none differs from the run in ${dir}, which was trained with --recompute blocks; a resumed run keeps it: leave --recompute out, or start a new run from its weights with --model ${join(dir, manifest.checkpoint.replace('000002', '000003'))} --out NEW_DIR`,
    ]);
  });

  it.each([['train'], ['instruct', 'train'], ['instruct', 'dpo'], ['classify', 'train']])(
    '%s refuses an unknown mode in one line',
    async (...command) => {
      const result = await runCli([...command, '--recompute', 'all', '--out', join(work, 'x'), ...backend]);
      expect(result.code).toBe(2);
      expect(ownStderr(result.stderr)).toEqual(["scratchgpt: --recompute must be none or blocks, got 'all'"]);
      expect(result.stdout).toBe('');
    },
  );
});
