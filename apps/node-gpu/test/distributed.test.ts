/**
 * Beyond one machine: a checkpoint scratchgpt trained continues training in PyTorch under torchrun with
 * DistributedDataParallel (2 processes, gloo, CPU; tools/distributed/continue_training.py), and the
 * result loads back into scratchgpt, gives PyTorch's logits and generates; the same for a Qwen3
 * checkpoint in the Hugging Face layout (the open-models fixture). Needs Debian's python3-torch:
 * skipped without it, unless SCRATCHGPT_REQUIRE_PYTORCH=1 (CI sets it) makes that a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { preset } from '@scratchgpt/gpt-model';
import { loadCheckpoint } from '@scratchgpt/gpt-model/node';
import { checkpointInMemory, loadOpenModelCheckpoint } from '@scratchgpt/open-models';
import { initBackend, parseSafetensors, type SafetensorsTensor, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
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
    expectFallingLosses('GPT-2', await continueTraining(start, ids, out, 16), 16);

    await initBackend({ prefer: 'cpu' });
    const { model, layout } = await loadCheckpoint(out);
    expect(layout).toBe('hf');
    const expected = await expectedOf(out);
    const inputIds = expected.get('input_ids')!;
    const logits = model.eval().forward(tf.tensor(inputIds.data, inputIds.shape, 'int32'));
    const maxDiff = maxAbsDiff((await logits.data()) as Float32Array, expected.get('logits')!.data);
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

describe.runIf(hasTorch)(
  'the PyTorch DDP round trip of an open family (Qwen3, torchrun, 2 processes, gloo)',
  () => {
    it('continues training the fixture, and scratchgpt reads the Hugging Face checkpoint with the same logits', async () => {
      assertBuilt();
      const work = await mkdtemp(join(tmpdir(), 'scratchgpt-ddp-qwen3-'));
      const start = join(work, 'qwen3');
      await mkdir(start);
      const tokenizerConfig = jsonBytes({ bos_token: null, model_max_length: 64 });
      await writeFile(join(start, 'config.json'), jsonBytes(huggingFaceConfig('qwen3-tiny')));
      await writeFile(join(start, 'model.safetensors'), f32Safetensors(fixtureWeights('qwen3-tiny')));
      await writeFile(join(start, 'tokenizer_config.json'), tokenizerConfig);
      // A text of the fixture's 300-token vocabulary that repeats, so that a few steps learn it.
      const ids = join(work, 'ids.json');
      await writeFile(ids, JSON.stringify({ ids: Array.from({ length: 400 }, (_, i) => (i * 37) % 300) }));
      const out = join(work, 'ddp');

      expectFallingLosses('Qwen3', await continueTraining(start, ids, out, 8), 8);

      // The Hugging Face layout: the published names, the tied head stored once, config.json kept.
      const read = (name: string) => readFile(join(out, name)).then((bytes) => new Uint8Array(bytes));
      const weights = parseSafetensors(await read('model.safetensors')).tensors;
      expect([...weights.keys()].sort()).toEqual([...fixtureWeights('qwen3-tiny').keys()].sort());
      expect([...weights.values()].every((tensor) => tensor.dtype === 'F32')).toBe(true);
      expect(JSON.parse(new TextDecoder().decode(await read('config.json')))).toEqual({
        ...huggingFaceConfig('qwen3-tiny'),
        torch_dtype: 'float32',
      });
      expect(await read('tokenizer_config.json')).toEqual(tokenizerConfig);

      await initBackend({ prefer: 'cpu' });
      const files = new Map([
        ['config.json', await read('config.json')],
        ['model.safetensors', await read('model.safetensors')],
      ]);
      const { model } = await loadOpenModelCheckpoint(checkpointInMemory(files));
      const expected = await expectedOf(out);
      const inputIds = expected.get('input_ids')!;
      const logits = model.eval().forward(tf.tensor(inputIds.data, inputIds.shape, 'int32'));
      const ours = (await logits.data()) as Float32Array;
      const theirs = expected.get('logits')!.data;
      const maxDiff = maxAbsDiff(ours, theirs);
      console.info(`scratchgpt vs PyTorch Qwen3 logits after DDP: max abs diff ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      logits.dispose();
      model.dispose();

      // The CLI reads the directory too: its first greedy token is PyTorch's likeliest after the probe.
      const vocab = 300;
      const lastRow = Array.from(theirs.slice(theirs.length - vocab));
      const generated = await runCli([
        ...['generate', '--model', out, '--ids', [...inputIds.data].join(',')],
        ...['--max-new-tokens', '1', '--json', '--backend', 'wasm'],
      ]);
      expect(generated.code, generated.stderr).toBe(0);
      expect((JSON.parse(generated.stdout) as { tokenIds: number[] }).tokenIds).toEqual([
        lastRow.indexOf(Math.max(...lastRow)),
      ]);
    }, 600_000);
  },
);

/** torchrun of continue_training.py with 2 gloo processes, batch 2 of 16-token windows; the losses rank 0 printed, one a step. */
async function continueTraining(model: string, ids: string, out: string, steps: number): Promise<number[]> {
  // Debian's PyTorch 1.13 under Python 3.11 cannot parse torchrun's default --redirects 0; 1 with
  // --tee 1 sends rank 0's output to the console as well (prefixed with its rank).
  const { stdout } = await promisify(execFile)(
    python,
    [
      ...['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1', script],
      ...['--model', model, '--tokens', ids, '--out', out, '--steps', String(steps)],
      ...['--batch-size', '2', '--context', '16', '--lr', '1e-2'],
    ],
    { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  const lines = jsonLines(stdout.replace(/^\[\w+\]:/gm, ''));
  expect(lines.at(-1)).toEqual({ event: 'done', world: 2, backend: 'gloo', steps, checkpoint: out });
  return lines.filter((line) => 'loss' in line).map((line) => line.loss as number);
}

function expectFallingLosses(label: string, losses: number[], steps: number): void {
  expect(losses).toHaveLength(steps);
  console.info(`${label} DDP losses: ${losses.map((loss) => loss.toFixed(3)).join(' ')}`);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)) - 0.5);
}

async function expectedOf(out: string): Promise<Map<string, SafetensorsTensor>> {
  return parseSafetensors(new Uint8Array(await readFile(join(out, 'expected.safetensors')))).tensors;
}

function maxAbsDiff(ours: Float32Array, theirs: ArrayLike<number>): number {
  expect(ours.length).toBe(theirs.length);
  let largest = 0;
  for (let i = 0; i < ours.length; i++) largest = Math.max(largest, Math.abs(ours[i]! - theirs[i]!));
  return largest;
}
