/**
 * Damaged and hostile inputs reach the user as one line that names the problem, never as an
 * "unexpected error", a stack trace, a NaN result or a hang.
 */
import { cpSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tinyConfig, tinyWorkspace } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
let work: string;
let runDir: string;

const lines = (stderr: string) => stderr.split('\n').filter((line) => line !== '');

/** A copy of the trained run to damage. */
function copyOfRun(name: string): string {
  const dir = join(work, name);
  cpSync(runDir, dir, { recursive: true });
  return dir;
}

/** Rewrites a safetensors file: its tensors and metadata through `edit`. */
async function editSafetensors(
  path: string,
  edit: (
    tensors: Map<string, { shape: number[]; data: Float32Array }>,
    metadata: Record<string, string>,
  ) => void,
): Promise<void> {
  const file = parseSafetensors(new Uint8Array(await readFile(path)));
  const tensors = new Map(
    [...file.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }]),
  );
  const metadata = { ...file.metadata };
  edit(tensors, metadata);
  await writeFile(path, serializeSafetensors(tensors, metadata));
}

/** Rewrites the training state of a run's current checkpoint through `edit`. */
async function editTrainingState(dir: string, edit: (state: Record<string, unknown>) => void): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
  await editSafetensors(
    join(dir, manifest.checkpoint, 'training-state.safetensors'),
    (_tensors, metadata) => {
      const state = JSON.parse(metadata.state!);
      edit(state);
      metadata.state = JSON.stringify(state);
    },
  );
}

beforeAll(async () => {
  assertBuilt();
  const workspace = await tinyWorkspace('scratchgpt-hostile-', { dropRate: 0.1 });
  work = workspace.work;
  const config = workspace.configPath;
  runDir = join(work, 'run');
  const trained = await runCli(['train', '--config', config, '--steps', '2', '--out', runDir, ...backend]);
  expect(trained.code, trained.stderr).toBe(0);
});

/** Runs the CLI and expects it to fail with exactly one line matching `line`. */
async function refuses(args: string[], code: number, line: RegExp): Promise<void> {
  const result = await runCli([...args, ...backend]);
  const own = lines(result.stderr).filter((l) => !l.startsWith('backend: ') && !l.startsWith('  skipped '));
  expect(own, result.stderr).toHaveLength(1);
  expect(own[0]).toMatch(line);
  expect(own[0]).not.toMatch(/unexpected error/);
  expect(result.code).toBe(code);
}

describe('damaged checkpoints and runs', () => {
  it('a config.json that is a directory', async () => {
    const dir = join(work, 'config-dir');
    await mkdir(join(dir, 'config.json'), { recursive: true });
    await writeFile(join(dir, 'model.safetensors'), '');
    await refuses(
      ['generate', '--model', dir, '--prompt', 'hi'],
      1,
      /config\.json: is a directory, not a text file$/,
    );
  });

  it('a weight that is NaN: generate and eval refuse, naming the tensor', async () => {
    const dir = copyOfRun('nan');
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    await editSafetensors(join(dir, manifest.checkpoint, 'model.safetensors'), (tensors) => {
      tensors.get('ln_f.weight')!.data[0] = Number.NaN;
    });
    const damaged =
      /model\.safetensors: tensor 'ln_f\.weight' holds NaN at index 0: the checkpoint is damaged/;
    await refuses(['generate', '--model', dir, '--prompt', 'hi'], 1, damaged);
    await refuses(['eval', '--model', dir], 1, damaged);
  });

  it('a training state edited by hand', async () => {
    const dir = copyOfRun('state');
    await editTrainingState(dir, (state) => {
      state.epoch = 1e9;
    });
    await refuses(
      ['train', '--model', dir, '--steps', '3'],
      1,
      /training-state\.safetensors: "epoch" must be at most the steps done/,
    );
  });

  it('a training state whose position is past the end of an epoch', async () => {
    const dir = copyOfRun('past-epoch');
    await editTrainingState(dir, (state) => {
      state.batchInEpoch = 100_000;
    });
    // The run is announced first: the data decides how many batches an epoch has.
    const result = await runCli(['train', '--model', dir, '--steps', '3', ...backend]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr).at(-1)).toMatch(
      /^scratchgpt: The training state is at batch 100000 of its epoch, but an epoch of the data given has 144 batches: the state is damaged, or was saved training on other data$/,
    );
  });

  it('a checkpoint.json that is damaged, or names a checkpoint that is gone', async () => {
    const damaged = copyOfRun('manifest');
    await writeFile(join(damaged, 'checkpoint.json'), '{"format":"scratchgpt-run","version":1,"step":"two"}');
    await refuses(
      ['train', '--model', damaged, '--steps', '3'],
      1,
      /checkpoint\.json: "step" must be an integer ≥ 0; the run cannot resume/,
    );
    const gone = copyOfRun('gone');
    const manifest = JSON.parse(await readFile(join(gone, 'checkpoint.json'), 'utf8'));
    await writeFile(
      join(gone, 'checkpoint.json'),
      JSON.stringify({ ...manifest, checkpoint: 'checkpoints/step-000009' }),
    );
    await refuses(
      ['train', '--model', gone, '--steps', '3'],
      1,
      /names checkpoints\/step-000009, which has no training-state\.safetensors: the run cannot resume/,
    );
  });
});

describe('flags', () => {
  it('an empty --prompt for samples is refused before training, not at the first sample', async () => {
    await refuses(
      [
        'train',
        '--config',
        join(work, 'tiny.json'),
        '--prompt',
        ' ',
        '--sample-every',
        '1',
        '--steps',
        '2',
        '--out',
        join(work, 'p'),
      ],
      2,
      /^scratchgpt: train: --prompt is empty: give the text samples continue$/,
    );
  });
});

describe('resuming', () => {
  it('10 steps straight and 5 + 5 resumed write the same weights, byte for byte, dropout on', async () => {
    const args = ['--config', join(work, 'tiny.json'), '--eval-every', '0', ...backend];
    const straight = join(work, 'straight');
    const split = join(work, 'split');
    expect((await runCli(['train', ...args, '--steps', '10', '--out', straight])).code).toBe(0);
    expect((await runCli(['train', ...args, '--steps', '5', '--out', split])).code).toBe(0);
    expect((await runCli(['train', '--model', split, '--steps', '10', ...backend])).code).toBe(0);
    const [a, b] = await Promise.all(
      [join(split, 'model.safetensors'), join(straight, 'model.safetensors')].map((f) => readFile(f)),
    );
    expect(a!.equals(b!)).toBe(true);
  });
});

describe('sizes checked before allocating', () => {
  it('a batch larger than the text', async () => {
    await refuses(
      ['train', '--config', 'gpt-nano', '--batch-size', '100000', '--out', join(work, 'big-batch')],
      1,
      /the training part has 4612 tokens, too few for one batch of 100000 windows of 128/,
    );
  });

  it('a model whose weights cannot fit wasm’s heap', async () => {
    const config = join(work, 'huge.json');
    await writeFile(config, JSON.stringify({ ...tinyConfig, nLayers: 1_000_000, embDim: 64 }));
    await refuses(
      ['train', '--config', config, '--out', join(work, 'huge')],
      1,
      /^scratchgpt: This model needs about \d+\.\d GiB of tensors to train/,
    );
  });
});
