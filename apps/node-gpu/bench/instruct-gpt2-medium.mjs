#!/usr/bin/env node
/**
 * The book's chapter 7 recipe with OpenAI's GPT-2 medium (355M), for a machine that has its weights
 * (they cannot be downloaded everywhere). Checks the figure that needs the weights:
 *
 *   initial validation loss 3.7619 (the mean of the first 5 validation batches' mean losses, batch 8,
 *   the 55 validation entries in file order: the book's calc_loss_loader; ±2e-6 across devices)
 *
 * and, with --train, runs the book's fine-tuning (AdamW 5e-5, weight decay 0.1, 2 epochs of batch 8,
 * no dropout, evaluating every 5 steps on 5 batches: 232 steps; the book ends near a validation loss
 * of 0.63–0.66, a range: its shuffle is PyTorch's), answers the 110 test entries (greedy, at most 256
 * new tokens, stopping at <|endoftext|>) into responses.json, and with --judge URL scores them
 * (the book: 49.45 with Llama 3 8B; `scratchgpt judge` does the same on its own).
 *
 *   node apps/node-gpu/bench/instruct-gpt2-medium.mjs --model DIR [--backend auto] [--train]
 *        [--out runs/gpt2-medium-sft] [--judge http://localhost:11434 --judge-model llama3]
 *
 * DIR holds config.json + model.safetensors of openai-community/gpt2-medium (Hugging Face's layout,
 * head tied to the token embedding) or a scratchgpt checkpoint of it. As the book does, the head is
 * given its own copy of the token embedding before fine-tuning, and dropout is off.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '@scratchgpt/gpt-model';
import {
  alpaca,
  createInstructionLoader,
  createJudgeClient,
  InstructionDataset,
  judgeResponses,
  parseInstructionData,
  respond,
  splitInstructionData,
} from '@scratchgpt/instruct';
import { initBackend, parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { calcLossBatch, trainModel } from '@scratchgpt/trainer';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    train: { type: 'boolean', default: false },
    out: { type: 'string', default: join('runs', 'gpt2-medium-sft') },
    judge: { type: 'string' },
    'judge-model': { type: 'string', default: 'llama3' },
    seed: { type: 'string', default: '123' },
  },
});
const INITIAL_VALIDATION_LOSS = 3.7619;
if (values.model === undefined || !existsSync(join(values.model, 'model.safetensors'))) {
  console.error(
    'instruct-gpt2-medium: give --model DIR with config.json + model.safetensors of GPT-2 medium ' +
      '(https://huggingface.co/openai-community/gpt2-medium, or `scratchgpt download gpt2-medium` where the Hub client is available)',
  );
  process.exit(2);
}

const choice = await initBackend({ prefer: values.backend, loaders: { webgpu: () => import('webgpu') } });
console.error(`backend: ${choice.backend} (${choice.reason})`);
const model = await loadBookModel(values.model);
const tokenizer = getGPT2Tokenizer();
const dataPath = new URL('../../../data/instruction-data.json', import.meta.url);
const { train, test, validation } = splitInstructionData(
  parseInstructionData(await readFile(dataPath, 'utf8'), 'instruction-data.json'),
);
const options = { tokenizer, format: alpaca };
const loaderSettings = { batchSize: 8, allowedMaxLength: 1024 };
const trainBatches = createInstructionLoader(new InstructionDataset(train, options), {
  ...loaderSettings,
  seed: Number(values.seed),
});
const validationBatches = createInstructionLoader(new InstructionDataset(validation, options), {
  ...loaderSettings,
  shuffle: false,
  dropLast: false,
});

const report = { initialValidationLoss: await bookLoaderLoss(validationBatches, 5) };
report.expected = INITIAL_VALIDATION_LOSS;
report.difference = report.initialValidationLoss - INITIAL_VALIDATION_LOSS;
console.error(
  `initial validation loss ${report.initialValidationLoss.toFixed(6)} (book: ${INITIAL_VALIDATION_LOSS})`,
);

if (values.train) {
  await mkdir(values.out, { recursive: true });
  const started = performance.now();
  for await (const event of trainModel({
    model,
    train: trainBatches,
    validation: validationBatches,
    lr: 5e-5,
    weightDecay: 0.1,
    epochs: 2,
    evalEvery: 5,
    evalBatches: 5,
  })) {
    if (event.event === 'eval')
      console.error(
        `step ${event.step}: train ${event.trainLoss.toFixed(3)}, val ${event.valLoss?.toFixed(3)}`,
      );
  }
  report.trainingMinutes = (performance.now() - started) / 60_000;
  report.finalValidationLoss = await bookLoaderLoss(validationBatches, 5);
  const answered = [];
  let endedAtEndOfText = 0;
  for (const entry of test) {
    const answer = await respond(model, entry, options);
    answered.push({ ...entry, model_response: answer.response });
    if (answer.ended === 'end-of-text') endedAtEndOfText++;
  }
  report.endedAtEndOfText = endedAtEndOfText;
  report.responses = join(values.out, 'responses.json');
  await writeFile(report.responses, `${JSON.stringify(answered, null, 2)}\n`);
  if (values.judge) {
    const client = createJudgeClient({ endpoint: values.judge, model: values['judge-model'] });
    const stream = judgeResponses(answered, client);
    let next = await stream.next();
    while (!next.done) next = await stream.next();
    report.judge = {
      average: next.value.average,
      scored: next.value.scored,
      skipped: next.value.skipped.length,
    };
  }
}
console.log(JSON.stringify(report, null, 2));

/** GPT-2 with dropout off and, as the book loads it, an output head of its own (a copy of wte). */
async function loadBookModel(directory) {
  const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
  for (const key of ['resid_pdrop', 'embd_pdrop', 'attn_pdrop', 'drop_rate'])
    if (key in config) config[key] = 0;
  const bytes = new Uint8Array(await readFile(join(directory, 'model.safetensors')));
  const { tensors, metadata } = parseSafetensors(bytes, 'model.safetensors');
  const wte = tensors.get('wte.weight') ?? tensors.get('transformer.wte.weight');
  if (wte && !tensors.has('lm_head.weight')) {
    const all = new Map(
      [...tensors].map(([name, { shape, data }]) => [name, { shape, data: Float32Array.from(data) }]),
    );
    all.set('lm_head.weight', { shape: wte.shape, data: Float32Array.from(wte.data) });
    config.tie_word_embeddings = false;
    return loadModel(config, serializeSafetensors(all, metadata), { weightsSource: 'model.safetensors' })
      .model;
  }
  return loadModel(config, bytes, { weightsSource: 'model.safetensors' }).model;
}

/** The book's calc_loss_loader: the mean of the first `count` batches' mean losses, in eval mode. */
async function bookLoaderLoss(loader, count) {
  model.eval();
  let sum = 0;
  let batches = 0;
  for (const batch of loader.batches(0)) {
    if (batches === count) break;
    const loss = calcLossBatch(model, batch);
    sum += (await loss.data())[0];
    loss.dispose();
    batches++;
  }
  model.train();
  return sum / batches;
}
