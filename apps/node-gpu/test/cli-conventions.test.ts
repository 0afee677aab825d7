/**
 * What a command line is expected to do before any work starts: version and help, suggestions for
 * typos, every check of arguments and files before a backend is started, and nothing overwritten
 * without being asked.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, runCli, tinyWorkspace, versePath } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
let work: string;
let configPath: string;
let runDir: string;

/** stderr as lines, with nothing filtered out. */
const lines = (stderr: string) => stderr.split('\n').filter((line) => line !== '');

beforeAll(async () => {
  assertBuilt();
  ({ work, configPath } = await tinyWorkspace('scratchgpt-conventions-'));
  runDir = join(work, 'run');
  const trained = await runCli([
    'train',
    '--config',
    configPath,
    '--steps',
    '2',
    '--out',
    runDir,
    ...backend,
  ]);
  expect(trained.code, trained.stderr).toBe(0);
});

describe('version and help', () => {
  it.each([['--version'], ['-V']])('%s prints the version', async (flag) => {
    const { code, stdout, stderr } = await runCli([flag]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(
      /^scratchgpt \d+\.\d+\.\d+ \(TensorFlow\.js 4\.\d+\.\d+, Node\.js \d+\.\d+\.\d+\)\n$/,
    );
  });

  it('auto prints only its choice: no TF.js banner, no Dawn warnings from a software adapter it skips', async () => {
    const { code, stderr } = await runCli(['info']);
    expect(code, stderr).toBe(0);
    for (const line of lines(stderr)) {
      expect(line).toMatch(/^(backend: | {2}skipped | {2})/);
    }
    expect(stderr).not.toMatch(/artificially reduced|Hi, looks like you are running TensorFlow\.js/);
  });

  it('help <command> and <command> --help show its usage, options and the global options', async () => {
    const help = await runCli(['help', 'train']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^usage: scratchgpt train \[--data FILE\] \[--config NAME\|FILE\.json\] --out DIR/,
    );
    expect(help.stdout).toContain(
      '--data FILE            the text to train on (default: the bundled The Verdict)',
    );
    expect(help.stdout).toContain('evaluate after step 1 and then every N steps (1, 1+N, 1+2N');
    expect(help.stdout).toContain('Global options (every command):');
    expect(help.stdout).toContain('--backend auto|node-gpu|webgpu|blas|wasm|cpu');
    expect((await runCli(['train', '--help'])).stdout).toBe(help.stdout);
    const overview = await runCli(['help']);
    expect(overview.stdout).toMatch(/^usage: scratchgpt <command> \[options\]/);
    expect(overview.stdout).toContain('-V, --version');
  });
});

describe('typos get a suggestion', () => {
  it.each([
    [['trian'], "scratchgpt: Unknown command 'trian'; did you mean 'train'? Commands: "],
    [['help', 'genrate'], "scratchgpt: Unknown command 'genrate'; did you mean 'generate'? Commands: "],
    [
      ['train', '--batchsize', '3'],
      "scratchgpt: train: Unknown option '--batchsize'; did you mean '--batch-size'? See 'scratchgpt help train'.",
    ],
    [
      ['info', '--backend', 'wsam'],
      "scratchgpt: --backend must be one of auto, node-gpu, webgpu, blas, wasm, cpu, got 'wsam'; did you mean 'wasm'?",
    ],
    [
      ['tokenize', 'hi', '--tokenizer', 'gtp2'],
      "scratchgpt: --tokenizer must be gpt2, simple or char, got 'gtp2'; did you mean 'gpt2'?",
    ],
  ])('%j', async (args, start) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(lines(stderr)).toHaveLength(1);
    expect(lines(stderr)[0]!.startsWith(start)).toBe(true);
  });
});

describe('arguments and files are checked before a backend starts', () => {
  it.each([
    [
      ['generate', '--model', '/nonexistent', '--prompt', 'hi'],
      1,
      'scratchgpt: --model /nonexistent: no such directory',
    ],
    [['train', '--lr', '-1', '--out', '/tmp/x'], 2, 'scratchgpt: --lr must be greater than 0, got -1'],
    [
      ['train', '--batch-size', '-1', '--out', '/tmp/x'],
      2,
      'scratchgpt: --batch-size must be at least 1, got -1',
    ],
    [
      ['generate', '--model', '/nonexistent', '--prompt', 'hi', '--temperature', '-1'],
      2,
      'scratchgpt: --temperature must be at least 0, got -1',
    ],
    [
      ['generate', '--model', '/x', '--prompt', 'hi', '--max-new-tokens', '1e12'],
      2,
      'scratchgpt: --max-new-tokens must be at most 100000, got 1e12',
    ],
    [
      ['train', '--out', '/proc/scratchgpt-run'],
      1,
      'scratchgpt: --out /proc/scratchgpt-run: cannot create the run directory (the file system refuses to create it); choose another --out',
    ],
    [
      ['train', '--config', 'gpt-nano', '--context', '20000', '--out', '/tmp/x'],
      2,
      "scratchgpt: --context 20000 is larger than the model's context length 128",
    ],
  ])('%j', async (args, code, line) => {
    const result = await runCli([...args, ...backend]);
    expect(result.code).toBe(code);
    // Exactly one line: no backend report, no backend warnings.
    expect(lines(result.stderr)).toEqual([line]);
  });

  it('--model pointing at a file, and --out under a file', async () => {
    const file = join(work, 'plain.txt');
    await writeFile(file, 'not a directory');
    const model = await runCli(['generate', '--model', file, '--prompt', 'hi', ...backend]);
    expect(lines(model.stderr)).toEqual([
      `scratchgpt: --model ${file} is a file: it takes a directory (config.json + model.safetensors)`,
    ]);
    const out = await runCli(['train', '--config', configPath, '--out', join(file, 'run'), ...backend]);
    expect(lines(out.stderr)).toEqual([
      `scratchgpt: --out ${join(file, 'run')}: a part of this path is a file, not a directory`,
    ]);
  });
});

describe('tokenize', () => {
  it('reads the text from an argument, from standard input, or from --file', async () => {
    const argument = await runCli(['tokenize', 'Every effort moves you', '--ids', '--json']);
    expect(JSON.parse(argument.stdout)).toEqual({
      tokens: 4,
      characters: 22,
      vocabSize: 50257,
      ids: [6109, 3626, 6100, 345],
    });
    const piped = await runCli(['tokenize', '--ids', '--json'], { input: 'Every effort moves you' });
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(argument.stdout));
    const both = await runCli(['tokenize', 'x', '--file', versePath]);
    expect([both.code, lines(both.stderr)]).toEqual([
      2,
      ['scratchgpt: tokenize: give a TEXT or --file F, not both'],
    ]);
  });
});

describe('resuming keeps what defines the run', () => {
  it.each([
    [
      ['--batch-size', '4'],
      () =>
        `--batch-size 4 differs from the run in ${runDir}, which was trained with --batch-size 2; ` +
        `a resumed run keeps it: leave --batch-size out, or start a new run from its weights with --model ${join(runDir, 'checkpoints/step-000002')} --out NEW_DIR`,
    ],
    // Micro-batches per step: refused before the backend starts, not by the trainer after it.
    [
      ['--grad-accum', '3'],
      () =>
        `--grad-accum 3 differs from the run in ${runDir}, which was trained with --grad-accum 1; a resumed run keeps it: leave --grad-accum out`,
    ],
    [
      ['--precision', 'f16'],
      () =>
        '--precision f16 differs from the run, which trains in f32; a resumed run keeps it: leave --precision out',
    ],
  ])('refuses %j other than the run’s, naming the run’s', async (flag, message) => {
    const result = await runCli(['train', '--model', runDir, '--steps', '3', ...flag, ...backend]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([`scratchgpt: train: ${message()}`]);
  });

  it('takes new optimizer settings, from the next step on', async () => {
    const resumed = await runCli([
      'train',
      '--model',
      runDir,
      '--steps',
      '4',
      '--lr',
      '1e-3',
      '--json',
      ...backend,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const steps = jsonLines(resumed.stdout).filter((e) => e.event === 'step');
    expect(steps.map((e) => [e.step, e.lr])).toEqual([
      [3, 1e-3],
      [4, 1e-3],
    ]);
  });

  it('a checkpoint that is not a run needs --out for the new run', async () => {
    const result = await runCli(['train', '--model', join(runDir, 'checkpoints/step-000004'), ...backend]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)[0]).toMatch(/is a checkpoint, not a run: give --out DIR for the new run/);
  });
});

describe('convert', () => {
  it('refuses to overwrite a checkpoint in --out unless --force is given', async () => {
    const out = join(work, 'converted');
    const args = ['convert', '--model', runDir, '--out', out, '--layout', 'book', ...backend];
    expect((await runCli(args)).code).toBe(0);
    const before = await readFile(join(out, 'model.safetensors'));
    const again = await runCli(args);
    expect([again.code, lines(again.stderr)]).toEqual([
      1,
      [
        `scratchgpt: --out ${out} already holds a checkpoint: pass --force to replace it, or choose another --out`,
      ],
    ]);
    // Buffer.equals: toEqual compares megabytes element by element, for minutes.
    expect((await readFile(join(out, 'model.safetensors'))).equals(before)).toBe(true);
    const forced = await runCli([...args.slice(0, -2), '--layout', 'hf', '--force', '--json', ...backend]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ layout: 'hf' });
  });
});

describe('a run that diverges', () => {
  // lr · weight decay overflows float32: the first update makes every weight non-finite.
  const diverging = ['--steps', '20', '--lr', '1', '--weight-decay', '1e39', '--eval-every', '0'];
  const nonFinite = (step: number) =>
    String.raw`^scratchgpt: '[\w.]+' became non-finite at step ${step} \(learning rate 1\.00\); that step was not saved\. `;

  it('says there is no checkpoint when it diverged before the first save, and names the flags that help', async () => {
    const out = join(work, 'diverged');
    const never = await runCli(['train', '--config', configPath, ...diverging, '--out', out, ...backend]);
    expect(never.code).toBe(1);
    expect(lines(never.stderr).at(-1)).toMatch(
      new RegExp(
        `${nonFinite(1)}No checkpoint was saved before it \\(--checkpoint-every N saves along the way\\): start again with a lower --lr, or with --grad-clip 1\\.$`,
      ),
    );
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(false);
  });

  it('never saves a non-finite step: the last good checkpoint stays, and resumes', async () => {
    const out = join(work, 'diverged-later');
    const good = ['--steps', '2', '--eval-every', '0'];
    expect((await runCli(['train', '--config', configPath, ...good, '--out', out, ...backend])).code).toBe(0);
    const saved = await runCli([
      'train',
      '--model',
      out,
      ...diverging,
      '--checkpoint-every',
      '1',
      ...backend,
    ]);
    expect(saved.code).toBe(1);
    expect(lines(saved.stderr).at(-1)).toMatch(new RegExp(nonFinite(3)));
    expect(lines(saved.stderr).at(-1)).toContain(
      `The last checkpoint is step 2 in ${out} (checkpoint.json): resume from it with --model ${out} and a lower --lr, or with --grad-clip 1.`,
    );
    expect(JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8')).step).toBe(2);
    const resumed = await runCli(['train', '--model', out, '--steps', '3', '--json', ...backend]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const steps = jsonLines(resumed.stdout).filter((e) => e.event === 'step');
    expect(steps.map((e) => [e.step, Number.isFinite(e.loss)])).toEqual([[3, true]]);
  });
});

describe('--precision', () => {
  it('trains in f16 with loss scaling, says so in the events and records it for the resume', async () => {
    const out = join(work, 'run-f16');
    const args = ['train', '--config', configPath, '--steps', '2', '--precision', 'f16', '--json'];
    const trained = await runCli([...args, '--out', out, ...backend]);
    expect(trained.code, trained.stderr).toBe(0);
    const steps = jsonLines(trained.stdout).filter((line) => line.event === 'step');
    expect(steps.map((step) => [step.lossScale, step.skipped])).toEqual([
      [65536, false],
      [65536, false],
    ]);
    const manifest = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8'));
    expect(manifest.precision).toBe('f16');
    const resumed = await runCli(['train', '--model', out, '--steps', '3', '--json', ...backend]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stdout).find((line) => line.event === 'step')).toMatchObject({
      step: 3,
      lossScale: 65536,
    });
    const bad = await runCli([
      'train',
      '--config',
      configPath,
      '--precision',
      'fp8',
      '--out',
      out,
      ...backend,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--precision/);
  });
});
