#!/usr/bin/env node
/**
 * Chapter 7 end to end on a CPU, with a GPT small enough for two cores: pretrain it on the bundled
 * tinyshakespeare, instruction-tune it on the book's 935 training entries (2 epochs, batch 8), answer
 * the 110 test entries greedily (at most 256 new tokens, stopping at <|endoftext|>), and report the
 * validation loss before and after tuning, the times, three test answers and how many answers ended
 * at <|endoftext|> rather than at the token limit. Every stage runs the built CLI, as a user would.
 *
 *   node apps/node-gpu/bench/instruct-end-to-end.mjs [--out runs/instruct-e2e] [--backend auto]
 *        [--pretrain-steps 120] [--epochs 2 | --max-steps N] [--lr 1e-3] [--emb 48] [--layers 3]
 *        [--heads 3] [--seed 123] [--seeds N|a,b,…] [--limit N] [--max-new-tokens 256] [--markdown]
 *
 * The model: GPT-2's vocabulary, context 128 (the book's longest entry is 91 tokens), no dropout (the
 * book fine-tunes without). Pretraining runs once, with `--seed`; tuning and answering run once per
 * seed of `--seeds` (a count from `--seed`, or a list), into OUT/seed-S. The book's split is in file
 * order, so a seed changes only the order of the tuning batches. `--max-steps N` tunes N steps instead
 * of `--epochs` and `--limit N` answers the first N test entries (a smoke test of the bench). A
 * completed stage is reused (its events are kept in OUT), an interrupted one resumes: run it again.
 * Prints one JSON line per seed ({"type":"run",…}), then {"type":"summary",…} with the mean, minimum
 * and maximum of each figure, and the README's table on stderr; `--markdown` prints the table alone.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliStages, runDone } from './cli-stages.mjs';
import {
  backendKernels,
  formatRange,
  markdownTable,
  meanStepSeconds,
  positiveFlag,
  readFlags,
  seedList,
  seedsCell,
  summarize,
} from './seed-runs.mjs';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join('runs', 'instruct-e2e') },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '123' },
    seeds: { type: 'string' },
    'max-steps': { type: 'string' },
    limit: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '256' },
    markdown: { type: 'boolean' },
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
const seeds = readFlags('instruct-end-to-end.mjs', () => {
  positiveFlag('max-steps', values['max-steps']);
  positiveFlag('limit', values.limit);
  positiveFlag('max-new-tokens', values['max-new-tokens']);
  return seedList(values.seeds, Number(values.seed));
});
const commonFor = (seed) => ['--backend', values.backend, '--seed', String(seed), '--json'];

await mkdir(out, { recursive: true });
const configPath = join(out, 'config.json');
await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

// 1. Pretraining on tinyshakespeare, once: every seed tunes the same model.
const pretrained = join(out, 'pretrained');
const pretrainSteps = values['pretrain-steps'];
const pretraining = await cliStages(out, commonFor(Number(values.seed)))(
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

/** Tunes the pretrained model with one seed and answers the test entries; the figures of the run. */
async function tuneAndAnswer(seed) {
  const dir = join(out, `seed-${seed}`);
  await mkdir(dir, { recursive: true });
  const stage = cliStages(dir, commonFor(seed));
  // 2. Instruction tuning: the book's split and batches (validation loss over all 55 entries: 7 batches).
  const length = values['max-steps'] ? ['--steps', values['max-steps']] : ['--epochs', values.epochs];
  const tuned = join(dir, 'instruct');
  const tuning = await stage(
    'tuning',
    runDone(tuned)
      ? ['instruct', 'train', '--model', tuned, ...length]
      : [
          'instruct',
          'train',
          '--model',
          pretrained,
          '--out',
          tuned,
          ...length,
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
  // 3. The test answers (110, or --limit).
  const responsesPath = join(dir, 'responses.json');
  const answering = await stage('responses', [
    'instruct',
    'respond',
    '--model',
    tuned,
    '--out',
    responsesPath,
    '--max-new-tokens',
    values['max-new-tokens'],
    ...(values.limit ? ['--limit', values.limit] : []),
    '--force',
  ]);
  const answered = answering.events.at(-1);
  const responses = JSON.parse(await readFile(responsesPath, 'utf8'));
  const { secondsPerStep, timed } = meanStepSeconds(tuning.events.filter((e) => e.event === 'step'));
  return {
    type: 'run',
    seed,
    kernels: await backendKernels(values.backend),
    steps: tuning.events.at(-1)?.step,
    tuningSeconds: Math.round(tuning.seconds),
    secondsPerStep: secondsPerStep == null ? null : Number(secondsPerStep.toFixed(3)),
    stepsTimed: timed,
    validationLossBefore: evals[0]?.step === 0 ? evals[0].valLoss : null,
    validationLossAfter: evals.at(-1)?.valLoss ?? null,
    responses: answered.responses,
    endedAtEndOfText: answered.endedAtEndOfText,
    endedAtTokenLimit: answered.endedAtTokenLimit,
    endOfTextShare: answered.endedAtEndOfText / answered.responses,
    emptyAnswers: responses.filter(({ model_response }) => model_response === '').length,
    responsesSeconds: Math.round(answering.seconds),
    examples: responses.slice(0, 3).map(({ instruction, input, output, model_response }) => ({
      instruction,
      input,
      output,
      model_response,
    })),
  };
}

const runs = [];
for (const seed of seeds) {
  const run = await tuneAndAnswer(seed);
  runs.push(run);
  if (!values.markdown) console.log(JSON.stringify(run));
}
const [summary] = summarize(runs, {
  keys: ['kernels'],
  fields: [
    'validationLossBefore',
    'validationLossAfter',
    'endOfTextShare',
    'emptyAnswers',
    'steps',
    'secondsPerStep',
    'tuningSeconds',
  ],
});
const percent = (stat) =>
  stat && { ...stat, mean: 100 * stat.mean, min: 100 * stat.min, max: 100 * stat.max };
const length = values['max-steps'] ? `${values['max-steps']} steps` : `${values.epochs} epochs`;
const table = markdownTable(
  [
    'model (GPT-2 vocabulary, context 128)',
    'tuned',
    'kernels',
    'seeds',
    'validation loss before → after',
    'answers ending at `<|endoftext|>`',
    's/step',
    'tuning time',
  ],
  [
    [
      `${config.embDim}-d, ${config.nLayers} layers, pretrained ${pretrainSteps} steps`,
      length,
      summary.kernels,
      seedsCell(summary.seeds),
      `${formatRange(summary.validationLossBefore)} → ${formatRange(summary.validationLossAfter)}`,
      formatRange(percent(summary.endOfTextShare), { digits: 1, unit: '%' }),
      formatRange(summary.secondsPerStep, { digits: 3 }),
      formatRange(summary.tuningSeconds, { digits: 0, unit: ' s' }),
    ],
  ],
);
if (values.markdown) {
  console.log(table);
} else {
  console.log(
    JSON.stringify({
      type: 'summary',
      config,
      backend: values.backend,
      pretraining: {
        steps: Number(pretrainSteps),
        seed: Number(values.seed),
        seconds: Math.round(pretraining.seconds),
      },
      tuning: {
        epochs: values['max-steps'] ? null : Number(values.epochs),
        maxSteps: values['max-steps'] ? Number(values['max-steps']) : null,
        lr: Number(values.lr),
      },
      ...summary,
    }),
  );
  console.error(`\n${table}`);
}
