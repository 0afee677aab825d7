import { cpSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, ownStderr, runCli, tinyWorkspace, versePath } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
const blasRequired = (process.env.SCRATCHGPT_REQUIRE_BACKENDS ?? '').split(',').includes('blas');
let work: string;
let configPath: string;
let runDir: string;

/** Three steps of the tiny model with two evaluations, as JSON lines, into `out`. */
function trainThreeSteps(out: string): string[] {
  const evaluation = ['--eval-every', '2', '--eval-batches', '1'];
  return ['train', '--config', configPath, '--steps', '3', ...evaluation, '--out', out, '--json', ...backend];
}

beforeAll(async () => {
  assertBuilt();
  ({ work, configPath } = await tinyWorkspace('scratchgpt-cli-'));
  runDir = join(work, 'run');
  const result = await runCli(trainThreeSteps(runDir));
  expect(result.code, result.stderr).toBe(0);
});

describe('train', () => {
  it('prints one JSON object per event and writes the checkpoint, its training state and loss.svg', async () => {
    const dir = join(work, 'shape');
    const { code, stdout, stderr } = await runCli(trainThreeSteps(dir));
    expect(code, stderr).toBe(0);
    const events = jsonLines(stdout);
    const steps = events.filter((e) => e.event === 'step');
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3]);
    for (const step of steps) {
      expect(Object.keys(step).sort()).toEqual(['event', 'loss', 'lr', 'step', 'tokensPerSec', 'tokensSeen']);
      expect(step.loss).toBeGreaterThan(9);
      expect(step.lr).toBe(4e-4);
    }
    expect(steps.map((e) => e.tokensSeen)).toEqual([32, 64, 96]);
    const evals = events.filter((e) => e.event === 'eval');
    expect(evals.map((e) => e.step)).toEqual([1, 3]);
    expect(Object.keys(evals[0]!).sort()).toEqual(['event', 'step', 'trainLoss', 'valLoss']);
    expect(events.at(-1)).toEqual({ event: 'done', step: 3, reason: 'completed', checkpoint: dir });
    expect(events.filter((e) => e.event === 'checkpoint')).toEqual([
      { event: 'checkpoint', step: 3, checkpoint: dir },
    ]);
    // The run: its manifest, the current checkpoint, and the weights again at the top for other tools.
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'scratchgpt-run',
      task: 'pretrain',
      step: 3,
      checkpoint: 'checkpoints/step-000003',
    });
    expect(manifest.run).toEqual({
      data: versePath,
      valRatio: 0.1,
      context: 16,
      batchSize: 2,
      shuffle: true,
      seed: 123,
      recompute: 'none',
    });
    for (const file of ['config.json', 'model.safetensors', 'training-state.safetensors']) {
      expect(existsSync(join(dir, 'checkpoints/step-000003', file)), file).toBe(true);
    }
    for (const file of ['config.json', 'model.safetensors', 'loss.svg']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    const top = await readFile(join(dir, 'model.safetensors'));
    expect(top.equals(await readFile(join(dir, 'checkpoints/step-000003/model.safetensors')))).toBe(true);
    const svg = await readFile(join(dir, 'loss.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Validation loss');
    expect(svg).toContain('Tokens seen');
  });

  it('resumes a run with --model DIR where it stopped', async () => {
    const { code, stdout, stderr } = await runCli([
      'train',
      '--model',
      runDir,
      '--steps',
      '5',
      '--json',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    expect(ownStderr(stderr)[0]).toMatch(new RegExp(`^resuming ${runDir} at step 3: `));
    const steps = jsonLines(stdout).filter((e) => e.event === 'step');
    expect(steps.map((e) => e.step)).toEqual([4, 5]);
    expect(steps[0]!.tokensSeen).toBe(128);
  });

  it('resumes a run whose checkpoint.json was written before manifests named their task', async () => {
    const old = join(work, 'old-manifest');
    cpSync(runDir, old, { recursive: true });
    const manifestPath = join(old, 'checkpoint.json');
    const { task, ...written } = JSON.parse(await readFile(manifestPath, 'utf8'));
    expect(task).toBe('pretrain');
    await writeFile(manifestPath, JSON.stringify(written));
    const { step } = written;
    const args = ['train', '--model', old, '--steps', String(step + 1), '--json', ...backend];
    const { code, stdout, stderr } = await runCli(args);
    expect(code, stderr).toBe(0);
    expect(
      jsonLines(stdout)
        .filter((e) => e.event === 'step')
        .map((e) => e.step),
    ).toEqual([step + 1]);
    // Saved again in the form of now.
    expect(JSON.parse(await readFile(manifestPath, 'utf8'))).toMatchObject({
      task: 'pretrain',
      step: step + 1,
    });
  });

  /**
   * A long run into `dir` that gets `signals` SIGINTs after its first step, 10 ms apart (the kernel
   * merges signals sent closer together than the process takes them).
   */
  function interruptedRun(dir: string, signals: number) {
    let sent = false;
    return runCli(
      [
        'train',
        '--config',
        configPath,
        '--steps',
        '1000',
        '--eval-every',
        '0',
        '--out',
        dir,
        '--json',
        ...backend,
      ],
      {
        onStdout: (chunk, child) => {
          if (!sent && chunk.includes('"event":"step"')) {
            sent = true;
            for (let i = 0; i < signals; i++) setTimeout(() => child.kill('SIGINT'), i * 10);
          }
        },
      },
    );
  }

  it('saves and exits on Ctrl-C, and the run resumes from there', async () => {
    const dir = join(work, 'interrupted');
    const { code, stdout } = await interruptedRun(dir, 1);
    expect(code).toBe(0);
    const done = jsonLines(stdout).at(-1)!;
    expect(done).toMatchObject({ event: 'done', reason: 'aborted', checkpoint: dir });
    const stoppedAt = done.step as number;
    expect(stoppedAt).toBeLessThan(1000);
    const resumed = await runCli([
      'train',
      '--model',
      dir,
      '--steps',
      String(stoppedAt + 1),
      '--json',
      ...backend,
    ]);
    expect(
      jsonLines(resumed.stdout)
        .filter((e) => e.event === 'step')
        .map((e) => e.step),
    ).toEqual([stoppedAt + 1]);
  });

  it('takes a SIGINT forwarded right after the first (pnpm exec sends the Ctrl-C twice) as the same one: it saves', async () => {
    const dir = join(work, 'interrupted-twice');
    const { code, stdout, stderr } = await interruptedRun(dir, 2);
    expect(code, stderr).toBe(0);
    const done = jsonLines(stdout).at(-1)!;
    expect(done).toMatchObject({ event: 'done', reason: 'aborted', checkpoint: dir });
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
    expect(manifest.step).toBe(done.step);
  });
});

describe('generate', () => {
  it('returns the text, the new token ids and the prompt ids', async () => {
    const { code, stdout, stderr } = await runCli([
      'generate',
      '--model',
      runDir,
      '--prompt',
      'Every effort moves you',
      '--max-new-tokens',
      '5',
      '--json',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { text: string; tokenIds: number[]; promptTokenIds: number[] };
    expect(Object.keys(result).sort()).toEqual(['promptTokenIds', 'text', 'tokenIds']);
    expect(result.promptTokenIds).toEqual([6109, 3626, 6100, 345]);
    expect(result.tokenIds).toHaveLength(5);
    expect(result.text.startsWith('Every effort moves you')).toBe(true);
  });

  it('streams plain text without --json, and greedy is repeatable', async () => {
    const a = await runCli([
      'generate',
      '--model',
      runDir,
      '--prompt',
      'I had always',
      '--max-new-tokens',
      '4',
      ...backend,
    ]);
    const b = await runCli([
      'generate',
      '--model',
      runDir,
      '--prompt',
      'I had always',
      '--max-new-tokens',
      '4',
      '--no-cache',
      ...backend,
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout.startsWith('I had always')).toBe(true);
    expect(b.stdout).toBe(a.stdout);
  });

  it('stores the weights in 16 bits with --precision, and refuses an unknown precision', async () => {
    const args = ['generate', '--model', runDir, '--ids', '40,550,1464', '--max-new-tokens', '4', '--json'];
    for (const precision of ['bf16', 'f16']) {
      const { code, stdout, stderr } = await runCli([...args, '--precision', precision, ...backend]);
      expect(code, stderr).toBe(0);
      expect((JSON.parse(stdout) as { tokenIds: number[] }).tokenIds).toHaveLength(4);
    }
    const bad = await runCli([...args, '--precision', 'f8', ...backend]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--precision/);
  });
});

describe('eval', () => {
  it('gives the same loss for every batch size', async () => {
    // The first 3,000 characters of The Verdict: 753 GPT-2 tokens.
    const text = join(work, 'verdict-start.txt');
    await writeFile(text, (await readFile(versePath, 'utf8')).slice(0, 3000));
    const results = [];
    for (const batchSize of ['1', '3', '64']) {
      const { code, stdout, stderr } = await runCli([
        'eval',
        '--model',
        runDir,
        '--data',
        text,
        '--batch-size',
        batchSize,
        '--json',
        ...backend,
      ]);
      expect(code, stderr).toBe(0);
      results.push(
        JSON.parse(stdout) as { loss: number; perplexity: number; tokens: number; windows: number },
      );
    }
    // Windows of 16 start every 16 tokens while a target remains after them.
    const windows = Math.floor((753 - 1) / 16);
    expect(results[0]).toMatchObject({ tokens: windows * 16, windows, data: text, context: 16 });
    expect(Object.keys(results[0]!).sort()).toEqual([
      'context',
      'data',
      'loss',
      'perplexity',
      'tokens',
      'windows',
    ]);
    for (const result of results) expect(Math.abs(result.loss - results[0]!.loss)).toBeLessThan(1e-5);
    expect(results[0]!.perplexity).toBeCloseTo(Math.exp(results[0]!.loss), 6);
  });
});

describe('tokenize', () => {
  it.each([
    ['gpt2', 5145],
    ['simple', 4690],
    ['char', 20479],
  ])('counts %s tokens of The Verdict', async (tokenizer, tokens) => {
    const { code, stdout } = await runCli([
      'tokenize',
      '--file',
      versePath,
      '--tokenizer',
      tokenizer,
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ tokens, characters: 20479 });
  });

  it('lists the ids with --ids', async () => {
    const { stdout } = await runCli(['tokenize', '--file', versePath, '--ids', '--json']);
    expect((JSON.parse(stdout) as { ids: number[] }).ids.slice(50, 55)).toEqual([290, 4920, 2241, 287, 257]);
  });
});

describe('convert', () => {
  it('rewrites a checkpoint in the book layout that generates the same tokens', async () => {
    const out = join(work, 'book');
    const converted = await runCli([
      'convert',
      '--model',
      runDir,
      '--out',
      out,
      '--layout',
      'book',
      '--json',
      ...backend,
    ]);
    expect(converted.code, converted.stderr).toBe(0);
    expect(JSON.parse(converted.stdout)).toMatchObject({ fromLayout: 'hf', layout: 'book' });
    const args = ['--prompt', 'It was', '--max-new-tokens', '6', '--json', ...backend];
    const before = JSON.parse((await runCli(['generate', '--model', runDir, ...args])).stdout);
    const after = JSON.parse((await runCli(['generate', '--model', out, ...args])).stdout);
    expect(after.tokenIds).toEqual(before.tokenIds);
  });
});

describe('info and bench', () => {
  it('info lists the backends and the chosen one', async () => {
    const { code, stdout } = await runCli(['info', '--json', ...backend]);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as {
      backends: Array<{ backend: string; available: boolean; precisions?: string[] }>;
      chosen: string;
      limits: object;
    };
    expect(info.backends.map((b) => b.backend)).toEqual(['node-gpu', 'webgpu', 'blas', 'wasm', 'cpu']);
    expect(info.chosen).toBe('wasm');
    expect(info.backends.find((b) => b.backend === 'cpu')?.available).toBe(true);
    for (const found of info.backends) {
      expect(found.precisions).toEqual(found.available ? ['f32', 'f16', 'bf16'] : undefined);
    }
    expect(info.limits).toHaveProperty('maxBindingBytes');
  });

  it.skipIf(!blasRequired)('info shows the BLAS in use: its library, kernels and threads', async () => {
    const { code, stdout } = await runCli(['info', '--backend', 'blas']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^chosen: blas \(requested with prefer: 'blas'\)$/m);
    expect(stdout).toMatch(/^ {2}blas: OpenBLAS \S+/m);
    expect(stdout).toMatch(/^ {2}blasCoreType: \w+$/m);
    expect(stdout).toMatch(/^ {2}blasThreads: [1-9]\d*$/m);
  });

  // One step of the tiny config at batch 2 × 8: a bench that takes seconds.
  const smallBench = () => [
    'bench',
    '--config',
    configPath,
    '--batch-size',
    '2',
    '--context',
    '8',
    '--steps',
    '1',
  ];

  it('bench reports throughput and peak memory', async () => {
    const { code, stdout, stderr } = await runCli([
      ...smallBench(),
      '--generate-tokens',
      '2',
      '--json',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    const bench = JSON.parse(stdout) as Record<string, number | string>;
    expect(bench).toMatchObject({ backend: 'wasm', batchSize: 2, context: 8 });
    for (const key of ['trainTokensPerSec', 'forwardTokensPerSec', 'generateTokensPerSec', 'peakBytes']) {
      expect(bench[key], key).toBeGreaterThan(0);
    }
  });

  it('bench --only forward measures the forward pass alone', async () => {
    const { code, stdout, stderr } = await runCli([
      ...smallBench(),
      '--only',
      'forward',
      '--json',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    const bench = JSON.parse(stdout) as Record<string, number | null>;
    expect(bench.forwardTokensPerSec).toBeGreaterThan(0);
    expect(bench).toMatchObject({ trainTokensPerSec: null, generateTokensPerSec: null, peakBytes: null });
  });
});

describe('bad input: one clear line and exit 2 (usage) or 1 (failure)', () => {
  it.each([
    [
      ['train', '--data', '/nonexistent/corpus.txt', '--out', '/tmp/x'],
      1,
      'scratchgpt: --data /nonexistent/corpus.txt: no such file',
    ],
    [
      ['train', '--config', 'gpt5', '--out', '/tmp/x'],
      2,
      "scratchgpt: --config: unknown preset 'gpt5'; use one of gpt2-small, gpt2-medium, gpt2-large, gpt2-xl, gpt-nano, gpt-micro, gpt-mini, gpt-tiny or a .json file",
    ],
    [['train', '--lr', 'fast', '--out', '/tmp/x'], 2, "scratchgpt: --lr must be a number, got 'fast'"],
    // Decimal only: Number() reads 0x10 as 16.
    [
      ['train', '--steps', '0x10', '--out', '/tmp/x'],
      2,
      "scratchgpt: --steps must be an integer, got '0x10'",
    ],
    [['classify', 'train', '--epochs', '0b11'], 2, "scratchgpt: --epochs must be an integer, got '0b11'"],
    [['instruct', 'train', '--lr', '0x1'], 2, "scratchgpt: --lr must be a number, got '0x1'"],
    [['train', '--lr', '1e20', '--out', '/tmp/x'], 2, 'scratchgpt: --lr must be at most 1, got 1e20'],
    [
      ['train', '--grad-accum', '2147484', '--out', '/tmp/x'],
      2,
      'scratchgpt: --grad-accum must be at most 65536, got 2147484',
    ],
    [
      ['train', '--batch-size', '0', '--out', '/tmp/x'],
      2,
      'scratchgpt: --batch-size must be at least 1, got 0',
    ],
    [
      ['train', '--lerning-rate', '1'],
      2,
      "scratchgpt: train: Unknown option '--lerning-rate'. See 'scratchgpt help train'.",
    ],
    [
      ['fly'],
      2,
      "scratchgpt: Unknown command 'fly'. Commands: info, tokenize, train, generate, eval, convert, download, classify, bench, demo, instruct, judge, chat, serve",
    ],
    [['generate', '--prompt', 'hi'], 2, 'scratchgpt: generate: --model is required'],
    [
      ['bench', '--only', 'backward'],
      2,
      "scratchgpt: --only backward: 'backward' is not a measure; use any of train, forward, generate",
    ],
  ])('%j', async (args, code, line) => {
    const result = await runCli([...args, ...backend]);
    expect(result.code).toBe(code);
    expect(ownStderr(result.stderr)).toEqual([line]);
    expect(result.stdout).toBe('');
  });

  it('a context larger than the model’s', async () => {
    const result = await runCli(['eval', '--model', runDir, '--context', '64', ...backend]);
    expect(result.code).toBe(2);
    expect(ownStderr(result.stderr)).toEqual([
      "scratchgpt: --context 64 is larger than the model's context length 16",
    ]);
  });

  it('a corrupt checkpoint names the file and the problem', async () => {
    const broken = join(work, 'broken');
    await runCli(['convert', '--model', runDir, '--out', broken, '--layout', 'hf', ...backend]);
    const weights = await readFile(join(broken, 'model.safetensors'));
    await writeFile(join(broken, 'model.safetensors'), weights.subarray(0, weights.length - 1000));
    const result = await runCli(['generate', '--model', broken, '--prompt', 'x', ...backend]);
    expect(result.code).toBe(1);
    const lines = ownStderr(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^scratchgpt: .*model\.safetensors: tensor '.*' has data_offsets \[\d+, \d+\] beyond the \d+ data bytes \(the file is truncated or corrupt\)$/,
    );
  });

  it('an existing run is never overwritten by a new run', async () => {
    const result = await runCli(['train', '--config', configPath, '--out', runDir, ...backend]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      `scratchgpt: --out ${runDir} already holds a run (at step 5): resume it with --model ${runDir}, or choose another --out`,
    ]);
  });
});
