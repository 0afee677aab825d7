#!/usr/bin/env node
/**
 * A published open model's greedy continuation by scratchgpt and by the PyTorch reference
 * (tools/reference/open_model_generate.py, open_models.py loading the same safetensors, BF16 read as
 * float32), side by side, with whether the token ids match. Exits 1 if they differ. It needs the real
 * weights (a check, not a test: they cannot be downloaded where the tests run):
 *
 *   node apps/node-gpu/bench/open-models-with-weights.mjs --family qwen3     # Qwen/Qwen3-0.6B
 *   node apps/node-gpu/bench/open-models-with-weights.mjs --family llama3    # meta-llama/Llama-3.2-1B
 *   node apps/node-gpu/bench/open-models-with-weights.mjs --family gemma3    # google/gemma-3-270m
 *   node apps/node-gpu/bench/open-models-with-weights.mjs --model DIR|HUB-ID --ids 1,2,3
 *
 * Llama 3.2 and Gemma 3 are gated on the Hub: accept their licence on huggingface.co with your account
 * and export HF_TOKEN (a read token) first. The checkpoint comes through the CLI's `download` (the
 * Hugging Face cache, HF_ENDPOINT honoured); scratchgpt's side runs `generate` as a user would, the
 * prompt encoded by the checkpoint's tokenizer.json (or given as --ids), and its continuation stops at
 * end-of-text, where the check compares the tokens up to there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const PUBLISHED = {
  qwen3: 'Qwen/Qwen3-0.6B',
  llama3: 'meta-llama/Llama-3.2-1B',
  gemma3: 'google/gemma-3-270m',
};
const GATED = new Set([PUBLISHED.llama3, PUBLISHED.gemma3]);
const MODEL_TYPES = { qwen3: 'qwen3', llama: 'llama3', gemma3_text: 'gemma3' };

const { values } = parseArgs({
  options: {
    family: { type: 'string' },
    model: { type: 'string' },
    prompt: { type: 'string', default: 'The capital of France is' },
    ids: { type: 'string' },
    'max-new-tokens': { type: 'string', default: '20' },
    backend: { type: 'string', default: 'auto' },
  },
});
const fail = (message, code = 2) => {
  console.error(message);
  process.exit(code);
};
if (values.family !== undefined && !(values.family in PUBLISHED))
  fail(`--family must be one of ${Object.keys(PUBLISHED).join(', ')}, got ${values.family}`);
const model = values.model ?? PUBLISHED[values.family];
if (model === undefined) fail('give --family qwen3|llama3|gemma3, or --model DIR|HUB-ID');
const newTokens = values['max-new-tokens'];
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const reference = fileURLToPath(new URL('../../../tools/reference/open_model_generate.py', import.meta.url));

/** Runs a command, returning its stdout's last line as JSON; exits with its stderr on failure. */
function run(command, args, explain = '') {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.status !== 0) fail(`${result.stderr.trim()}${explain}`, result.status ?? 1);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

// The checkpoint: a directory as given, else downloaded (or found in the cache) once.
const local = /^[./]/.test(model) || existsSync(model);
const gatedNote = GATED.has(model)
  ? `\n${model} is gated: accept its licence on https://huggingface.co/${model} and export HF_TOKEN (a read token)${process.env.HF_TOKEN ? '' : ' — HF_TOKEN is not set'}`
  : '';
const directory = local
  ? model
  : run(process.execPath, [cli, 'download', model, '--json'], gatedNote).directory;
const config = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
const family = MODEL_TYPES[config.model_type];
if (family === undefined)
  fail(`${model}: model_type ${JSON.stringify(config.model_type)} is not Qwen3, Llama 3 or Gemma 3`);
if (values.family !== undefined && values.family !== family)
  fail(
    `${model} is a ${family} checkpoint (config.json model_type ${config.model_type}), not --family ${values.family}`,
  );

const promptArgs = values.ids !== undefined ? ['--ids', values.ids] : ['--prompt', values.prompt];
const ours = run(process.execPath, [
  cli,
  'generate',
  '--model',
  directory,
  ...promptArgs,
  '--max-new-tokens',
  newTokens,
  '--backend',
  values.backend,
  '--json',
]);
const theirs = run('/usr/bin/python3', [
  reference,
  directory,
  '--ids',
  ours.promptTokenIds.join(','),
  '--new-tokens',
  newTokens,
]);

// scratchgpt stops at end-of-text (with a tokenizer), PyTorch's reference does not: compare up to there.
const compared = theirs.tokenIds.slice(0, ours.tokenIds.length);
const match = ours.tokenIds.every((id, i) => id === compared[i]);
const rows = theirs.tokenIds.map((id, i) => {
  const mine = ours.tokenIds[i];
  const mark = mine === undefined ? '(after end-of-text)' : mine === id ? '' : '← differs';
  return `  ${String(i + 1).padStart(3)}  ${String(mine ?? '').padStart(8)}  ${String(id).padStart(8)}  ${mark}`;
});
console.log(
  [
    `${model} (${family}), prompt ids [${ours.promptTokenIds.join(', ')}]`,
    ...(ours.text === undefined ? [] : [`scratchgpt: ${JSON.stringify(ours.text)}`]),
    '    #  scratchgpt   pytorch',
    ...rows,
    match ? 'token ids match' : 'token ids DIFFER',
  ].join('\n'),
);
console.log(
  JSON.stringify({
    model,
    family,
    directory,
    promptTokenIds: ours.promptTokenIds,
    scratchgpt: ours.tokenIds,
    pytorch: theirs.tokenIds,
    stoppedAtEndOfText: ours.tokenIds.length < theirs.tokenIds.length,
    match,
  }),
);
process.exit(match ? 0 : 1);
