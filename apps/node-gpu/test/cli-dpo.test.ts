/**
 * Preference tuning (`instruct dpo`) through the built CLI: a tiny instruction run tuned further on
 * the book's preference pairs, its evaluations, its resume, its errors, and the run used by
 * `instruct respond` and `chat`.
 */
import { cpSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseSafetensors } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, ownStderr, runCli, tinyWorkspace } from './cli-harness.js';

const backend = ['--backend', 'wasm'];
const preferenceData = new URL('../../../data/instruction-data-with-preference.json', import.meta.url)
  .pathname;
let work: string;
/** An instruction run of one step in the phi3 format: the model DPO starts from. */
let tuned: string;
/** Four DPO steps from it, without a stop. */
let straight: string;
let straightEvents: Array<Record<string, unknown>>;
let straightStderr: string;

/** `instruct dpo` on the tiny model: two pairs a batch, a rate a tiny model moves at. */
function dpo(model: string, extra: string[]) {
  return runCli([
    ...['instruct', 'dpo', '--model', model, '--batch-size', '2', '--lr', '1e-2', '--eval-batches', '1'],
    ...extra,
    ...backend,
  ]);
}

beforeAll(async () => {
  assertBuilt();
  // A context that holds the book's longest prompts with some of their answers.
  ({ work } = await tinyWorkspace('scratchgpt-dpo-', { contextLength: 96 }));
  const pretrained = join(work, 'pretrained');
  const pre = await runCli([
    ...['train', '--config', join(work, 'tiny.json'), '--steps', '1', '--eval-every', '0'],
    ...['--out', pretrained, ...backend],
  ]);
  expect(pre.code, pre.stderr).toBe(0);
  tuned = join(work, 'tuned');
  const sft = await runCli([
    ...['instruct', 'train', '--model', pretrained, '--out', tuned, '--format', 'phi3'],
    ...['--steps', '1', '--batch-size', '2', '--eval-every', '0', '--eval-batches', '1', ...backend],
  ]);
  expect(sft.code, sft.stderr).toBe(0);
  straight = join(work, 'dpo-straight');
  const result = await dpo(tuned, ['--out', straight, '--steps', '4', '--eval-every', '2', '--json']);
  expect(result.code, result.stderr).toBe(0);
  straightEvents = jsonLines(result.stdout);
  straightStderr = result.stderr;
}, 120_000);

describe('instruct dpo', () => {
  it('evaluates before the first step (margin 0, loss ln 2), then reports margins and accuracies', () => {
    expect(straightEvents.map((e) => `${e.event}:${e.step}`)).toEqual([
      'eval:0',
      'step:1',
      'eval:1',
      'step:2',
      'step:3',
      'eval:3',
      'step:4',
      'eval:4',
      'checkpoint:4',
      'done:4',
    ]);
    const [before, ...later] = straightEvents.filter((e) => e.event === 'eval') as Array<{
      trainLoss: number;
      valLoss: number;
      train: Record<string, number>;
      validation: Record<string, number>;
    }>;
    // The policy is its reference: every reward is 0, no chosen answer wins, each loss is ln 2.
    expect(before!.trainLoss).toBeCloseTo(Math.LN2, 6);
    expect(before!.valLoss).toBeCloseTo(Math.LN2, 6);
    expect(before!.validation).toEqual({ chosen: 0, rejected: 0, margin: 0, accuracy: 0, pairs: 2 });
    expect(before!.train.pairs).toBe(2);
    // Trained on, the training pairs' chosen answers pull ahead.
    expect(later.at(-1)!.train.margin).toBeGreaterThan(0);
    expect(later.at(-1)!.trainLoss).toBeLessThan(Math.LN2);
    expect(ownStderr(straightStderr)).toEqual([
      `preference-tuning ${tuned} into ${straight}: 1,613,024 parameters; 935 training pairs (467 batches of 2), 55 validation pairs; phi3 prompts; beta 0.1; the reference is a frozen copy of the starting model`,
    ]);
  });

  it('writes a run that records beta, the reference and the prompt format', async () => {
    const manifest = JSON.parse(await readFile(join(straight, 'checkpoint.json'), 'utf8'));
    expect(manifest).toMatchObject({
      task: 'dpo',
      step: 4,
      run: { data: preferenceData, context: 96, batchSize: 2, shuffle: true, seed: 123 },
      instruct: { promptFormat: 'phi3', maskPrompt: false, bucketByLength: false },
      dpo: { beta: 0.1, reference: { kind: 'copy', model: resolve(tuned), step: 1 } },
    });
    expect(existsSync(join(straight, 'loss.svg'))).toBe(true);
    expect(existsSync(join(straight, 'adapter.safetensors'))).toBe(false);
  });

  it('resumes to the same weights as a run without a stop, and refuses another beta', async () => {
    const halves = join(work, 'dpo-halves');
    expect((await dpo(tuned, ['--out', halves, '--steps', '2', '--eval-every', '2'])).code).toBe(0);
    // The run's own flags again: --eval-batches is no setting of the run.
    const resumed = await dpo(halves, ['--steps', '4', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const events = jsonLines(resumed.stdout);
    expect(events.filter((e) => e.event === 'step').map((e) => e.step)).toEqual([3, 4]);
    const weights = (dir: string) => readFile(join(dir, 'model.safetensors'));
    expect((await weights(halves)).equals(await weights(straight))).toBe(true);
    const lastEval = (list: Array<Record<string, unknown>>) => list.filter((e) => e.event === 'eval').at(-1);
    expect(lastEval(events)).toEqual(lastEval(straightEvents));

    const otherBeta = await runCli(['instruct', 'dpo', '--model', halves, '--steps', '5', '--beta', '0.5']);
    expect([otherBeta.code, otherBeta.stderr.trim()]).toEqual([
      2,
      `scratchgpt: instruct dpo: --beta differs from the run in ${halves} (0.1); a resumed run keeps it: leave --beta out, or start a new run from its weights with --out NEW_DIR`,
    ]);
    const asText = await runCli(['train', '--model', halves, '--steps', '5']);
    expect([asText.code, asText.stderr.trim()]).toEqual([
      2,
      `scratchgpt: train: ${halves} is a DPO run: resume it with 'scratchgpt instruct dpo --model ${halves}'`,
    ]);
  });

  it('refuses to resume against a reference that has trained on since', async () => {
    const moving = join(work, 'moving');
    cpSync(tuned, moving, { recursive: true });
    const run = join(work, 'dpo-moving');
    expect((await dpo(moving, ['--out', run, '--steps', '1', '--eval-every', '0'])).code).toBe(0);
    const more = await runCli([...['instruct', 'train', '--model', moving, '--steps', '2'], ...backend]);
    expect(more.code, more.stderr).toBe(0);
    const refused = await runCli(['instruct', 'dpo', '--model', run, '--steps', '2']);
    expect([refused.code, refused.stderr.trim()]).toEqual([
      1,
      `scratchgpt: ${run} measures against ${resolve(moving)} (at step 1 then), which is now at step 2: the run cannot resume against the same reference; start a new run with --model ${run} --out NEW_DIR`,
    ]);
  });

  it('says in one line what is wrong with beta, the data file or its entries', async () => {
    const out = join(work, 'never');
    const zero = await runCli(['instruct', 'dpo', '--model', tuned, '--out', out, '--beta', '0']);
    expect([zero.code, zero.stderr.trim()]).toEqual([2, 'scratchgpt: --beta must be greater than 0, got 0']);
    const missing = join(work, 'no-such.json');
    const noFile = await runCli(['instruct', 'dpo', '--model', tuned, '--out', out, '--data', missing]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr.trim()).toMatch(new RegExp(`^scratchgpt: --data ${missing}: .*no such file`, 'i'));
    const plain = join(work, 'plain.jsonl');
    await writeFile(plain, '{"instruction":"Say hi.","output":"Hi."}\n');
    const noPairs = await runCli(['instruct', 'dpo', '--model', tuned, '--out', out, '--data', plain]);
    expect([noPairs.code, noPairs.stderr.trim()]).toEqual([
      1,
      `scratchgpt: --data ${plain}: line 1 has no "chosen" (every entry needs "instruction", "chosen" and "rejected" strings) (DPO needs a "chosen" and a "rejected" answer per entry)`,
    ]);
    const noOut = await runCli(['instruct', 'dpo', '--model', tuned]);
    expect([noOut.code, noOut.stderr.trim()]).toEqual([
      2,
      `scratchgpt: instruct dpo: give --out DIR for the new run (--model ${tuned} is the model it starts from)`,
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('is a model that instruct respond and chat prompt in its format', async () => {
    const answers = join(work, 'answers.json');
    const respond = await runCli([
      ...['instruct', 'respond', '--model', straight, '--out', answers],
      ...['--limit', '1', '--max-new-tokens', '4', ...backend],
    ]);
    expect(respond.code, respond.stderr).toBe(0);
    expect(ownStderr(respond.stderr)[0]).toBe(`answering 1 test entry with ${straight} (phi3 prompts)`);
    expect(JSON.parse(await readFile(answers, 'utf8'))).toHaveLength(1);
    const chat = await runCli(['chat', '--model', straight, '--max-new-tokens', '4', '--json', ...backend], {
      input: 'Name a colour.\n',
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(jsonLines(chat.stdout).map((line) => line.message)).toEqual(['Name a colour.']);
  });

  it('with --lora-rank, trains updates against the model without them, and respond loads them', async () => {
    const lora = join(work, 'dpo-lora');
    const result = await dpo(tuned, ['--out', lora, '--steps', '2', '--eval-every', '0', '--lora-rank', '2']);
    expect(result.code, result.stderr).toBe(0);
    expect(ownStderr(result.stderr)[0]).toContain(
      'LoRA rank 2, alpha 2: 576 parameters train, the reference is the model without them',
    );
    const tensorsOf = async (path: string) => parseSafetensors(new Uint8Array(await readFile(path))).tensors;
    // The saved weights are the starting model's; the updates are beside them.
    const base = await tensorsOf(join(tuned, 'model.safetensors'));
    const kept = await tensorsOf(join(lora, 'model.safetensors'));
    for (const [name, tensor] of base) expect(kept.get(name)!.data, name).toEqual(tensor.data);
    const adapters = await tensorsOf(join(lora, 'adapter.safetensors'));
    expect([...adapters.get('trf_blocks.0.att.W_query.lora.B')!.data].some((v) => v !== 0)).toBe(true);
    const manifest = JSON.parse(await readFile(join(lora, 'checkpoint.json'), 'utf8'));
    expect(manifest.dpo).toEqual({ beta: 0.1, reference: { kind: 'without-adapters' } });

    const answers = join(work, 'answers-lora.json');
    const respond = await runCli([
      ...['instruct', 'respond', '--model', lora, '--out', answers, '--limit', '1'],
      ...['--max-new-tokens', '4', ...backend],
    ]);
    expect(respond.code, respond.stderr).toBe(0);
    // Loaded with its updates merged: the model's loss is no longer the starting model's.
    const loss = async (model: string) => {
      const run = await runCli(['eval', '--model', model, '--context', '32', '--json', ...backend]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout).loss as number;
    };
    expect(await loss(lora)).not.toBe(await loss(tuned));
  });
});
