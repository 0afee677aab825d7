#!/usr/bin/env node
/**
 * Chapter 6 end to end on this machine, without downloaded weights: fine-tunes small GPTs on the SMS
 * Spam Collection (the book's balanced 1,045 / 149 / 300 split) with `scratchgpt classify train` and
 * reports each variant's accuracy on every split, its steps and its wall time:
 *
 *   random-last-non-pad   random weights, everything trains (the book's ablation), last-non-pad pooling
 *   random-last           the same with the book's last-position pooling
 *   pretrained-lora       a GPT pretrained here first (next-token loss on Tiny Shakespeare), then LoRA
 *   pretrained-last-block the same GPT, the book's recipe: last block, final norm and head train
 *   pretrained-all        the same GPT, everything trains, last-non-pad pooling
 *   random-lora           LoRA on random frozen weights
 *   adapted-lora          the pretrained GPT trained on further (next-token loss, no labels) on the SMS
 *                         texts outside the validation and test splits, then LoRA
 *   adapted-all           the same adapted GPT, everything trains
 *
 * LoRA's rate warms up for `--lora-warmup-steps` (65, half an epoch) and then decays on a cosine to 0;
 * `--lora-warmup-steps 0` keeps it constant (the earlier recipe, whose outcome moved from 88% to 96%
 * between seeds).
 *
 * LoRA leaves the token embeddings as the base has them: tokens that Shakespeare never shows (digits,
 * URLs, "txt") keep near-random vectors. The adapted base has seen them, without seeing a label or a
 * held-out text (texts equal to a held-out one are left out too, as the collection repeats some).
 *
 * For each classifier it also counts how many test predictions change when the same texts are
 * classified without their padding: with the book's last-position pooling the prediction of every text
 * shorter than the longest is read from a pad token; last-non-pad pooling reads the text's own last
 * token, so its count is zero by design (measured all the same).
 *
 *   node apps/node-gpu/bench/classify-sms.mjs [--config gpt-micro] [--epochs 5 | --max-steps N]
 *        [--lr 5e-4] [--lora-lr 2e-3] [--lora-rank 16] [--lora-alpha RANK] [--lora-warmup-steps 65]
 *        [--pretrain-steps 600] [--adapt-steps 300] [--variants a,b,…] [--seed 123] [--seeds N|a,b,…]
 *        [--kernels Haswell,SkylakeX] [--no-pytorch] [--markdown]
 *        [--backend auto] [--out runs/classify-sms] [--bases DIR]
 *
 * Seeds: every classifier trains once per seed of `--seeds` (a count from `--seed`, or a list). The
 * seed sets the new weights (the class head, LoRA's updates, the whole GPT of a random variant) and
 * the order of the training batches; the split stays the book's (`--split-seed 123`), and the
 * pretrained and adapted GPTs are trained once (the CLI's default seed) and shared by every seed.
 * `--kernels` runs the whole set again under each OpenBLAS kernel set named, each in a process of its
 * own with `OPENBLAS_CORETYPE` set (OpenBLAS reads it once, when it loads), into OUT/kernels-SET; the
 * GPTs they start from are trained once, under the first set, into `--bases` (OUT).
 * `--max-steps N` trains each classifier N steps instead of `--epochs` (a smoke test of the bench).
 *
 * Step times are compared with the PyTorch reference's on the same recipe (same sizes, trainable part,
 * pooling, batch shape; tools/reference/classify_bench.py with every core and the fastest of OpenBLAS's
 * kernel sets for this CPU), timed once per variant, before its first seed (under `--kernels`, in
 * the first set's process): `secondsPerStep` is the mean over a run's steps (evaluations not
 * included), `pytorchSecondsPerStep` the baseline's, `ratio` = ours / PyTorch's (below 1 is faster).
 *
 * Runs resume: interrupt it and start it again with the same --out (a finished run's result is kept
 * in its directory, so the same command with `--markdown` reprints the table at once). Prints one JSON
 * line per variant and seed ({"type":"run",…}), then {"type":"summary","variants":[…]} with the mean,
 * minimum and maximum of each figure per variant and kernel set (also written to OUT/summary.json),
 * and the README's table on stderr; `--markdown` prints the table alone on stdout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  backendKernels,
  formatRange,
  kernelList,
  markdownTable,
  meanStepSeconds,
  positiveFlag,
  readFlags,
  seedList,
  seedsCell,
  summarize,
  UsageError,
} from './seed-runs.mjs';

const options = {
  config: { type: 'string', default: 'gpt-micro' },
  epochs: { type: 'string', default: '5' },
  'max-steps': { type: 'string' },
  lr: { type: 'string', default: '5e-4' },
  'lora-lr': { type: 'string', default: '2e-3' },
  'lora-rank': { type: 'string', default: '16' },
  'lora-alpha': { type: 'string' },
  'lora-warmup-steps': { type: 'string', default: '65' },
  'pretrain-steps': { type: 'string', default: '600' },
  'adapt-steps': { type: 'string', default: '300' },
  variants: {
    type: 'string',
    default:
      'random-last-non-pad,random-last,pretrained-lora,pretrained-last-block,pretrained-all,random-lora,adapted-lora,adapted-all',
  },
  seed: { type: 'string', default: '123' },
  seeds: { type: 'string' },
  kernels: { type: 'string' },
  'no-pytorch': { type: 'boolean' },
  markdown: { type: 'boolean' },
  backend: { type: 'string', default: 'auto' },
  out: { type: 'string', default: join('runs', 'classify-sms') },
  bases: { type: 'string' },
};
const { values } = parseArgs({ options });
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const shakespeare = fileURLToPath(new URL('../../../data/tinyshakespeare.txt', import.meta.url));
const common = ['--backend', values.backend, '--json'];
const bases = values.bases ?? values.out;
const pretrained = join(bases, 'pretrained');
const adapted = join(bases, 'adapted');
const smsData = fileURLToPath(new URL('../../../data/sms-spam-collection.tsv', import.meta.url));

/** LoRA's flags, the same for every base. */
const lora = [
  '--lora-rank',
  values['lora-rank'],
  '--lora-alpha',
  values['lora-alpha'] ?? values['lora-rank'],
  '--lr',
  values['lora-lr'],
  // Warmup, then a cosine decay to 0 (the CLI's schedule with --warmup-steps); 0: a constant rate.
  ...(values['lora-warmup-steps'] !== '0' ? ['--warmup-steps', values['lora-warmup-steps']] : []),
  '--pooling',
  'last-non-pad',
];

const variants = {
  'random-last-non-pad': ['--config', values.config, '--trainable', 'all', '--pooling', 'last-non-pad'],
  'random-last': ['--config', values.config, '--trainable', 'all', '--pooling', 'last'],
  'pretrained-lora': ['--model', pretrained, ...lora],
  'pretrained-last-block': ['--model', pretrained, '--trainable', 'last-block', '--pooling', 'last-non-pad'],
  'pretrained-all': ['--model', pretrained, '--trainable', 'all', '--pooling', 'last-non-pad'],
  'adapted-lora': ['--model', adapted, ...lora],
  'adapted-all': ['--model', adapted, '--trainable', 'all', '--pooling', 'last-non-pad'],
  'random-lora': ['--config', values.config, ...lora],
};

/** Runs the CLI with --json; returns its events, the backend it chose and the wall seconds. */
function run(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args, ...common], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events = [];
    let backend = null;
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      process.stderr.write(chunk);
      backend ??= /^backend: (\S+)/m.exec(chunk)?.[1] ?? null;
    });
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line);
        events.push(event);
        if (event.event === 'eval') {
          const accuracy =
            event.valAccuracy == null ? '' : `, val accuracy ${(100 * event.valAccuracy).toFixed(1)}%`;
          console.error(`  step ${event.step}: loss ${event.trainLoss.toFixed(3)}${accuracy}`);
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ events, backend, seconds: (performance.now() - started) / 1000 })
        : reject(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}

/**
 * The OpenBLAS kernel sets this CPU runs: Debian's 0.3.21 does not know recent CPUs and falls back to
 * SSE3 unless one is named.
 */
function openblasCoretypes() {
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  if (/\bavx512f\b/.test(flags)) return ['SkylakeX', 'Haswell'];
  return /\bavx2\b/.test(flags) ? ['Haswell', 'Zen'] : [undefined];
}

/**
 * The PyTorch reference's seconds per step for a variant's recipe, with every core and each kernel set
 * this CPU runs, the fastest kept; null where PyTorch is missing.
 */
function pytorchStep(args) {
  const script = fileURLToPath(new URL('../../../tools/reference/classify_bench.py', import.meta.url));
  const option = (name) => args[args.indexOf(name) + 1];
  const part = args.includes('--lora-rank')
    ? ['--lora-rank', option('--lora-rank')]
    : ['--trainable', option('--trainable')];
  const threads = String(availableParallelism());
  let best = null;
  for (const coretype of openblasCoretypes()) {
    try {
      const out = execFileSync(
        '/usr/bin/python3',
        [
          script,
          '--config',
          values.config,
          ...part,
          '--pooling',
          option('--pooling'),
          '--steps',
          '20',
          '--threads',
          threads,
        ],
        { encoding: 'utf8', env: { ...process.env, ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}) } },
      );
      const result = JSON.parse(out.trim().split('\n').at(-1));
      if (best == null || result.secondsPerStep < best.secondsPerStep) best = result;
    } catch (error) {
      console.error(`  no PyTorch baseline: ${error.message.split('\n')[0]}`);
      return null;
    }
  }
  return best;
}

/** How many test predictions of a classifier change when its texts are classified without padding. */
async function paddingFlips(directory) {
  const { CLASSIFIER_SETTINGS_FILE, prepareClassificationData } = await import('@scratchgpt/classifier');
  const { loadClassifierDirectory } = await import('@scratchgpt/classifier/node');
  const { tf } = await import('@scratchgpt/tensor');
  const { getGPT2Tokenizer } = await import('@scratchgpt/tokenizer');
  await backendKernels(values.backend);
  const settings = JSON.parse(await readFile(join(directory, CLASSIFIER_SETTINGS_FILE), 'utf8'));
  const { classifier } = await loadClassifierDirectory(directory);
  const data = prepareClassificationData(await readFile(smsData, 'utf8'), {
    format: 'tsv',
    tokenizer: getGPT2Tokenizer(),
    classes: settings.classes,
    maxLength: settings.max_length,
  });
  classifier.eval();
  const dataset = data.test.loader.dataset;
  let flips = 0;
  for (let i = 0; i < dataset.length; i++) {
    const { ids, length } = dataset.get(i);
    const [padded, bare] = tf.tidy(() => [
      tf.argMax(classifier.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), [length]), -1),
      tf.argMax(classifier.forward(tf.tensor2d(ids.subarray(0, length), [1, length], 'int32'), [length]), -1),
    ]);
    if ((await padded.data())[0] !== (await bare.data())[0]) flips++;
    tf.dispose([padded, bare]);
  }
  classifier.dispose();
  return { texts: dataset.length, flips };
}

/** The GPT the pretrained variants start from: next-token training on Tiny Shakespeare (resumable). */
async function ensurePretrained() {
  if (existsSync(join(pretrained, 'checkpoint.json'))) return;
  console.error(`pretraining ${values.config} on Tiny Shakespeare for ${values['pretrain-steps']} steps…`);
  const { seconds } = await run([
    'train',
    '--config',
    values.config,
    '--data',
    shakespeare,
    '--context',
    '128',
    '--batch-size',
    '8',
    '--steps',
    values['pretrain-steps'],
    '--eval-every',
    '200',
    '--out',
    pretrained,
  ]);
  console.error(`pretrained in ${(seconds / 60).toFixed(1)} min`);
}

/**
 * The SMS texts a classifier may learn from without labels: every text outside the book's validation
 * and test splits, less any text equal to one inside them.
 */
async function unlabelledTrainingTexts() {
  const { prepareClassificationData, readLabelledTexts } = await import('@scratchgpt/classifier');
  const { getGPT2Tokenizer } = await import('@scratchgpt/tokenizer');
  const content = await readFile(smsData, 'utf8');
  const texts = readLabelledTexts(content, { format: 'tsv' }).map(({ text }) => text);
  const data = prepareClassificationData(content, { format: 'tsv', tokenizer: getGPT2Tokenizer() });
  const heldOut = new Set([...data.validation.rows, ...data.test.rows].map((row) => texts[row]));
  return texts.filter((text) => !heldOut.has(text));
}

/** The pretrained GPT trained on further on the SMS texts the classifiers may see (resumable). */
async function ensureAdapted() {
  if (existsSync(join(adapted, 'checkpoint.json'))) return;
  await ensurePretrained();
  const texts = await unlabelledTrainingTexts();
  const corpus = join(bases, 'sms-unlabelled.txt');
  await writeFile(corpus, `${texts.join('\n')}\n`);
  console.error(
    `adapting the pretrained GPT to ${texts.length} SMS texts for ${values['adapt-steps']} steps…`,
  );
  const { seconds } = await run([
    'train',
    '--model',
    join(pretrained, 'checkpoints', `step-${values['pretrain-steps'].padStart(6, '0')}`),
    '--data',
    corpus,
    '--context',
    '128',
    '--batch-size',
    '8',
    '--steps',
    values['adapt-steps'],
    '--eval-every',
    '100',
    '--out',
    adapted,
  ]);
  console.error(`adapted in ${(seconds / 60).toFixed(1)} min`);
}

const baselines = new Map();
/** PyTorch's seconds per step for a variant's recipe, timed once per process (null with --no-pytorch). */
function baselineOf(name) {
  if (values['no-pytorch']) return null;
  if (!baselines.has(name)) baselines.set(name, pytorchStep(variants[name]));
  return baselines.get(name);
}

/**
 * The first 16 hex digits of the SHA-256 of the GPT a variant starts from (null for random weights):
 * runs on two machines, or in two sessions, compare only where their bases are the same bytes.
 */
async function baseDigest(name) {
  const base = name.startsWith('pretrained') ? pretrained : name.startsWith('adapted') ? adapted : null;
  if (base === null) return null;
  const bytes = await readFile(join(base, 'model.safetensors'));
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Trains and measures one classifier: a variant with a seed; its result is kept in its directory. */
async function runVariant(name, seed) {
  const out = join(values.out, `${name}-seed-${seed}`);
  const saved = join(out, 'bench-result.json');
  if (existsSync(saved)) return JSON.parse(await readFile(saved, 'utf8'));
  if (name.startsWith('pretrained')) await ensurePretrained();
  if (name.startsWith('adapted')) await ensureAdapted();
  const baseline = baselineOf(name);
  const length = values['max-steps'] ? ['--steps', values['max-steps']] : ['--epochs', values.epochs];
  const resumed = existsSync(join(out, 'checkpoint.json'));
  const args = resumed
    ? ['classify', 'train', '--model', out] // resume
    : [
        'classify',
        'train',
        ...variants[name],
        ...length,
        '--out',
        out,
        ...(variants[name].includes('--lr') ? [] : ['--lr', values.lr]),
        // The seed sets the new weights and the batch order; the split stays the book's.
        '--seed',
        String(seed),
        '--split-seed',
        '123',
      ];
  console.error(`${name}, seed ${seed}: ${args.slice(2).join(' ')}`);
  const { events, backend, seconds } = await run(args);
  const evaluation = events.find((event) => event.event === 'evaluation');
  const done = events.find((event) => event.event === 'done');
  const steps = events.filter((event) => event.event === 'step');
  const { secondsPerStep, timed } = meanStepSeconds(steps);
  const percent = (split) =>
    evaluation?.[split] ? Number((100 * evaluation[split].accuracy).toFixed(2)) : null;
  const padding = await paddingFlips(out);
  const result = {
    type: 'run',
    variant: name,
    seed,
    config: values.config,
    base: await baseDigest(name),
    backend,
    kernels: await backendKernels(values.backend),
    steps: done?.step ?? null,
    // A resumed run's wall time covers only what was left of it: no figure.
    resumed,
    seconds: resumed ? null : Number(seconds.toFixed(1)),
    minutes: resumed ? null : Number((seconds / 60).toFixed(2)),
    trainAccuracy: percent('train'),
    validationAccuracy: percent('validation'),
    testAccuracy: percent('test'),
    testConfusion: evaluation?.test?.confusion ?? null,
    padding,
    paddingFlips: padding.flips,
    secondsPerStep: secondsPerStep == null ? null : Number(secondsPerStep.toFixed(3)),
    stepsTimed: timed,
    pytorchSecondsPerStep: baseline?.secondsPerStep ?? null,
    ratio:
      baseline && secondsPerStep != null
        ? Number((secondsPerStep / baseline.secondsPerStep).toFixed(2))
        : null,
    pytorchThreads: baseline?.threads ?? null,
    pytorchKernels: baseline?.openblasCoretype ?? null,
  };
  await writeFile(saved, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** This script again under each kernel set, one process each; returns their runs. */
async function runUnderKernels(sets) {
  const forwarded = Object.entries(values).flatMap(([name, value]) => {
    if (['kernels', 'markdown', 'out', 'bases'].includes(name)) return [];
    if (options[name].type === 'boolean') return value ? [`--${name}`] : [];
    return [`--${name}`, value];
  });
  const script = fileURLToPath(import.meta.url);
  const records = [];
  for (const [i, set] of sets.entries()) {
    console.error(`\nOpenBLAS kernel set ${set}:`);
    const args = [
      ...forwarded,
      '--out',
      join(values.out, `kernels-${set}`),
      '--bases',
      bases,
      // One PyTorch baseline is enough: it tries every kernel set itself.
      ...(i > 0 && !values['no-pytorch'] ? ['--no-pytorch'] : []),
    ];
    const output = execFileSync(process.execPath, [script, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, OPENBLAS_CORETYPE: set },
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    records.push(...lines.filter((line) => line.type === 'run'));
  }
  return records;
}

/** The variant as the README's table names it, from the recipe's flags. */
function describeVariant(name) {
  const schedule =
    values['lora-warmup-steps'] !== '0'
      ? `, ${values['lora-warmup-steps']} warmup steps then cosine to 0`
      : '';
  const loraRecipe = `LoRA rank ${values['lora-rank']}, alpha ${values['lora-alpha'] ?? values['lora-rank']} (lr ${values['lora-lr']}${schedule})`;
  const labels = {
    'adapted-lora': `adapted (below), ${loraRecipe}`,
    'adapted-all': `adapted, all trainable (lr ${values.lr})`,
    'pretrained-all': `pretrained here (${values['pretrain-steps']} steps of Tiny Shakespeare), all trainable`,
    'pretrained-lora': `pretrained here, ${loraRecipe}`,
    'pretrained-last-block': `pretrained here, the book's last block trainable (lr ${values.lr})`,
    'random-last-non-pad': 'random weights, all trainable, last-non-pad pooling',
    'random-last': "random weights, all trainable, the book's last-position pooling",
    'random-lora': `random weights, ${loraRecipe}`,
  };
  return labels[name];
}

/** The README's table: one row per variant and kernel set, each figure over the seeds. */
function readmeTable(summary) {
  const length = values['max-steps'] ? `${values['max-steps']} steps` : `${values.epochs} epochs`;
  const header = [
    `variant (${length}, batch 8)`,
    'kernels',
    'seeds',
    'test accuracy',
    'validation accuracy',
    's/step',
    'time per run',
  ];
  const rows = summary.map((row) => [
    describeVariant(row.variant),
    row.kernels ?? '–',
    seedsCell(row.seeds),
    formatRange(row.testAccuracy, { unit: '%' }),
    formatRange(row.validationAccuracy, { unit: '%' }),
    formatRange(row.secondsPerStep, { digits: 3 }),
    formatRange(row.minutes, { digits: 1, unit: ' min' }),
  ]);
  return markdownTable(header, rows);
}

async function main() {
  const { chosen, seeds, sets } = readFlags('classify-sms.mjs', () => {
    const chosen = values.variants.split(',');
    const unknown = chosen.filter((name) => !(name in variants));
    if (unknown.length > 0)
      throw new UsageError(
        `--variants: ${unknown.join(', ')} unknown; choose from ${Object.keys(variants).join(', ')}`,
      );
    positiveFlag('max-steps', values['max-steps']);
    if (values['lora-warmup-steps'] !== '0') positiveFlag('lora-warmup-steps', values['lora-warmup-steps']);
    return { chosen, seeds: seedList(values.seeds, Number(values.seed)), sets: kernelList(values.kernels) };
  });
  await mkdir(values.out, { recursive: true });
  const records = [];
  if (sets[0] !== undefined) {
    records.push(...(await runUnderKernels(sets)));
  } else {
    for (const name of chosen) {
      for (const seed of seeds) {
        const result = await runVariant(name, seed);
        records.push(result);
        if (!values.markdown) console.log(JSON.stringify(result));
      }
    }
  }
  const summary = summarize(records, {
    keys: ['variant', 'kernels'],
    fields: [
      'testAccuracy',
      'validationAccuracy',
      'trainAccuracy',
      'steps',
      'secondsPerStep',
      'seconds',
      'minutes',
      'paddingFlips',
    ],
  });
  await writeFile(join(values.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const table = readmeTable(summary);
  if (values.markdown) {
    console.log(table);
  } else {
    if (sets[0] !== undefined) for (const record of records) console.log(JSON.stringify(record));
    console.log(JSON.stringify({ type: 'summary', variants: summary }));
    console.error(`\n${table}`);
  }
}

await main();
