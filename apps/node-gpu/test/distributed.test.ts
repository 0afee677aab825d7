/**
 * Beyond one machine: a checkpoint scratchgpt trained continues training in PyTorch under torchrun with
 * DistributedDataParallel (2 processes, gloo, CPU; tools/distributed/continue_training.py), and the
 * result loads back into scratchgpt, gives PyTorch's logits and generates. Needs Debian's python3-torch:
 * skipped without it, unless SCRATCHGPT_REQUIRE_PYTORCH=1 (CI sets it) makes that a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { preset } from '@scratchgpt/gpt-model';
import { loadCheckpoint } from '@scratchgpt/gpt-model/node';
import { initBackend, parseSafetensors, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, runCli, versePath } from './cli-harness.js';

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../tools/distributed/continue_training.py', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch.distributed'], { stdio: 'ignore' }).status === 0;
const required = process.env.SCRATCHGPT_REQUIRE_PYTORCH === '1';

describe.runIf(!hasTorch && required)('the PyTorch DDP round trip', () => {
  it('needs PyTorch, because SCRATCHGPT_REQUIRE_PYTORCH=1', () => {
    throw new Error(`SCRATCHGPT_REQUIRE_PYTORCH=1 but ${python} cannot import torch: install python3-torch`);
  });
});

describe.runIf(hasTorch)('the PyTorch DDP round trip (torchrun, 2 processes, gloo)', () => {
  let work: string;
  let start: string;
  let ids: string;

  beforeAll(async () => {
    assertBuilt();
    work = await mkdtemp(join(tmpdir(), 'scratchgpt-ddp-'));
    const config = join(work, 'tiny.json');
    const shape = { contextLength: 16, embDim: 16, nHeads: 2, nLayers: 2, qkvBias: true };
    await writeFile(config, JSON.stringify(preset('gpt-nano', shape)));
    start = join(work, 'scratchgpt');
    const trained = await runCli([
      'train',
      '--config',
      config,
      '--steps',
      '2',
      '--eval-every',
      '0',
      '--out',
      start,
      '--backend',
      'wasm',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const tokens = await runCli(['tokenize', '--file', versePath, '--ids', '--json', '--backend', 'wasm']);
    expect(tokens.code, tokens.stderr).toBe(0);
    ids = join(work, 'ids.json');
    await writeFile(ids, tokens.stdout);
  });

  it('continues training with falling losses, and the model comes back with the same logits', async () => {
    const out = join(work, 'ddp');
    // Debian's PyTorch 1.13 under Python 3.11 cannot parse torchrun's default --redirects 0; 1 with
    // --tee 1 sends rank 0's output to the console as well (prefixed with its rank).
    const { stdout } = await promisify(execFile)(
      python,
      [
        ...['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', script],
        ...['--model', start, '--tokens', ids, '--out', out],
        ...['--steps', '16', '--batch-size', '2', '--context', '16', '--lr', '1e-2'],
      ],
      { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
    );
    const lines = jsonLines(stdout.replace(/^\[\w+\]:/gm, ''));
    const losses = lines.filter((line) => 'loss' in line).map((line) => line.loss as number);
    expect(lines.at(-1)).toEqual({ event: 'done', world: 2, backend: 'gloo', steps: 16, checkpoint: out });
    expect(losses).toHaveLength(16);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    console.info(`DDP losses: ${losses.map((loss) => loss.toFixed(3)).join(' ')}`);
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)) - 0.5);

    await initBackend({ prefer: 'cpu' });
    const { model, layout } = await loadCheckpoint(out);
    expect(layout).toBe('hf');
    const expected = parseSafetensors(
      new Uint8Array(await readFile(join(out, 'expected.safetensors'))),
    ).tensors;
    const inputIds = expected.get('input_ids')!;
    const logits = model.eval().forward(tf.tensor(inputIds.data, inputIds.shape, 'int32'));
    const ours = (await logits.data()) as Float32Array;
    const theirs = expected.get('logits')!.data;
    expect(ours.length).toBe(theirs.length);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
    console.info(`scratchgpt vs PyTorch logits after DDP: max abs diff ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    logits.dispose();
    model.dispose();

    const generated = await runCli([
      'generate',
      '--model',
      out,
      '--prompt',
      'Every effort moves you',
      '--max-new-tokens',
      '5',
      '--json',
      '--backend',
      'wasm',
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    expect((JSON.parse(generated.stdout) as { tokenIds: number[] }).tokenIds).toHaveLength(5);
  }, 600_000);
});
