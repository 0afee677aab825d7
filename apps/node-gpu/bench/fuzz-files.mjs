#!/usr/bin/env node
/**
 * Feeds mutated files to every reader of files from outside: the safetensors reader, the checkpoint
 * loader (config.json + model.safetensors), the config parser and the training-state parser, and the
 * fine-tuning inputs of `fuzz-classifier-inputs.mjs` (classifier data, class heads, LoRA adapters with
 * absurd ranks, classifier settings, classifier and GPT directories holding FIFOs, links to /dev/zero
 * and huge sparse files). Each must accept the file or refuse it with its own error type: never crash
 * with another error, never hang, never balloon in memory, never accept what gives non-finite outputs.
 *
 *   node apps/node-gpu/bench/fuzz-files.mjs [--cases 2600] [--seed 1] [--only adapter,classifier-data]
 *
 * Every category gets --cases mutated files, made from valid ones written by the packages themselves
 * (a tiny GPT in both layouts and a training state): byte flips, truncations, wrong lengths, and
 * structural edits of the JSON inside (wrong types, huge or negative sizes, deep nesting, keys given
 * twice, missing or extra tensors), plus a few large hostile ones (a deeply nested 100 MB header, a
 * config with a million layers). The cases run in a child process, one at a time; a case that gives
 * no answer within 10 s is a hang, and the child is restarted after it, as after a case whose peak
 * resident memory passed 1.5 GB. Prints the totals (hangs, cases over 1.5 GB, unexpected errors,
 * non-finite results accepted) and per category: accepted, refused with a typed error, crashed (other
 * errors), hung, non-finite, and the peak resident memory.
 * With FUZZ_VERBOSE=1 every case and its error go to stderr as they finish. Needs a build (`pnpm build`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { classifierCategories, classifierErrorNames, classifierInputs } from './fuzz-classifier-inputs.mjs';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2600' },
    seed: { type: 'string', default: '1' },
    child: { type: 'string' },
    from: { type: 'string', default: '0' },
    only: { type: 'string' },
  },
});
const allCategories = ['safetensors', 'checkpoint', 'config', 'training-state', ...classifierCategories];
const categories = values.only ? values.only.split(',') : allCategories;
const cases = Number(values.cases);
/** A case that answers later than this is a hang. */
const HANG_MS = 10_000;
const SETUP_MS = 120_000;
/** Peak resident memory above this for one input (all are under 100 MB) is a failure. */
const MEMORY_LIMIT_MB = 1536;

if (values.child) {
  await runChild(values.child, Number(values.from));
} else {
  const report = {};
  for (const category of categories) report[category] = await runCategory(category);
  const sum = (key) => Object.values(report).reduce((total, r) => total + r[key], 0);
  const totals = {
    cases: sum('cases'),
    hangsOver10s: sum('hung'),
    over1_5GBRss: sum('overMemory'),
    unexpectedErrors: sum('crashed'),
    nonFiniteAccepted: sum('nonFinite'),
  };
  console.log(JSON.stringify({ totals, ...report }, null, 2));
}

/** Runs one category's cases in child processes, restarting after a hang or a dead process. */
async function runCategory(category) {
  const result = {
    cases: 0,
    accepted: 0,
    refused: 0,
    crashed: 0,
    hung: 0,
    nonFinite: 0,
    overMemory: 0,
    peakRssMB: 0,
    crashes: [],
    hangs: [],
  };
  let next = 0;
  while (next < cases) next = await runFrom(category, next, result);
  return result;
}

/** One child from case `from` on; returns the case to go on with. */
function runFrom(category, from, result) {
  return new Promise((resolve) => {
    const script = fileURLToPath(import.meta.url);
    const args = [
      script,
      '--child',
      category,
      '--from',
      String(from),
      '--cases',
      values.cases,
      '--seed',
      values.seed,
    ];
    const child = spawn(process.execPath, ['--max-old-space-size=4096', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let running = from;
    let finished = from;
    let hung = false;
    let buffer = '';
    let watchdog;
    const arm = (ms = HANG_MS) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, ms);
    };
    // Building the valid inputs is no case: it gets longer on a busy machine.
    arm(SETUP_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        arm();
        if (line.started !== undefined) {
          running = line.started;
          continue;
        }
        result.cases++;
        result[line.outcome]++;
        result.peakRssMB = Math.max(result.peakRssMB, line.peakRssMB);
        if (line.peakRssMB > MEMORY_LIMIT_MB) result.overMemory++;
        if ((line.outcome === 'crashed' || line.outcome === 'nonFinite') && result.crashes.length < 10)
          result.crashes.push(line);
        if (process.env.FUZZ_VERBOSE) console.error(JSON.stringify(line));
        finished = line.index + 1;
      }
    });
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      if (finished >= cases) return resolve(cases);
      // The child stops itself after a case that took too much memory, so the next starts afresh.
      if (finished > running) return resolve(finished);
      // The case in progress hung, or took the whole process down: count it, go on after it.
      result.cases++;
      if (hung) {
        result.hung++;
        result.hangs.push(running);
      } else {
        result.crashed++;
        result.crashes.push({ index: running, error: `the process exited with code ${code}` });
      }
      resolve(running + 1);
    });
  });
}

async function runChild(category, from) {
  const { initBackend, parseSafetensors, parseStrictJson, Generator } = await import('@scratchgpt/tensor');
  const { GPTModel, loadModel, parseConfigJson, preset, serializeCheckpoint } = await import(
    '@scratchgpt/gpt-model'
  );
  const { parseTrainingState, serializeTrainingState, trainModel } = await import('@scratchgpt/trainer');
  await initBackend({ prefer: 'cpu' });
  const typed = new Set([
    'SafetensorsError',
    'CheckpointError',
    'ConfigError',
    'TrainingStateError',
    'StrictJsonError',
    'MemoryBudgetError',
    ...classifierErrorNames,
  ]);
  const runners = classifierCategories.includes(category)
    ? await classifierInputs({
        tensor: await import('@scratchgpt/tensor'),
        gptModel: await import('@scratchgpt/gpt-model'),
        gptNode: await import('@scratchgpt/gpt-model/node'),
        tokenizer: await import('@scratchgpt/tokenizer'),
        classifier: await import('@scratchgpt/classifier'),
        classifierNode: await import('@scratchgpt/classifier/node'),
      })
    : undefined;

  // The valid files every mutation starts from, written by the packages themselves.
  const config = preset('gpt-nano', { vocabSize: 40, contextLength: 8, embDim: 12, nHeads: 2, nLayers: 2 });
  const model = new GPTModel(config, { generator: new Generator(3) });
  const hf = await serializeCheckpoint(model, { layout: 'hf', metadata: { step: '2' } });
  const book = await serializeCheckpoint(model, { layout: 'book' });
  let state;
  const batches = {
    length: 4,
    batchSize: 1,
    maxLength: 8,
    *batches(epoch = 0, start = 0) {
      for (let b = start; b < 4; b++) {
        const inputs = Int32Array.from({ length: 8 }, (_, i) => (i * 3 + b + epoch) % 40);
        yield { inputs, targets: inputs.map((id) => (id + 1) % 40), batchSize: 1, length: 8 };
      }
    },
  };
  for await (const event of trainModel({
    model,
    train: batches,
    maxSteps: 2,
    saveCheckpoint: async (snapshot) => {
      state = serializeTrainingState(snapshot);
      return 'saved';
    },
  })) {
    if (event.event === 'done') break;
  }
  const seeds = { safetensors: [hf.weights, book.weights, state], config: [hf.config, book.config] };

  for (let index = from; index < cases; index++) {
    const random = new Generator(Number(values.seed) * 1_000_003 + index * 7 + categories.indexOf(category));
    process.stdout.write(`${JSON.stringify({ started: index })}\n`);
    let outcome = 'accepted';
    let error;
    try {
      if (runners) {
        if (!(await runners[category](random, index))) outcome = 'nonFinite';
      } else if (category === 'safetensors')
        parseSafetensors(
          mutateSafetensors(random.randint(0, 2) === 0 ? book.weights : hf.weights, random, index),
        );
      else if (category === 'training-state') parseTrainingState(mutateSafetensors(state, random, index));
      else if (category === 'config')
        parseConfigJson(parseStrictJson(mutateJsonText(pick(seeds.config, random), random, index)));
      else {
        const both = random.randint(0, 2) === 0;
        const weights =
          both || random.randint(0, 2) === 0 ? mutateSafetensors(hf.weights, random, index) : hf.weights;
        const configText =
          both || weights === hf.weights
            ? mutateJsonText(hf.config, random, index)
            : JSON.stringify(hf.config);
        loadModel(parseStrictJson(configText), weights).model.dispose();
      }
    } catch (caught) {
      error = caught;
      outcome = typed.has(caught?.name) ? 'refused' : 'crashed';
    }
    const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    const line = { index, outcome, peakRssMB };
    if (outcome === 'crashed' || process.env.FUZZ_VERBOSE)
      Object.assign(line, { error: `${error?.name}: ${String(error?.message).slice(0, 200)}` });
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (peakRssMB > MEMORY_LIMIT_MB) break; // a fresh process measures the next case alone
  }
  runners?.cleanup();

  function pick(list, random) {
    return list[random.randint(0, list.length)];
  }

  /** A safetensors file with its bytes, its length prefix or its JSON header changed. */
  function mutateSafetensors(bytes, random, index) {
    if (index === 0) return hostileHeader(); // the deeply nested 100 MB header, once
    const kind = random.randint(0, 6);
    const out = Uint8Array.from(bytes);
    const view = new DataView(out.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    if (kind === 0) {
      for (let i = 0, n = random.randint(1, 9); i < n; i++)
        out[random.randint(0, out.length)] = random.randint(0, 256);
      return out;
    }
    if (kind === 1) return out.subarray(0, random.randint(0, out.length));
    if (kind === 2) {
      const choices = [
        0n,
        7n,
        BigInt(headerLength + 1),
        BigInt(out.length),
        2n ** 40n,
        2n ** 64n - 1n,
        BigInt(random.randint(0, out.length)),
      ];
      view.setBigUint64(0, choices[random.randint(0, choices.length)], true);
      return out;
    }
    // Structural: edit the header's JSON and write the file again with the right length.
    const header = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + headerLength)));
    const text = mutateJsonText(header, random, index);
    const encoded = new TextEncoder().encode(text);
    const data = out.subarray(8 + headerLength);
    const file = new Uint8Array(8 + encoded.length + data.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(encoded.length), true);
    file.set(encoded, 8);
    file.set(data, 8 + encoded.length);
    return file;
  }

  function hostileHeader() {
    const depth = 49_999_990;
    const text = new TextEncoder().encode(`{"w":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const file = new Uint8Array(8 + text.length);
    new DataView(file.buffer).setBigUint64(0, BigInt(text.length), true);
    file.set(text, 8);
    return file;
  }

  /** JSON text after one structural edit of the value (or a textual one: a key twice, deep nesting). */
  function mutateJsonText(value, random, index) {
    if (index === 1) return JSON.stringify({ ...hf.config, n_layer: 1_000_000 });
    const copy = structuredClone(value);
    const paths = [];
    const walk = (node, path) => {
      if (node === null || typeof node !== 'object') return;
      for (const key of Object.keys(node)) {
        paths.push([...path, key]);
        walk(node[key], [...path, key]);
      }
    };
    walk(copy, []);
    const kind = random.randint(0, 5);
    if (kind === 0) {
      const text = JSON.stringify(copy);
      const at = text.indexOf(',"', random.randint(0, text.length));
      if (at < 0) return `${text.slice(0, -1)},"__metadata__":{"a":"b"}}`;
      const key = /^,"([^"]*)"/.exec(text.slice(at))?.[1] ?? 'x';
      return `${text.slice(0, at)},"${key}":0${text.slice(at)}`; // the same key twice
    }
    if (kind === 1)
      return JSON.stringify(copy).replace(/\[/, '['.repeat(random.randint(2, 5000)) + '0' + ']'.repeat(0));
    if (paths.length === 0) return '{}';
    const path = paths[random.randint(0, paths.length)];
    const parent = path.slice(0, -1).reduce((node, key) => node[key], copy);
    const key = path.at(-1);
    const replacements = [
      null,
      true,
      'false',
      -1,
      0,
      1.5,
      1e9,
      2 ** 53,
      -(2 ** 31),
      Number.MAX_VALUE,
      '',
      'F8',
      [],
      {},
      [1, 2, 3],
      [-1],
      [[[[[[1]]]]]],
      'x'.repeat(random.randint(0, 100_000)),
      Array.from({ length: random.randint(0, 10_000) }, (_, i) => i),
    ];
    if (kind === 2) delete parent[key];
    else if (kind === 3) parent[key] = replacements[random.randint(0, replacements.length)];
    else parent[`${key}_${random.randint(0, 1000)}`] = parent[key]; // an extra entry
    return JSON.stringify(copy);
  }
}
