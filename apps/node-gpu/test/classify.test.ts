/**
 * `scratchgpt classify train|eval|predict` as a user runs them: a tiny model on a small labelled file
 * (and the bundled SMS data where the figure is the book's), the run directory, exact resume, LoRA,
 * and one clear line for each kind of bad input.
 */
import { cpSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, ownStderr, runCli, tinyWorkspace } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
let work: string;
let configPath: string;
let dataPath: string;

const spam = [
  'Win a free prize now',
  'Claim your cash award',
  'You won a ticket, call now',
  'Urgent prize, reply WIN',
];
const ham = [
  'See you at dinner',
  'Can you pick up the kids?',
  'The meeting moved to three',
  'Thanks for the book',
];

beforeAll(async () => {
  assertBuilt();
  ({ work, configPath } = await tinyWorkspace('scratchgpt-classify-', { contextLength: 32 }));
  dataPath = join(work, 'texts.tsv');
  const rows = Array.from({ length: 80 }, (_, i) =>
    i % 2 ? `spam\t${spam[i % 4]} ${i}` : `ham\t${ham[i % 4]} ${i}`,
  );
  await writeFile(dataPath, `${rows.join('\n')}\n`);
});

/** `classify train` on the small file with the tiny model, plus `extra` flags. */
function train(out: string, extra: string[]) {
  return runCli([
    'classify',
    'train',
    '--config',
    configPath,
    '--data',
    dataPath,
    '--out',
    out,
    '--batch-size',
    '4',
    '--lr',
    '3e-3',
    '--json',
    ...backend,
    ...extra,
  ]);
}

describe('classify train', () => {
  it('counts the examples a step saw, when --grad-accum asks for more batches than an epoch has', async () => {
    const out = join(work, 'accumulated');
    const args = ['--steps', '2', '--grad-accum', '1000', '--eval-every', '1', '--eval-batches', '1'];
    const { code, stdout, stderr } = await train(out, [...args, '--no-final-eval']);
    expect(code, stderr).toBe(0);
    // Each step is the epoch's 14 batches of 4: 56 texts, not 1000 batches' worth.
    const evals = jsonLines(stdout).filter((e) => e.event === 'eval');
    expect(evals.map((e) => [e.step, e.examplesSeen])).toEqual([
      [1, 56],
      [2, 112],
    ]);
  });

  it('never saves a step whose update made the weights non-finite', async () => {
    const out = join(work, 'diverged');
    // lr · weight decay overflows float32: the first update makes every trainable weight non-finite.
    const diverging = ['--steps', '5', '--lr', '1', '--weight-decay', '1e39', '--checkpoint-every', '1'];
    const { code, stderr } = await train(out, [...diverging, '--no-final-eval']);
    expect(code).toBe(1);
    const own = ownStderr(stderr);
    expect(own.at(-1)).toMatch(
      /^scratchgpt: '[\w.]+' became non-finite at step 1 \(learning rate 1\.00\); that step was not saved\. No checkpoint was saved before it/,
    );
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(false);
  });

  it('fine-tunes, reports loss and accuracy, evaluates every split, and writes a classifier run', async () => {
    const out = join(work, 'run');
    const { code, stdout, stderr } = await train(out, [
      '--steps',
      '4',
      '--eval-every',
      '2',
      '--eval-batches',
      '2',
    ]);
    expect(code, stderr).toBe(0);
    const events = jsonLines(stdout);
    expect(events.filter((e) => e.event === 'step').map((e) => e.step)).toEqual([1, 2, 3, 4]);
    const evals = events.filter((e) => e.event === 'eval');
    expect(evals.map((e) => e.step)).toEqual([1, 3, 4]);
    for (const e of evals) {
      expect(Object.keys(e).sort()).toEqual(
        ['event', 'examplesSeen', 'step', 'trainAccuracy', 'trainLoss', 'valAccuracy', 'valLoss'].sort(),
      );
      expect(e.examplesSeen).toBe((e.step as number) * 4);
    }
    const evaluation = events.at(-1)!;
    expect(evaluation.event).toBe('evaluation');
    expect(evaluation.classes).toEqual(['ham', 'spam']);
    // 80 balanced texts: 56 / 8 / 16, training evaluated over its 14 full batches
    const split = (name: string) => evaluation[name] as { examples: number; confusion: number[][] };
    expect([split('train').examples, split('validation').examples, split('test').examples]).toEqual([
      56, 8, 16,
    ]);
    expect(
      split('test')
        .confusion.flat()
        .reduce((a, b) => a + b, 0),
    ).toBe(16);
    const settings = JSON.parse(await readFile(join(out, 'classifier.json'), 'utf8'));
    expect(settings).toMatchObject({
      classes: ['ham', 'spam'],
      pooling: 'last',
      trainable: 'last-block',
      lora: null,
    });
    for (const file of [
      'config.json',
      'model.safetensors',
      'classifier.safetensors',
      'loss.svg',
      'checkpoint.json',
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const manifest = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8'));
    expect(manifest).toMatchObject({
      task: 'classify',
      step: 4,
      run: { batchSize: 4, seed: 123, splitSeed: 123, maxLength: settings.max_length },
    });
  });

  it("uses the bundled SMS data by default, with the book's split and padded length", async () => {
    const { code, stderr } = await runCli([
      'classify',
      'train',
      '--config',
      configPath,
      '--max-length',
      '32',
      '--out',
      join(work, 'sms'),
      '--steps',
      '1',
      '--no-final-eval',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    expect(ownStderr(stderr)[0]).toMatch(
      /classes ham, spam; 1045 \/ 149 \/ 300 texts of 32 tokens \(130 batches of 8 per epoch\)$/,
    );
  });

  it('resumes a stopped run exactly: the same weights as a run that never stopped', async () => {
    const whole = join(work, 'whole');
    const parts = join(work, 'parts');
    const flags = ['--eval-every', '0', '--no-final-eval', '--pooling', 'last-non-pad'];
    expect((await train(whole, ['--steps', '5', ...flags])).code).toBe(0);
    expect((await train(parts, ['--steps', '2', ...flags])).code).toBe(0);
    const resumed = await runCli([
      'classify',
      'train',
      '--model',
      parts,
      '--steps',
      '5',
      '--no-final-eval',
      '--json',
      ...backend,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      jsonLines(resumed.stdout)
        .filter((e) => e.event === 'step')
        .map((e) => e.step),
    ).toEqual([3, 4, 5]);
    for (const file of ['model.safetensors', 'classifier.safetensors']) {
      // Buffer.equals: toEqual compares megabytes element by element, for minutes.
      const [resumedBytes, wholeBytes] = await Promise.all([
        readFile(join(parts, file)),
        readFile(join(whole, file)),
      ]);
      expect(resumedBytes.equals(wholeBytes), file).toBe(true);
    }
    const changed = await runCli(['classify', 'train', '--model', parts, '--batch-size', '8', ...backend]);
    expect(changed.code).toBe(2);
    expect(ownStderr(changed.stderr)).toEqual([
      `scratchgpt: classify train: --batch-size 8 differs from the run in ${parts}, which has 4; a resumed run keeps its data and batches: leave it out`,
    ]);
  });

  it('keeps --split-seed apart from --seed in the run, and a resumed run keeps both', async () => {
    const out = join(work, 'split-seed');
    const flags = ['--steps', '1', '--eval-every', '0', '--no-final-eval'];
    const { code, stderr } = await train(out, [...flags, '--seed', '7', '--split-seed', '123']);
    expect(code, stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'checkpoint.json'), 'utf8'));
    expect(manifest.run).toMatchObject({ seed: 7, splitSeed: 123 });
    const changed = await runCli(['classify', 'train', '--model', out, '--split-seed', '5', ...backend]);
    expect(changed.code).toBe(2);
    expect(ownStderr(changed.stderr)).toEqual([
      `scratchgpt: classify train: --split-seed 5 differs from the run in ${out}, which has 123; a resumed run keeps its data and batches: leave it out`,
    ]);
  });

  it('trains LoRA updates beside the unchanged base weights', async () => {
    const out = join(work, 'lora');
    const { code, stderr } = await train(out, [
      '--steps',
      '2',
      '--lora-rank',
      '2',
      '--lora-alpha',
      '4',
      '--no-final-eval',
    ]);
    expect(code, stderr).toBe(0);
    expect(ownStderr(stderr)[0]).toMatch(/, \d[\d,]* trainable \(LoRA rank 2, alpha 4\)/);
    const settings = JSON.parse(await readFile(join(out, 'classifier.json'), 'utf8'));
    expect(settings).toMatchObject({ trainable: 'lora', lora: { rank: 2, alpha: 4, scaling: 'rank' } });
    expect(existsSync(join(out, 'adapter.safetensors'))).toBe(true);
    const predicted = await runCli([
      'classify',
      'predict',
      '--model',
      out,
      'Win a free prize',
      '--json',
      ...backend,
    ]);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(jsonLines(predicted.stdout)).toHaveLength(1);
  });
});

describe('classify eval and predict', () => {
  it('evaluates a run on its own split, and one split when asked', async () => {
    const { code, stdout, stderr } = await runCli([
      'classify',
      'eval',
      '--model',
      join(work, 'run'),
      '--split',
      'test',
      '--json',
      ...backend,
    ]);
    expect(code, stderr).toBe(0);
    const [result] = jsonLines(stdout);
    expect(Object.keys(result!).sort()).toEqual(['classes', 'event', 'test']);
    expect((result!.test as { examples: number }).examples).toBe(16);
  });

  it('classifies texts from the command line and from stdin, one JSON object each', async () => {
    const model = join(work, 'run', 'checkpoints', 'step-000004');
    const given = await runCli([
      'classify',
      'predict',
      '--model',
      model,
      'Win a free prize now',
      'See you',
      '--json',
      ...backend,
    ]);
    expect(given.code, given.stderr).toBe(0);
    const results = jsonLines(given.stdout);
    expect(results.map((r) => r.text)).toEqual(['Win a free prize now', 'See you']);
    for (const result of results) {
      const p = result.probabilities as Record<string, number>;
      expect(Object.keys(p)).toEqual(['ham', 'spam']);
      expect(p.ham! + p.spam!).toBeCloseTo(1, 6);
      expect(result.label).toBe(p.spam! > p.ham! ? 'spam' : 'ham');
    }
    const piped = await runCli(['classify', 'predict', '--model', model, ...backend], {
      input: 'Win a free prize now\n\nSee you\n',
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(
      piped.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[2]),
    ).toEqual(['Win a free prize now', 'See you']);
  });
});

describe('classify: bad input gets one clear line', () => {
  /** `classify train` on a file holding `content`, with `extra` flags: its exit code and stderr. */
  async function trainOn(name: string, content: string, extra: string[] = []) {
    const path = join(work, name);
    await writeFile(path, content);
    const result = await runCli([
      'classify',
      'train',
      '--config',
      configPath,
      '--data',
      path,
      '--out',
      join(work, `bad-${name}`),
      ...extra,
      ...backend,
    ]);
    return { code: result.code, lines: ownStderr(result.stderr), path };
  }

  it('an empty file', async () => {
    const { code, lines, path } = await trainOn('empty.tsv', '');
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: ${path} is empty: it needs one labelled text per line (label<TAB>text)`,
    ]);
  });

  it('one class only', async () => {
    const { code, lines, path } = await trainOn('one.tsv', 'ham\thi\nham\tthere\n');
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: ${path} has only one label, 'ham': a classifier needs texts of at least two classes`,
    ]);
  });

  it('a label with a line break, quoted in one line', async () => {
    const { code, lines, path } = await trainOn('broken-label.csv', 'label,text\n"ha\nm",hi\n"ha\nm",yo\n');
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: ${path} has only one label, 'ha\\nm': a classifier needs texts of at least two classes`,
    ]);
  });

  it('an unknown label column', async () => {
    const { code, lines, path } = await trainOn('named.csv', 'text,label\nhi,a\nyo,b\n', [
      '--label-column',
      'category',
    ]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `scratchgpt: ${path} has no label column 'category': its first row is "text", "label" (name a column of its header, or give a 0-based index)`,
    ]);
  });

  it('texts longer than the model context', async () => {
    const result = await runCli([
      'classify',
      'train',
      '--config',
      configPath,
      '--out',
      join(work, 'bad-long'),
      ...backend,
    ]);
    expect(result.code).toBe(1);
    expect(ownStderr(result.stderr)).toEqual([
      expect.stringMatching(
        /^scratchgpt: The longest training text of \S+sms-spam-collection\.tsv has 120 tokens, more than the model's context of 32: give a maximum length of at most 32 to truncate longer texts \(--max-length N\)$/,
      ),
    ]);
  });

  it('a GPT where a classifier is needed, and a classifier run given to train', async () => {
    const predict = await runCli([
      'classify',
      'predict',
      '--model',
      join(work, 'run', 'checkpoints'),
      'hi',
      ...backend,
    ]);
    expect(predict.code).toBe(1);
    const gpt = await runCli(['train', '--model', join(work, 'run'), ...backend]);
    expect(gpt.code).toBe(2);
    expect(ownStderr(gpt.stderr)).toEqual([
      `scratchgpt: train: ${join(work, 'run')} is a classifier run: resume it with 'scratchgpt classify train --model ${join(work, 'run')}'`,
    ]);
    const both = await runCli([
      'classify',
      'train',
      '--config',
      configPath,
      '--lora-rank',
      '2',
      '--trainable',
      'all',
      '--out',
      join(work, 'x'),
    ]);
    expect(both.code).toBe(2);
    expect(ownStderr(both.stderr)).toEqual([
      'scratchgpt: --trainable does not go with --lora-rank: LoRA freezes the model and trains its updates alone',
    ]);
  });

  it('a classifier.json with a syntax error across lines, or a padding id outside the vocabulary', async () => {
    const broken = join(work, 'broken-settings');
    cpSync(join(work, 'run', 'checkpoints', 'step-000004'), broken, { recursive: true });
    const settingsPath = join(broken, 'classifier.json');
    const settings = await readFile(settingsPath, 'utf8');
    await writeFile(settingsPath, '{"format":\n\n x\n\n}');
    const syntax = await runCli(['classify', 'predict', '--model', broken, 'hi', ...backend]);
    expect([syntax.code, ownStderr(syntax.stderr)]).toEqual([
      1,
      [`scratchgpt: ${settingsPath} is not valid JSON (unexpected character "x" at character 13)`],
    ]);
    await writeFile(settingsPath, settings.replace('"pad_token_id": 50256', '"pad_token_id": 60000'));
    const pad = await runCli(['classify', 'predict', '--model', broken, 'hi', ...backend]);
    expect([pad.code, ownStderr(pad.stderr)]).toEqual([
      1,
      [
        `scratchgpt: ${settingsPath}: "pad_token_id" 60000 is outside the model's vocabulary of 50257 tokens (ids 0 to 50256)`,
      ],
    ]);
  });

  it('an empty text to classify', async () => {
    const model = join(work, 'run', 'checkpoints', 'step-000004');
    for (const text of ['', '  ']) {
      const result = await runCli(['classify', 'predict', '--model', model, 'See you', text, ...backend]);
      expect([result.code, ownStderr(result.stderr)]).toEqual([
        2,
        ['scratchgpt: classify predict: text 2 is empty: give each text to classify as a non-empty argument'],
      ]);
    }
  });

  it('a classifier given to generate or eval, which need a vocabulary head', async () => {
    const run = join(work, 'run');
    const checkpoint = join(run, 'checkpoints', 'step-000004');
    const uses = [
      [['generate', '--prompt', 'hi'], 'classify predict --model DIR TEXT'],
      [['eval'], 'classify eval --model DIR'],
    ] as const;
    for (const model of [run, checkpoint]) {
      for (const [command, instead] of uses) {
        const result = await runCli([...command, '--model', model, ...backend]);
        expect([result.code, ownStderr(result.stderr)], command[0]).toEqual([
          1,
          [
            `scratchgpt: --model ${model} is a classifier: its head scores classes, not the next token; use 'scratchgpt ${instead.replace('DIR', model)}'`,
          ],
        ]);
      }
    }
  });
});
