#!/usr/bin/env node
/**
 * Chapter 7 end to end on a CPU, with a GPT small enough for two cores: pretrain it on the bundled
 * tinyshakespeare, instruction-tune it on the book's 935 training entries (2 epochs, batch 8), answer
 * the 110 test entries greedily (at most 256 new tokens, stopping at <|endoftext|>), and report the
 * validation loss before and after tuning, the times, three test answers and how many answers ended
 * at <|endoftext|> rather than at the token limit. Every stage runs the built CLI, as a user would.
 *
 *   node apps/node-gpu/bench/instruct-end-to-end.mjs [--out runs/instruct-e2e] [--backend auto]
 *        [--pretrain-steps 120] [--epochs 2] [--lr 1e-3] [--emb 48] [--layers 3] [--heads 3]
 *
 * The model: GPT-2's vocabulary, context 128 (the book's longest entry is 91 tokens), no dropout (the
 * book fine-tunes without). A completed stage is reused (its events are kept in OUT), an interrupted one resumes: run it again.
 * Prints one JSON object at the end.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliStages, runDone } from './cli-stages.mjs';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join('runs', 'instruct-e2e') },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '123' },
    'pretrain-steps': { type: 'string', default: '120' },
    epochs: { type: 'string', default: '2' },
    lr: { type: 'string', default: '1e-3' },
    emb: { type: 'string', default: '48' },
    layers: { type: 'string', default: '3' },
    heads: { type: 'string', default: '3' },
  },
});
const corpus = fileURLToPath(new URL('../../../data/tinyshakespeare.txt', import.meta.url));
const out = values.out;
const config = {
  vocabSize: 50257,
  contextLength: 128,
  embDim: Number(values.emb),
  nHeads: Number(values.heads),
  nLayers: Number(values.layers),
  dropRate: 0,
  qkvBias: false,
};
const common = ['--backend', values.backend, '--seed', values.seed, '--json'];

const stage = cliStages(out, common);
await mkdir(out, { recursive: true });
const configPath = join(out, 'config.json');
await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

// 1. Pretraining on tinyshakespeare.
const pretrained = join(out, 'pretrained');
const pretrainSteps = values['pretrain-steps'];
const pretraining = await stage(
  'pretraining',
  runDone(pretrained)
    ? ['train', '--model', pretrained, '--steps', pretrainSteps]
    : [
        'train',
        '--data',
        corpus,
        '--config',
        configPath,
        '--batch-size',
        '8',
        '--lr',
        '1e-3',
        '--steps',
        pretrainSteps,
        '--eval-every',
        '40',
        '--eval-batches',
        '5',
        '--out',
        pretrained,
      ],
);

// 2. Instruction tuning: the book's split and batches (validation loss over all 55 entries: 7 batches).
const tuned = join(out, 'instruct');
const tuning = await stage(
  'tuning',
  runDone(tuned)
    ? ['instruct', 'train', '--model', tuned, '--epochs', values.epochs]
    : [
        'instruct',
        'train',
        '--model',
        pretrained,
        '--out',
        tuned,
        '--epochs',
        values.epochs,
        '--batch-size',
        '8',
        '--lr',
        values.lr,
        '--eval-every',
        '29',
        '--eval-batches',
        '7',
      ],
);
const evals = tuning.events.filter((e) => e.event === 'eval');

// 3. The 110 test answers.
const responsesPath = join(out, 'responses.json');
const answering = await stage('responses', [
  'instruct',
  'respond',
  '--model',
  tuned,
  '--out',
  responsesPath,
  '--force',
]);
const summary = answering.events.at(-1);
const responses = JSON.parse(await readFile(responsesPath, 'utf8'));

console.log(
  JSON.stringify(
    {
      config,
      backend: values.backend,
      pretraining: { steps: Number(pretrainSteps), seconds: Math.round(pretraining.seconds) },
      tuning: {
        epochs: Number(values.epochs),
        lr: Number(values.lr),
        steps: tuning.events.at(-1)?.step,
        seconds: Math.round(tuning.seconds),
        validationLossBefore: evals[0]?.step === 0 ? evals[0].valLoss : null,
        validationLossAfter: evals.at(-1)?.valLoss,
      },
      responses: {
        count: summary.responses,
        endedAtEndOfText: summary.endedAtEndOfText,
        endedAtTokenLimit: summary.endedAtTokenLimit,
        share: summary.endedAtEndOfText / summary.responses,
        seconds: Math.round(answering.seconds),
        examples: responses.slice(0, 3).map(({ instruction, input, output, model_response }) => ({
          instruction,
          input,
          output,
          model_response,
        })),
      },
    },
    null,
    2,
  ),
);
