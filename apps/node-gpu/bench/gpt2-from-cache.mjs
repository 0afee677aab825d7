#!/usr/bin/env node
/**
 * GPT-2 124M from the Hugging Face cache, without the real weights: a checkpoint of GPT-2 124M's exact
 * shapes with random weights (tools/reference/random_gpt2.py, Hugging Face layout) is served by a Hub
 * on loopback as `gpt2`, next to GPT-2 XL's config.json as `gpt2-xl`. Then, one after the other:
 *
 * 1. `scratchgpt download gpt2` into a fresh cache (HF_ENDPOINT points at the loopback Hub);
 * 2. `scratchgpt generate --model gpt2 --backend wasm` offline from the cache: it must work;
 * 3. `scratchgpt generate --model gpt2-xl --backend wasm`: it must be refused, before its weights;
 * 4. the time to load the 124M checkpoint from the cache on wasm and on webgpu (a fresh process each:
 *    resolve the id offline, read, convert and upload every weight; then one forward pass of 4 tokens,
 *    which also makes WebGPU finish its uploads), against PyTorch on the same file
 *    (tools/reference/load_bench.py: mapped read, conversion, load_state_dict), back to back in each
 *    of --rounds rounds; ratios are taken within a round and their median reported.
 *
 *   node apps/node-gpu/bench/gpt2-from-cache.mjs [--backends wasm,webgpu,blas] [--rounds 3] [--json]
 *
 * Prints a table, or one JSON object with --json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,webgpu' },
    json: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    // Internal: a child process measuring one backend.
    'measure-backend': { type: 'string' },
  },
});

if (values['measure-backend']) {
  await measureLoad(values['measure-backend']);
  process.exit(0);
}

const python = '/usr/bin/python3';
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const reference = fileURLToPath(new URL('../../../tools/reference/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gpt2-from-cache-'));
const say = (line) => values.json || console.error(line);

say('making a GPT-2 124M checkpoint with random weights…');
const source = join(work, 'random-gpt2');
check(spawnSync(python, [join(reference, 'random_gpt2.py'), source], { encoding: 'utf8' }), 'random_gpt2.py');

const { startFakeHub } = await import('@scratchgpt/hub/testing');
const gpt2XlConfig = { vocab_size: 50257, n_positions: 1024, n_embd: 1600, n_head: 25, n_layer: 48 };
const hub = await startFakeHub({
  repos: {
    'openai-community/gpt2': {
      files: {
        'config.json': readFileSync(join(source, 'config.json')),
        'model.safetensors': readFileSync(join(source, 'model.safetensors')),
      },
    },
    'openai-community/gpt2-xl': {
      files: {
        'config.json': new TextEncoder().encode(JSON.stringify(gpt2XlConfig)),
        'model.safetensors': new Uint8Array(8),
      },
    },
  },
});
const env = {
  ...process.env,
  HF_ENDPOINT: hub.endpoint,
  HF_HUB_CACHE: join(work, 'hf-cache'),
  SCRATCHGPT_CACHE: join(work, 'scratchgpt-cache'),
};

say('scratchgpt download gpt2…');
let started = performance.now();
const download = await runCli(['download', 'gpt2', '--json'], env);
const downloadSeconds = (performance.now() - started) / 1000;
const directory = JSON.parse(download.stdout).directory;

const offline = { ...env, HF_HUB_OFFLINE: '1' };
say('scratchgpt generate --model gpt2 --backend wasm (offline, from the cache)…');
started = performance.now();
const prompt = ['--prompt', 'Every effort moves you', '--max-new-tokens', '5'];
const generate = await runCli(
  ['generate', '--model', 'gpt2', ...prompt, '--backend', 'wasm', '--json'],
  offline,
);
const generated = { seconds: (performance.now() - started) / 1000, ...JSON.parse(generate.stdout) };

say('scratchgpt generate --model gpt2-xl --backend wasm…');
const refused = await runCli(['generate', '--model', 'gpt2-xl', '--prompt', 'x', '--backend', 'wasm'], env, {
  expect: 1,
});
const refusal = refused.stderr.trim().split('\n').at(-1);
await hub.close();

// The machine's load changes from minute to minute: each round measures PyTorch and every backend
// back to back, and ratios are taken within a round; the median over the rounds is reported.
const backends = values.backends.split(',');
const rounds = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  say(`round ${round}: PyTorch, then ${backends.join(', ')}…`);
  const torch = spawnSync(python, [join(reference, 'load_bench.py'), directory, '--repeat', '1'], {
    encoding: 'utf8',
    env: { ...process.env, ...openblasKernels() },
  });
  check(torch, 'load_bench.py');
  const pytorch = JSON.parse(torch.stdout.trim().split('\n').at(-1));
  const loads = {};
  for (const backend of backends) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--measure-backend', backend],
      {
        encoding: 'utf8',
        env: offline,
        maxBuffer: 16 * 2 ** 20,
      },
    );
    check(child, `the ${backend} measurement`);
    const load = JSON.parse(child.stdout.trim().split('\n').at(-1));
    const withForward =
      (load.loadSeconds + load.forwardSeconds) / (pytorch.loadSeconds + pytorch.forwardSeconds);
    loads[backend] = {
      ...load,
      loadRatio: load.loadSeconds / pytorch.loadSeconds,
      loadAndForwardRatio: withForward,
    };
  }
  rounds.push({ pytorch, loads });
}
const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];
const medians = Object.fromEntries(
  backends.map((backend) => [
    backend,
    {
      loadRatio: median(rounds.map((r) => r.loads[backend].loadRatio)),
      loadAndForwardRatio: median(rounds.map((r) => r.loads[backend].loadAndForwardRatio)),
    },
  ]),
);

const result = {
  parameters: 124_439_808,
  fileBytes: JSON.parse(download.stdout).files.find((file) => file.path === 'model.safetensors').size,
  downloadSeconds,
  generateOnWasm: { seconds: generated.seconds, tokenIds: generated.tokenIds },
  gpt2XlOnWasm: refusal,
  openblas: openblasKernels().OPENBLAS_CORETYPE ?? 'as detected',
  rounds,
  medians,
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const seconds = (value) => `${value.toFixed(2)} s`;
  console.log(
    `download gpt2 (${(result.fileBytes / 1e6).toFixed(1)} MB over loopback): ${seconds(downloadSeconds)}`,
  );
  console.log(
    `generate --model gpt2 --backend wasm, 5 tokens: exit 0 in ${seconds(generated.seconds)}, tokens ${generated.tokenIds.join(' ')}`,
  );
  console.log(`generate --model gpt2-xl --backend wasm: ${refusal}`);
  for (const [i, { pytorch, loads }] of rounds.entries()) {
    const parts = `read ${seconds(pytorch.readSeconds)}, convert ${seconds(pytorch.convertSeconds)}, load_state_dict ${seconds(pytorch.loadStateDictSeconds)}`;
    console.log(
      `round ${i + 1}: PyTorch (${pytorch.threads} threads) load ${seconds(pytorch.loadSeconds)} (${parts}), forward ${seconds(pytorch.forwardSeconds)}`,
    );
    for (const [backend, load] of Object.entries(loads)) {
      console.log(
        `  ${backend}: load ${seconds(load.loadSeconds)} (${load.loadRatio.toFixed(2)}×), forward ${seconds(load.forwardSeconds)}; load + forward ${load.loadAndForwardRatio.toFixed(2)}×`,
      );
    }
  }
  for (const [backend, ratio] of Object.entries(medians)) {
    console.log(
      `${backend}: median over ${rounds.length} rounds: load ${ratio.loadRatio.toFixed(2)}× PyTorch's, load + first forward ${ratio.loadAndForwardRatio.toFixed(2)}×`,
    );
  }
}

/** The CLI in a child process, asynchronously: the loopback Hub in this process must keep answering. */
function runCli(args, env, { expect = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      if (status === expect) return resolve({ stdout, stderr });
      console.error(stderr);
      reject(new Error(`scratchgpt ${args.join(' ')} exited ${status}, expected ${expect}`));
    });
  });
}

function check(child, what) {
  if (child.status !== 0) {
    console.error(child.stderr);
    throw new Error(`${what} exited ${child.status}`);
  }
}

/**
 * Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to SSE3 kernels: name the best
 * this CPU has (the baseline gets its best), unless the environment already chose.
 */
function openblasKernels() {
  if (process.env.OPENBLAS_CORETYPE) return {};
  const flags =
    readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      .split(' ') ?? [];
  if (flags.includes('avx512f')) return { OPENBLAS_CORETYPE: 'SkylakeX' };
  if (flags.includes('avx2')) return { OPENBLAS_CORETYPE: 'Haswell' };
  return {};
}

/** In a child process: one load of `gpt2` from the cache on one backend, then one forward pass. */
async function measureLoad(backend) {
  const { initBackend, tf } = await import('@scratchgpt/tensor');
  const { loadCheckpoint } = await import('@scratchgpt/gpt-model/node');
  const { resolveModelDirectory } = await import('@scratchgpt/hub/node');
  tf.env().set('PROD', true);
  await initBackend({
    prefer: backend,
    loaders: { webgpu: () => import('webgpu'), blas: () => import('koffi') },
  });
  const start = performance.now();
  const { model } = await loadCheckpoint(await resolveModelDirectory('gpt2'));
  const loaded = performance.now();
  const logits = model.eval().forward(tf.tensor2d([[6109, 3626, 6100, 345]], [1, 4], 'int32'));
  await logits.data();
  const forwarded = performance.now();
  const measured = { loadSeconds: (loaded - start) / 1000, forwardSeconds: (forwarded - loaded) / 1000 };
  console.log(JSON.stringify({ backend: tf.getBackend(), ...measured }));
}
