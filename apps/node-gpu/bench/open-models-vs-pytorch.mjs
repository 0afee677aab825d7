#!/usr/bin/env node
/**
 * Generation and training throughput of scratchgpt's open models against the PyTorch reference
 * (tools/reference/open_models_bench.py, the same architecture in open_models.py), with the shapes of the
 * published Qwen3-0.6B and Gemma-3-270M and random weights; prints every run, the medians and their
 * ratios as JSON.
 *
 *   node apps/node-gpu/bench/open-models-vs-pytorch.mjs                        # both shapes, both measures
 *   node apps/node-gpu/bench/open-models-vs-pytorch.mjs --shapes gemma3-270m --measures generate --repeat 5
 *   node apps/node-gpu/bench/open-models-vs-pytorch.mjs --backend wasm --shapes gemma3-270m
 *   node apps/node-gpu/bench/open-models-vs-pytorch.mjs --measures train --recompute blocks
 *   node apps/node-gpu/bench/open-models-vs-pytorch.mjs --measures lora-train --base-precision bf16
 *
 * generate: a --prompt-tokens prompt of random ids, then --new-tokens greedy tokens with the KV cache,
 * batch 1, after an untimed two-token warm-up. train: one untimed AdamW step (lr 4e-4, weight decay 0.1)
 * then --steps timed ones on random batches of --batch-size × --context tokens, scratchgpt's blocks
 * recomputed in the backward pass with `--recompute blocks` (PyTorch keeps its activations). lora-train:
 * the same steps on LoRA updates alone (rank --lora-rank, alpha --lora-alpha) on every linear layer of
 * both models (the seven projections of each block; the tied head takes none), the base frozen and
 * stored in --base-precision (bf16: `storeWeights('bf16')`); PyTorch's side (lora.py, half_base.py)
 * runs once with its base in each precision of --pytorch-bases (float32, and bfloat16 widened for each
 * product as scratchgpt's is), and the ratio is taken against its base in scratchgpt's precision. Both
 * sides print how many parameters train, and a difference is an error. Each measurement is a
 * fresh process on each side, run one after the other, `--repeat` times (--train-repeat for training,
 * 1 by default: Qwen3-0.6B's weights, gradients and AdamW moments take about 10 GB on each side), so a
 * change in the machine's load hits both. PyTorch gets its best BLAS kernels: it runs once per OpenBLAS
 * kernel set in `--coretypes` (by default each AVX set this CPU can run) and the fastest median is the
 * baseline. Both sides get `--threads` threads. A scratchgpt run that fails (training either shape
 * overflows the 4 GiB heap of wasm, which blas computes on) is reported with its error, and PyTorch's
 * figure is still taken. Needs a build (`pnpm build`) and Debian's python3-torch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkCoreTypes, median, runnableCoreTypes } from './pytorch-kernels.mjs';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'qwen3-0.6b,gemma3-270m' },
    measures: { type: 'string', default: 'generate,train' },
    backend: { type: 'string', default: 'blas' },
    'prompt-tokens': { type: 'string', default: '32' },
    'new-tokens': { type: 'string', default: '32' },
    'batch-size': { type: 'string', default: '1' },
    context: { type: 'string', default: '64' },
    steps: { type: 'string', default: '2' },
    recompute: { type: 'string', default: 'none' },
    threads: { type: 'string', default: String(availableParallelism()) },
    coretypes: { type: 'string', default: runnableCoreTypes.join(',') },
    repeat: { type: 'string', default: '3' },
    'train-repeat': { type: 'string', default: '1' },
    'lora-rank': { type: 'string', default: '16' },
    'lora-alpha': { type: 'string', default: '16' },
    'base-precision': { type: 'string', default: 'f32' },
    'pytorch-bases': { type: 'string', default: 'f32,bf16' },
    // Internal: one scratchgpt measurement in this process (the comparison runs itself with it).
    'measure-once': { type: 'string' },
    shape: { type: 'string' },
  },
});

const SHAPES = ['qwen3-0.6b', 'gemma3-270m'];
const MEASURES = ['generate', 'train', 'lora-train'];
const PRECISIONS = ['f32', 'bf16'];
const listed = (flag, known) => {
  const chosen = values[flag].split(',').filter(Boolean);
  for (const name of chosen) {
    if (!known.includes(name)) throw new Error(`--${flag}: '${name}' is not one of ${known.join(', ')}`);
  }
  return chosen;
};

if (values['measure-once'] !== undefined) await measureOnce(values['measure-once'], values.shape);
else compare();

/** One scratchgpt measurement, printed as a JSON line. */
async function measureOnce(measure, shape) {
  const { GEMMA3_PRESETS, Gemma3Model, QWEN3_PRESETS, Qwen3Model } = await import('@scratchgpt/open-models');
  const { generate } = await import('@scratchgpt/gpt-model');
  // The shared loop, greedy (temperature 0) and without stop ids: every token is generated.
  const greedyTokens = (model, prompt, maxNewTokens) => generate(model, prompt, { maxNewTokens });
  const { Generator, initBackend, manualSeed, tf } = await import('@scratchgpt/tensor');
  const { AdamW, computeGradients, languageModelLoss } = await import('@scratchgpt/trainer');
  const loaders = { blas: () => import('koffi'), webgpu: () => import('webgpu') };
  const choice = await initBackend({ prefer: values.backend, loaders });
  manualSeed(123);
  const model =
    shape === 'qwen3-0.6b' ? new Qwen3Model(QWEN3_PRESETS['0.6B']) : new Gemma3Model(GEMMA3_PRESETS['270M']);
  const { vocabSize } = model.config;
  const random = new Generator(123);
  const ids = (count) => Array.from({ length: count }, () => random.randint(0, vocabSize));
  const result = { framework: 'scratchgpt', backend: choice.backend, shape, measure };
  if (measure === 'generate') {
    const prompt = ids(Number(values['prompt-tokens']));
    const newTokens = Number(values['new-tokens']);
    await greedyTokens(model, prompt, 2);
    const started = performance.now();
    await greedyTokens(model, prompt, newTokens);
    const seconds = (performance.now() - started) / 1000;
    Object.assign(result, { generateTokensPerSec: newTokens / seconds, seconds });
  } else {
    if (measure === 'lora-train') await attachLoRA(model);
    const [batchSize, context, steps] = [values['batch-size'], values.context, values.steps].map(Number);
    const trainable = model.namedParameters().filter(([, variable]) => variable.trainable);
    const optimizer = new AdamW(trainable, { lr: 4e-4, weightDecay: 0.1 });
    const batch = () => tf.tensor2d(ids(batchSize * context), [batchSize, context], 'int32');
    const step = async () => {
      const [inputs, targets] = [batch(), batch()];
      const { loss, grads } = computeGradients(model, () => languageModelLoss(model, inputs, targets));
      optimizer.step(grads);
      await loss.data();
      tf.dispose([loss, inputs, targets, ...grads.values()]);
    };
    model.recompute = values.recompute;
    model.train();
    await step();
    const started = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const seconds = (performance.now() - started) / 1000;
    Object.assign(result, {
      trainTokensPerSec: (batchSize * context * steps) / seconds,
      secondsPerStep: seconds / steps,
      trainableParameters: model.numParameters({ trainable: true }),
    });
    optimizer.dispose();
  }
  model.dispose();
  console.log(JSON.stringify({ ...result, loadAverage: Number(loadavg()[0].toFixed(2)) }));
}

/** Stores the base in --base-precision, then freezes it under LoRA updates on every linear layer. */
async function attachLoRA(model) {
  const { applyLoRA } = await import('@scratchgpt/lora');
  const { Generator } = await import('@scratchgpt/tensor');
  if (values['base-precision'] !== 'f32') await model.storeWeights(values['base-precision']);
  const [rank, alpha] = [Number(values['lora-rank']), Number(values['lora-alpha'])];
  applyLoRA(model, { rank, alpha, generator: new Generator(123) });
}

function compare() {
  const shapes = listed('shapes', SHAPES);
  const measures = listed('measures', MEASURES);
  const coreTypes = values.coretypes.split(',').filter(Boolean);
  checkCoreTypes(coreTypes);
  if (!PRECISIONS.includes(values['base-precision'])) {
    throw new Error(`--base-precision: '${values['base-precision']}' is not one of ${PRECISIONS.join(', ')}`);
  }
  const pytorchBases = listed('pytorch-bases', PRECISIONS);
  for (const flag of ['lora-rank', 'lora-alpha']) {
    if (!(Number(values[flag]) > 0)) throw new Error(`--${flag}: '${values[flag]}' is not a positive number`);
  }
  const self = fileURLToPath(import.meta.url);
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  const reference = fileURLToPath(new URL('../../../tools/reference/open_models_bench.py', import.meta.url));
  const threads = values.threads;
  const sizes = {
    generate: ['--prompt-tokens', values['prompt-tokens'], '--new-tokens', values['new-tokens']],
    train: ['--batch-size', values['batch-size'], '--context', values.context, '--steps', values.steps],
  };
  const lora = ['--lora-rank', values['lora-rank'], '--lora-alpha', values['lora-alpha']];
  sizes['lora-train'] = [...sizes.train, ...lora];
  const recompute = ['--recompute', values.recompute];
  const ourSizes = {
    ...sizes,
    train: [...sizes.train, ...recompute],
    'lora-train': [...sizes['lora-train'], ...recompute, '--base-precision', values['base-precision']],
  };
  // PyTorch's variants of a measure: its base in each precision for lora-train, else the one model.
  const variantsOf = (measure) =>
    measure === 'lora-train'
      ? pytorchBases.map((base) => ({ name: base, args: ['--base-precision', base] }))
      : [{ name: null, args: [] }];
  const run = (command, args, env) =>
    JSON.parse(
      execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env })
        .trim()
        .split('\n')
        .at(-1),
    );
  /**
   * scratchgpt's measurement, or the error it failed with (a model too large for the backend, e.g.
   * training beyond wasm's 4 GiB heap), so PyTorch's figure is still taken.
   */
  const ours = (args, env) => {
    const result = spawnSync(process.execPath, [self, ...args], {
      encoding: 'utf8',
      env,
      maxBuffer: 2 ** 26,
    });
    process.stderr.write(result.stderr);
    if (result.status === 0) return JSON.parse(result.stdout.trim().split('\n').at(-1));
    const error = /^\w*Error: .*$/m.exec(result.stderr)?.[0] ?? `exit ${result.status ?? result.signal}`;
    return { error };
  };
  // scratchgpt's threads: OpenBLAS's (the blas backend uses every core unless this says otherwise).
  const ourEnv = { ...process.env, OPENBLAS_NUM_THREADS: threads };
  const info = run(process.execPath, [cli, 'info', '--backend', values.backend, '--json'], ourEnv);
  const figure = {
    generate: 'generateTokensPerSec',
    train: 'trainTokensPerSec',
    'lora-train': 'trainTokensPerSec',
  };

  const results = [];
  for (const shape of shapes) {
    for (const measure of measures) {
      const key = figure[measure];
      const variants = variantsOf(measure);
      const runs = [];
      const repeat = Number(measure === 'generate' ? values.repeat : values['train-repeat']);
      for (let i = 0; i < repeat; i++) {
        const mine = ours(
          ['--measure-once', measure, '--shape', shape, '--backend', values.backend, ...ourSizes[measure]],
          ourEnv,
        );
        const row = {
          scratchgpt: mine[key] ?? null,
          ...(mine.error ? { scratchgptError: mine.error } : {}),
          ...(mine.trainableParameters ? { scratchgptTrainable: mine.trainableParameters } : {}),
        };
        for (const variant of variants) {
          const pytorch = {};
          for (const coreType of coreTypes) {
            pytorch[coreType] = run(
              '/usr/bin/python3',
              [
                reference,
                '--shape',
                shape,
                '--measure',
                measure,
                ...sizes[measure],
                ...variant.args,
                '--threads',
                threads,
              ],
              { ...process.env, OPENBLAS_CORETYPE: coreType, OPENBLAS_NUM_THREADS: threads },
            );
            checkSameTrainable(shape, mine, pytorch[coreType]);
          }
          const measured = {
            pytorch: Object.fromEntries(coreTypes.map((set) => [set, pytorch[set][key]])),
            pytorchKernels: Object.fromEntries(
              coreTypes.map((set) => [set, pytorch[set].blas?.coreType ?? null]),
            ),
            ...(pytorch[coreTypes[0]].trainableParameters
              ? { pytorchTrainable: pytorch[coreTypes[0]].trainableParameters }
              : {}),
          };
          if (variant.name === null) Object.assign(row, measured);
          else row[`pytorchBase_${variant.name}`] = measured;
        }
        row.loadAverage = Number(loadavg()[0].toFixed(2));
        console.error(JSON.stringify({ shape, measure, run: i + 1, ...row }));
        runs.push(row);
      }
      const measured = runs.map((r) => r.scratchgpt).filter((x) => x !== null);
      const ourMedian = measured.length > 0 ? median(measured) : null;
      /** PyTorch's fastest kernel set by median, for one variant's rows. */
      const baseline = (rowsOf) => {
        const byCoreType = Object.fromEntries(
          coreTypes.map((set) => [set, median(runs.map((r) => rowsOf(r).pytorch[set]))]),
        );
        const best = coreTypes.reduce((a, b) => (byCoreType[b] > byCoreType[a] ? b : a), coreTypes[0]);
        return {
          coreType: best,
          tokensPerSec: byCoreType[best],
          ...(ourMedian === null ? {} : { ratio: ourMedian / byCoreType[best] }),
          byCoreType,
        };
      };
      const pytorch =
        measure === 'lora-train'
          ? Object.fromEntries(pytorchBases.map((base) => [base, baseline((r) => r[`pytorchBase_${base}`])]))
          : baseline((r) => r);
      // Like for like: against PyTorch's base in scratchgpt's precision where it ran.
      const alike = measure === 'lora-train' ? pytorch[values['base-precision']] : pytorch;
      results.push({
        shape,
        measure,
        ...(measure === 'lora-train' ? { basePrecision: values['base-precision'] } : {}),
        scratchgptTokensPerSec: ourMedian,
        pytorch,
        ratio: ourMedian === null || alike === undefined ? null : ourMedian / alike.tokensPerSec,
        runs,
      });
    }
  }
  const details = info.limits.details;
  console.log(
    JSON.stringify({
      threads: Number(threads),
      promptTokens: Number(values['prompt-tokens']),
      newTokens: Number(values['new-tokens']),
      batchSize: Number(values['batch-size']),
      context: Number(values.context),
      steps: Number(values.steps),
      recompute: values.recompute,
      ...(measures.includes('lora-train')
        ? {
            lora: { rank: Number(values['lora-rank']), alpha: Number(values['lora-alpha']) },
            basePrecision: values['base-precision'],
          }
        : {}),
      scratchgpt: {
        backend: info.chosen,
        kernels: details.blasCoreType ?? (details.simd ? 'wasm SIMD' : 'wasm'),
        blas: details.blas ?? null,
      },
      results,
      loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
    }),
  );
}

/** Both LoRA setups must train the same parameters, or their speeds compare different work. */
function checkSameTrainable(shape, mine, pytorch) {
  const [ours, theirs] = [mine.trainableParameters, pytorch.trainableParameters];
  if (ours !== undefined && theirs !== undefined && ours !== theirs) {
    throw new Error(
      `${shape}: scratchgpt trains ${ours} parameters but PyTorch ${theirs}: the setups differ`,
    );
  }
}
