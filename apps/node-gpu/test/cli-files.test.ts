/**
 * Files a user or another program hands the CLI that are not what their names say: FIFOs and links to
 * devices in model and run directories, binary and non-UTF-8 data, a label column of texts, absurd LoRA
 * ranks, megabyte texts to classify. Each gets one clear line, at once, before any work.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ownStderr, runCli, tinyConfig, tinyWorkspace } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
let work: string;
let configPath: string;
let classifierRun: string;
let gptRun: string;

const rows = Array.from({ length: 40 }, (_, i) => (i % 2 ? `spam\tWin a prize ${i}` : `ham\tSee you ${i}`));

beforeAll(async () => {
  assertBuilt();
  ({ work, configPath } = await tinyWorkspace('scratchgpt-files-', { contextLength: 32 }));
  const data = join(work, 'texts.tsv');
  await writeFile(data, `${rows.join('\n')}\n`);
  classifierRun = join(work, 'classifier');
  const classify = await runCli([
    ...['classify', 'train', '--config', configPath, '--data', data, '--out', classifierRun],
    ...['--steps', '1', '--batch-size', '4', '--no-final-eval', ...backend],
  ]);
  expect(classify.code, classify.stderr).toBe(0);
  gptRun = join(work, 'gpt');
  const train = await runCli(['train', '--config', configPath, '--steps', '1', '--out', gptRun, ...backend]);
  expect(train.code, train.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A run's current files as a plain checkpoint directory (no manifest), to damage one of them. */
async function copyOf(directory: string, name: string): Promise<string> {
  const copy = join(work, name);
  await mkdir(copy);
  for (const file of await readdir(directory, { withFileTypes: true })) {
    if (file.isFile() && file.name !== 'checkpoint.json')
      await copyFile(join(directory, file.name), join(copy, file.name));
  }
  return copy;
}

async function replaceWith(path: string, kind: 'fifo' | 'zero'): Promise<void> {
  await rm(path, { force: true });
  if (kind === 'fifo') execFileSync('mkfifo', [path]);
  else await symlink('/dev/zero', path);
}

describe('model and run directories: regular files only', () => {
  it.each([
    ['classifier.safetensors', 'zero', 'a device'],
    ['classifier.json', 'fifo', 'a FIFO'],
    ['config.json', 'zero', 'a device'],
  ] as const)(
    'a classifier whose %s is a %s',
    async (file, kind, what) => {
      const directory = await copyOf(classifierRun, `classifier-${file}-${kind}`);
      await replaceWith(join(directory, file), kind);
      const result = await runCli(['classify', 'predict', '--model', directory, 'hi', ...backend]);
      expect(result.code).toBe(1);
      expect(ownStderr(result.stderr)).toEqual([
        `scratchgpt: ${join(directory, file)} is not a regular file (${what}): give a file`,
      ]);
    },
    20_000,
  );

  it('adapter.safetensors linked to /dev/zero beside a GPT', async () => {
    const directory = await copyOf(gptRun, 'gpt-adapter-zero');
    await replaceWith(join(directory, 'adapter.safetensors'), 'zero');
    const generate = ['generate', '--model', directory, '--prompt', 'Hi', '--max-new-tokens', '1'];
    const result = await runCli([...generate, ...backend]);
    expect(result.code).toBe(1);
    expect(ownStderr(result.stderr)).toEqual([
      `scratchgpt: ${join(directory, 'adapter.safetensors')} is not a regular file (a device): give a file`,
    ]);
  }, 20_000);

  it('a run whose training state is a FIFO does not hang on resume', async () => {
    const [step] = await readdir(join(gptRun, 'checkpoints'));
    const state = join(gptRun, 'checkpoints', step as string, 'training-state.safetensors');
    await replaceWith(state, 'fifo');
    const result = await runCli(['train', '--model', gptRun, '--steps', '2', ...backend]);
    expect(result.code).toBe(1);
    expect(ownStderr(result.stderr)).toEqual([
      `scratchgpt: ${state} is not a regular file (a FIFO): give a file`,
    ]);
  }, 20_000);
});

describe('data files', () => {
  async function trainOn(name: string, content: string | Buffer, extra: string[] = []) {
    const path = join(work, name);
    await writeFile(path, content);
    const result = await runCli([
      ...['classify', 'train', '--config', configPath, '--data', path, '--out', join(work, `out-${name}`)],
      ...extra,
      ...backend,
    ]);
    return { code: result.code, lines: ownStderr(result.stderr), path };
  }

  it('binary input is not a text file', async () => {
    const { code, lines, path } = await trainOn(
      'binary.tsv',
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 9, 1]),
    );
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: --data ${path} is not a text file: it holds NUL bytes (give a UTF-8 text file)`,
    ]);
  });

  it('bytes that are not UTF-8 are said once', async () => {
    const latin1 = Buffer.from('ham\tcaf\xe9\nham\tna\xefve\n', 'latin1');
    const { code, lines, path } = await trainOn('latin1.tsv', latin1);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `warning: ${path} is not valid UTF-8: the bytes that are not are read as U+FFFD (\uFFFD); save it as UTF-8 to keep them`,
      `scratchgpt: ${path} has only one label, 'ham': a classifier needs texts of at least two classes`,
    ]);
  });

  it('swapped text and label columns are refused before training', async () => {
    const { code, lines, path } = await trainOn('swapped.tsv', `${rows.join('\n')}\n`, [
      ...['--text-column', '0', '--label-column', '1'],
    ]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: ${path} has 40 different labels in 40 texts ("See you 0", "See you 10", "See you 12", …): the label column holds texts, not classes; are the text and label columns swapped?`,
    ]);
  });

  it('a LoRA rank above the model width is refused before the data is read', async () => {
    const { code, lines } = await trainOn('rank.tsv', `${rows.join('\n')}\n`, ['--lora-rank', '100000']);
    expect(code).toBe(2);
    expect(lines).toEqual([
      'scratchgpt: --lora-rank 100000 is above what this model takes: at most 16, its width (emb_dim); ranks of 8 to 64 are usual',
    ]);
  });
});

describe('LoRA and the memory budget', () => {
  it("counts the updates' weights, gradients and moments before the model is built", async () => {
    // 405M parameters train within wasm's 4 GiB (moments on the host); rank-1024 updates add 454M.
    const wide = join(work, 'wide.json');
    await writeFile(wide, JSON.stringify({ ...tinyConfig, embDim: 1024, nHeads: 8, nLayers: 24 }));
    const data = join(work, 'texts.tsv');
    const result = await runCli([
      ...['classify', 'train', '--config', wide, '--data', data, '--out', join(work, 'wide-run')],
      ...['--lora-rank', '1024', '--batch-size', '1', ...backend],
    ]);
    expect(result.code).toBe(1);
    expect(ownStderr(result.stderr)).toEqual([
      expect.stringMatching(
        /^scratchgpt: This model needs about 4\.9 GiB of tensors to train \(859M parameters, batch 1 × \d+\); this backend holds 4\.0 GiB/,
      ),
    ]);
  }, 60_000);
});

describe('classify predict', () => {
  it('classifies the start of a megabyte text and echoes only its start', async () => {
    const text = `Win a prize ${'now '.repeat(250_000)}`;
    const result = await runCli(['classify', 'predict', '--model', classifierRun, ...backend], {
      input: `${text}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    const [line] = result.stdout.trim().split('\n');
    const [, , echoed, truncated] = (line as string).split('\t');
    expect(echoed).toBe(`${text.slice(0, 200)}…`);
    expect(truncated).toBe('(truncated)');
  }, 30_000);
});
