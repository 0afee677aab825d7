#!/usr/bin/env node
/**
 * The chapter 7 bonus with OpenAI's GPT-2 medium (355M), for a machine that has its weights (they
 * cannot be downloaded everywhere). Instruction-tunes it as the book does (AdamW 5e-5, weight decay
 * 0.1, 2 epochs of batch 8, no dropout, its own copy of the token embedding as the head), or takes an
 * instruction run given with --sft, then runs the book's DPO: β 0.1, AdamW 5e-6 with weight decay
 * 0.01, one epoch of batch 8 on the 935 training pairs, evaluating every 5 steps on 5 batches.
 * Reports the validation reward margin over training as one JSON object; the book's rises to about
 * 1.9 by the end of the epoch.
 *
 *   node apps/node-gpu/bench/dpo-gpt2-medium.mjs --model DIR [--out runs/gpt2-medium-dpo] [--backend auto]
 *   node apps/node-gpu/bench/dpo-gpt2-medium.mjs --sft RUN   (an `instruct train` run of GPT-2 medium)
 *
 * DIR holds config.json + model.safetensors of openai-community/gpt2-medium (Hugging Face's layout).
 * Every stage runs the built CLI; a completed stage is reused, an interrupted one resumes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { cliStages, runDone } from './cli-stages.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    sft: { type: 'string' },
    out: { type: 'string', default: join('runs', 'gpt2-medium-dpo') },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '123' },
  },
});
const BOOK_FINAL_MARGIN = 1.9;
const hasWeights = (dir) => dir !== undefined && existsSync(join(dir, 'model.safetensors'));
if (!hasWeights(values.model) && !(values.sft && existsSync(join(values.sft, 'checkpoint.json')))) {
  console.error(
    'dpo-gpt2-medium: give --model DIR with config.json + model.safetensors of GPT-2 medium ' +
      '(https://huggingface.co/openai-community/gpt2-medium, or `scratchgpt download gpt2-medium` where the Hub client is available), ' +
      'or --sft RUN, an instruction-tuning run of it',
  );
  process.exit(2);
}
const out = values.out;
const common = ['--backend', values.backend, '--seed', values.seed, '--json'];
await mkdir(out, { recursive: true });

const stage = cliStages(out, common);

/** GPT-2 medium as the book loads it: dropout off, and an output head of its own (a copy of wte). */
async function bookCheckpoint(directory) {
  const target = join(out, 'base');
  if (existsSync(join(target, 'model.safetensors'))) return target;
  await mkdir(target, { recursive: true });
  const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
  for (const key of ['resid_pdrop', 'embd_pdrop', 'attn_pdrop', 'drop_rate'])
    if (key in config) config[key] = 0;
  const bytes = new Uint8Array(await readFile(join(directory, 'model.safetensors')));
  const { tensors, metadata } = parseSafetensors(bytes, 'model.safetensors');
  const wte = tensors.get('wte.weight') ?? tensors.get('transformer.wte.weight');
  const all = new Map(tensors);
  if (wte && !tensors.has('lm_head.weight')) {
    all.set('lm_head.weight', { shape: wte.shape, data: Float32Array.from(wte.data) });
    config.tie_word_embeddings = false;
  }
  await writeFile(join(target, 'model.safetensors'), serializeSafetensors(all, metadata));
  await writeFile(join(target, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return target;
}

// 1. The instruction-tuned model: the book's chapter 7 recipe, unless a run is given.
let sft = values.sft;
let tuning = null;
if (sft === undefined) {
  sft = join(out, 'sft');
  const base = await bookCheckpoint(values.model);
  tuning = await stage(
    'sft',
    runDone(sft)
      ? ['instruct', 'train', '--model', sft, '--epochs', '2']
      : [
          ...['instruct', 'train', '--model', base, '--out', sft, '--epochs', '2', '--batch-size', '8'],
          ...['--lr', '5e-5', '--weight-decay', '0.1', '--eval-every', '5', '--eval-batches', '5'],
        ],
  );
}

// 2. DPO, the book's settings.
const dpoRun = join(out, 'dpo');
const dpo = await stage(
  'dpo',
  runDone(dpoRun)
    ? ['instruct', 'dpo', '--model', dpoRun, '--epochs', '1']
    : [
        ...['instruct', 'dpo', '--model', sft, '--out', dpoRun, '--beta', '0.1', '--lr', '5e-6'],
        ...[
          '--weight-decay',
          '0.01',
          '--epochs',
          '1',
          '--batch-size',
          '8',
          '--eval-every',
          '5',
          '--eval-batches',
          '5',
        ],
      ],
);
const evals = dpo.events.filter((e) => e.event === 'eval');
const last = evals.at(-1);
console.log(
  JSON.stringify(
    {
      sft: tuning && {
        run: sft,
        minutes: tuning.seconds / 60,
        validationLoss: tuning.events.filter((e) => e.event === 'eval').at(-1)?.valLoss,
      },
      dpo: {
        run: dpoRun,
        minutes: dpo.seconds / 60,
        steps: dpo.events.at(-1)?.step,
        validationMarginOverTraining: evals.map((e) => [e.step, e.validation.margin]),
        finalValidationMargin: last?.validation.margin,
        finalValidationAccuracy: last?.validation.accuracy,
        finalTrainMargin: last?.train.margin,
        bookFinalMargin: BOOK_FINAL_MARGIN,
      },
    },
    null,
    2,
  ),
);
