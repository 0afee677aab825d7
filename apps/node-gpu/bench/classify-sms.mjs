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
 * LoRA leaves the token embeddings as the base has them: tokens that Shakespeare never shows (digits,
 * URLs, "txt") keep near-random vectors. The adapted base has seen them, without seeing a label or a
 * held-out text (texts equal to a held-out one are left out too, as the collection repeats some).
 *
 * For each classifier it also counts how many test predictions change when the same texts are
 * classified without their padding: with the book's last-position pooling the prediction of every text
 * shorter than the longest is read from a pad token; last-non-pad pooling reads the text's own last
 * token, so its count is zero by design (measured all the same).
 *
 *   node apps/node-gpu/bench/classify-sms.mjs [--config gpt-micro] [--epochs 5] [--lr 5e-4]
 *        [--lora-lr 2e-3] [--lora-rank 16] [--lora-alpha RANK] [--pretrain-steps 600]
 *        [--adapt-steps 300] [--variants a,b,…]
 *        [--backend auto] [--out runs/classify-sms]
 *
 * Step times are compared with the PyTorch reference's on the same recipe (same sizes, trainable part,
 * pooling, batch shape; tools/reference/classify_bench.py with every core and the fastest of OpenBLAS's
 * kernel sets for this CPU),
 * run just before each variant: `secondsPerStep` is the mean over the variant's steps (evaluations not
 * included), `pytorchSecondsPerStep` the baseline's, `ratio` = ours / PyTorch's (below 1 is faster).
 *
 * Runs resume: interrupt it and start it again with the same --out (a finished variant's result is
 * kept in its directory). Prints one JSON line per variant and a summary on stderr.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'gpt-micro' },
    epochs: { type: 'string', default: '5' },
    lr: { type: 'string', default: '5e-4' },
    'lora-lr': { type: 'string', default: '2e-3' },
    'lora-rank': { type: 'string', default: '16' },
    'lora-alpha': { type: 'string' },
    'pretrain-steps': { type: 'string', default: '600' },
    'adapt-steps': { type: 'string', default: '300' },
    variants: {
      type: 'string',
      default:
        'random-last-non-pad,random-last,pretrained-lora,pretrained-last-block,pretrained-all,random-lora,adapted-lora,adapted-all',
    },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string', default: join('runs', 'classify-sms') },
  },
});
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const shakespeare = fileURLToPath(new URL('../../../data/tinyshakespeare.txt', import.meta.url));
const common = ['--backend', values.backend, '--json'];
const pretrained = join(values.out, 'pretrained');
const adapted = join(values.out, 'adapted');
const smsData = fileURLToPath(new URL('../../../data/sms-spam-collection.tsv', import.meta.url));

/** LoRA's flags, the same for every base. */
const lora = [
  '--lora-rank',
  values['lora-rank'],
  '--lora-alpha',
  values['lora-alpha'] ?? values['lora-rank'],
  '--lr',
  values['lora-lr'],
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
  const { initBackend, tf } = await import('@scratchgpt/tensor');
  const { getGPT2Tokenizer } = await import('@scratchgpt/tokenizer');
  await initBackend({ prefer: values.backend });
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
  const corpus = join(values.out, 'sms-unlabelled.txt');
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

async function main() {
  const chosen = values.variants.split(',');
  const results = [];
  for (const name of chosen) {
    const out = join(values.out, name);
    const saved = join(out, 'bench-result.json');
    if (existsSync(saved)) {
      const result = JSON.parse(await readFile(saved, 'utf8'));
      results.push(result);
      console.log(JSON.stringify(result));
      continue;
    }
    if (name.startsWith('pretrained')) await ensurePretrained();
    if (name.startsWith('adapted')) await ensureAdapted();
    const baseline = pytorchStep(variants[name]);
    const args = existsSync(join(out, 'checkpoint.json'))
      ? ['classify', 'train', '--model', out] // resume
      : [
          'classify',
          'train',
          ...variants[name],
          '--epochs',
          values.epochs,
          '--out',
          out,
          ...(variants[name].includes('--lr') ? [] : ['--lr', values.lr]),
        ];
    console.error(`${name}: ${args.slice(2).join(' ')}`);
    const { events, backend, seconds } = await run(args);
    const evaluation = events.find((event) => event.event === 'evaluation');
    const done = events.find((event) => event.event === 'done');
    const steps = events.filter((event) => event.event === 'step');
    // Each step's seconds: the tokens it added over its rate (the first event of a resumed run has no
    // predecessor to count from, and is left out).
    const stepSeconds = steps
      .slice(1)
      .map((event, i) => (event.tokensSeen - steps[i].tokensSeen) / event.tokensPerSec);
    const secondsPerStep = stepSeconds.reduce((a, b) => a + b, 0) / Math.max(1, stepSeconds.length);
    const percent = (split) =>
      evaluation?.[split] ? Number((100 * evaluation[split].accuracy).toFixed(2)) : null;
    const result = {
      variant: name,
      config: values.config,
      backend,
      steps: done?.step ?? null,
      minutes: Number((seconds / 60).toFixed(1)),
      trainAccuracy: percent('train'),
      validationAccuracy: percent('validation'),
      testAccuracy: percent('test'),
      testConfusion: evaluation?.test?.confusion ?? null,
      padding: await paddingFlips(out),
      secondsPerStep: Number(secondsPerStep.toFixed(3)),
      stepsTimed: stepSeconds.length,
      pytorchSecondsPerStep: baseline?.secondsPerStep ?? null,
      ratio: baseline ? Number((secondsPerStep / baseline.secondsPerStep).toFixed(2)) : null,
      pytorchThreads: baseline?.threads ?? null,
      pytorchKernels: baseline?.openblasCoretype ?? null,
    };
    results.push(result);
    await writeFile(saved, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result));
  }
  console.error('\nvariant                 test    val     train   steps  minutes  s/step  PyTorch  ratio');
  for (const r of results) {
    console.error(
      `${r.variant.padEnd(22)}  ${String(r.testAccuracy).padEnd(6)}  ${String(r.validationAccuracy).padEnd(6)}  ${String(r.trainAccuracy).padEnd(6)}  ${String(r.steps).padEnd(5)}  ${String(r.minutes).padEnd(7)}  ${String(r.secondsPerStep).padEnd(6)}  ${String(r.pytorchSecondsPerStep).padEnd(7)}  ${r.ratio}`,
    );
  }
}

await main();
