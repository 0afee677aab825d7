#!/usr/bin/env node
/**
 * The book's chapter 6 recipe on pretrained GPT-2 124M, for where its weights exist (they cannot be
 * downloaded on the machines this project is built on): the SMS Spam Collection balanced and split
 * 1,045 / 149 / 300 (the book's exact rows), texts padded to 120 tokens, a 2-class head, the last
 * block, the final norm and the head trainable (7,090,946 of 124,441,346 parameters), logits of the
 * last position, AdamW lr 5e-5 and weight decay 0.1, 5 epochs of batch 8 (650 steps, 5,200 examples),
 * evaluation every 50 steps on 5 batches. Then the same with LoRA as in appendix E: every weight
 * frozen, rank 16, alpha 16 on every Linear (2,666,528 parameters), lr 8e-4.
 *
 * Expected (ranges: they depend on the random streams): test accuracy about 95-97% (book 95.67%;
 * with LoRA about 96-97%, book 96.67%). Exits 1 when a result falls outside its range.
 *
 *   node apps/node-gpu/bench/classify-gpt2.mjs --model DIR [--variants book,lora] [--out runs/classify-gpt2]
 *        [--backend auto] [--steps N]
 *
 * DIR: GPT-2 124M as config.json + model.safetensors (Hugging Face's `openai-community/gpt2` files, or
 * the book's `gpt2-small-124M.safetensors` renamed, with a config.json). `--steps N` cuts the runs short
 * to check the plumbing on any GPT (then no range is checked). Runs resume when started again.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    variants: { type: 'string', default: 'book,lora' },
    out: { type: 'string', default: join('runs', 'classify-gpt2') },
    backend: { type: 'string', default: 'auto' },
    steps: { type: 'string' },
  },
});
if (values.model === undefined) {
  console.error('classify-gpt2: --model DIR is required (GPT-2 124M: config.json + model.safetensors)');
  process.exit(2);
}
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const recipes = {
  book: {
    flags: ['--trainable', 'last-block', '--pooling', 'last', '--lr', '5e-5'],
    range: [95, 97],
    trainable: 7_090_946,
  },
  lora: {
    flags: ['--lora-rank', '16', '--lora-alpha', '16', '--pooling', 'last', '--lr', '8e-4'],
    range: [96, 97],
    trainable: 2_666_528,
  },
};

function run(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args, '--backend', values.backend, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events = [];
    let notes = '';
    let buffer = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      notes += chunk;
      process.stderr.write(chunk);
    });
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line);
        events.push(event);
        if (event.event === 'eval') {
          const accuracy = (name) => (event[name] == null ? '–' : `${(100 * event[name]).toFixed(2)}%`);
          console.error(
            `  step ${event.step}: loss ${event.trainLoss.toFixed(3)} / ${event.valLoss?.toFixed(3)}, accuracy ${accuracy('trainAccuracy')} / ${accuracy('valAccuracy')}`,
          );
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ events, notes, seconds: (performance.now() - started) / 1000 })
        : reject(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}

let outside = false;
for (const name of values.variants.split(',')) {
  const recipe = recipes[name];
  if (recipe == null) throw new Error(`unknown variant '${name}': book or lora`);
  const out = join(values.out, name);
  const length = values.steps ? ['--steps', values.steps] : ['--epochs', '5'];
  const args = existsSync(join(out, 'checkpoint.json'))
    ? ['classify', 'train', '--model', out]
    : [
        'classify',
        'train',
        '--model',
        values.model,
        '--out',
        out,
        ...recipe.flags,
        ...length,
        '--eval-every',
        '50',
        '--eval-batches',
        '5',
        '--batch-size',
        '8',
        '--weight-decay',
        '0.1',
      ];
  console.error(`${name}: ${args.slice(2).join(' ')}`);
  const { events, notes, seconds } = await run(args);
  const evaluation = events.find((event) => event.event === 'evaluation');
  const trainable = Number(/([\d,]+) trainable/.exec(notes)?.[1]?.replace(/,/g, ''));
  const percent = (split) =>
    evaluation?.[split] ? Number((100 * evaluation[split].accuracy).toFixed(2)) : null;
  const result = {
    variant: name,
    steps: events.find((event) => event.event === 'done')?.step ?? null,
    minutes: Number((seconds / 60).toFixed(1)),
    trainable,
    trainAccuracy: percent('train'),
    validationAccuracy: percent('validation'),
    testAccuracy: percent('test'),
    expectedTestAccuracy: recipe.range,
  };
  console.log(JSON.stringify(result));
  if (!values.steps) {
    const [low, high] = recipe.range;
    if (
      trainable !== recipe.trainable ||
      !(result.testAccuracy >= low - 0.5 && result.testAccuracy <= high + 0.5)
    ) {
      console.error(
        `${name}: outside the book's figures (trainable ${recipe.trainable}, test ${low}-${high}%)`,
      );
      outside = true;
    }
  }
}
process.exit(outside ? 1 : 0);
