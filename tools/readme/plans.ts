/**
 * How the README check runs each README command. A command not listed here runs exactly as written,
 * from the repository root; `npm install …` lines run in a fresh npm project with the packed packages
 * (see commands.test.ts). Everything else is listed here, keyed by the command as written:
 *
 * - `instead`: a smaller run of the same command (fewer steps, a temporary output folder), with why.
 * - `serve`: a server; it runs until it answers an HTTP request on the address it prints.
 * - `skip`: not run, for the reason given; `check` (a command) shows it still parses.
 * - `pytorch`: needs Debian's python3-torch (`/usr/bin/python3` importing torch; CI installs it). Where
 *   it is present the command (or its `instead`) runs; elsewhere only `check` runs and the test says so.
 *
 * Commands naming a Hub model (`--model gpt2`) run against a Hub on loopback (`withHub`), all sharing
 * one cache as a user's commands do.
 *
 * `{tmp}` stands for a temporary folder the check removes at the end.
 */

export type Plan =
  | { kind: 'instead'; run: string; why: string }
  | { kind: 'serve'; why: string }
  | { kind: 'skip'; check: string; why: string }
  | { kind: 'pytorch'; instead?: string; check: string };

const syntaxOf = (script: string) => `node --check ${script}`;
const compiles = (script: string) => `/usr/bin/python3 -m py_compile ${script}`;
/** The line run with HF_ENDPOINT at a loopback Hub serving a small GPT-2-format model as `gpt2`. */
const withHub = (line: string) => `pnpm exec tsx tools/readme/with-hub.ts {tmp}/hf-cache '${line}'`;
const onLoopbackHub = (run: string, why: string): Plan => ({ kind: 'instead', run: withHub(run), why });
const cli = 'node apps/node-gpu/dist/cli.js';
const hubWhy =
  'huggingface.co cannot be reached from the checks: a loopback Hub serves a small GPT-2 as gpt2';
const smallGpt2Why = `${hubWhy}; its context is 32 tokens`;
const realWeightsWhy =
  "it checks the book's chapter 5 figures against GPT-2's real weights, which only huggingface.co has";

const oneTestFile = (filter: string, file: string): Plan => ({
  kind: 'instead',
  run: `pnpm --filter ${filter} test ${file}`,
  why: 'the whole suite runs in `pnpm test` already: one file shows that the command works',
});

const servingCurl = `curl -s http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' -d '{"model": "sft", "messages": [{"role": "user", "content": "Name a primary color."}], "max_tokens": 20, "temperature": 0}'`;

/** The server runs until Ctrl-C, and the curl line needs it running: one test runs both, and the client example. */
const servingExamples: Plan = {
  kind: 'instead',
  run: 'pnpm --filter scratchgpt-cli test test/serve-readme.test.ts',
  why: "the test serves a tiny instruction run as `sft` and runs the section's curl line and OpenAI client example against it",
};

/** The open families' section: Qwen3-0.6B's weights are on huggingface.co; the test runs the same commands on tiny ones. */
const openModelExamples: Plan = {
  kind: 'instead',
  run: 'pnpm --filter scratchgpt-cli test test/open-model-train.test.ts',
  why: 'Qwen3-0.6B is on huggingface.co only: the test runs these commands on tiny Qwen3, Llama and Gemma 3 checkpoints from a loopback Hub',
};

/** classify train on an open family: the same commands run on tiny checkpoints in their test. */
const openClassifyExample: Plan = {
  kind: 'instead',
  run: 'pnpm --filter scratchgpt-cli test test/classify-open-models.test.ts',
  why: 'Qwen3-0.6B is on huggingface.co only: the test runs classify train, resume and predict on tiny Qwen3, Llama and Gemma 3 checkpoints from a loopback Hub',
};

export const plans: Record<string, Plan> = {
  // README.md
  'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 demo': {
    kind: 'instead',
    run: 'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 demo --minutes 0.05 --out {tmp}/runs/demo',
    why: 'the demo trains for three minutes; three seconds show it builds, trains, generates and saves',
  },
  'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 test': {
    kind: 'skip',
    check: "grep -qxF 'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 test' .ci/run",
    why: 'it is the command that runs this check; .ci/run runs it, word for word, on a fresh machine',
  },
  'pnpm --filter @scratchgpt/gpt-model test': oneTestFile('@scratchgpt/gpt-model', 'src/readme.test.ts'),
  [`${cli} download gpt2`]: onLoopbackHub(`${cli} download gpt2`, hubWhy),
  [`${cli} generate --model gpt2 --prompt "Every effort moves you" --max-new-tokens 15`]: onLoopbackHub(
    `${cli} generate --model gpt2 --prompt "Every effort moves you" --max-new-tokens 15`,
    hubWhy,
  ),
  [`${cli} eval --model gpt2 --data data/the-verdict.txt --context 256`]: onLoopbackHub(
    `${cli} eval --model gpt2 --data data/the-verdict.txt --context 32`,
    smallGpt2Why,
  ),
  [`${cli} train --model gpt2 --data my-text.txt --context 256 --batch-size 1 --out runs/mine`]:
    onLoopbackHub(
      `${cli} train --model gpt2 --data data/the-verdict.txt --context 32 --batch-size 1 --steps 1 --out {tmp}/runs/mine`,
      `${smallGpt2Why}; one step on The Verdict writes the same continued run`,
    ),

  [`${cli} train --model Qwen/Qwen3-0.6B --data my-text.txt --context 256 --batch-size 1 --out runs/qwen3-mine`]:
    openModelExamples,
  [`${cli} eval --model runs/qwen3-mine --data my-text.txt --context 256`]: openModelExamples,
  [`${cli} instruct train --model Qwen/Qwen3-0.6B --lora-rank 8 --context 256 --out runs/qwen3-sft`]:
    openModelExamples,
  [`${cli} instruct respond --model runs/qwen3-sft --out answers.json --limit 5`]: openModelExamples,
  [`${cli} generate --model runs/qwen3-sft --prompt "The capital of France is"`]: openModelExamples,
  [`${cli} classify train --model Qwen/Qwen3-0.6B --out runs/spam-qwen3 --max-length 64`]:
    openClassifyExample,

  // .changeset/README.md
  'pnpm changeset': {
    kind: 'skip',
    check: 'pnpm changeset --help',
    why: 'it asks questions in the terminal and writes a changeset',
  },

  // apps/node-gpu/README.md
  'pnpm --filter scratchgpt-cli add @tensorflow/tfjs-node-gpu@4.22.0': {
    kind: 'skip',
    // The version exists, its build script is allowed, and it is the version the workspace's tfjs-core has.
    check:
      'pnpm view @tensorflow/tfjs-node-gpu@4.22.0 version | grep -qx 4.22.0 && ' +
      'grep -q \'^  "@tensorflow/tfjs-node-gpu": true$\' pnpm-workspace.yaml && ' +
      'test "$(node -p "require(\'./packages/tensor/node_modules/@tensorflow/tfjs-core/package.json\').version")" = 4.22.0',
    why: 'it downloads libtensorflow for CUDA and changes package.json and the lockfile',
  },
  'node apps/node-gpu/dist/cli.js train --config gpt-micro --context 128 --batch-size 4 --epochs 10 --out runs/verdict':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js train --config gpt-micro --context 128 --batch-size 4 --steps 1 --out {tmp}/runs/verdict',
      why: 'ten epochs take minutes; one step writes the same checkpoint, training state and loss.svg',
    },
  'node apps/node-gpu/dist/cli.js generate --model runs/verdict --prompt "Every effort moves you" --temperature 0.7 --top-k 40':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js generate --model {tmp}/runs/verdict --prompt "Every effort moves you" --temperature 0.7 --top-k 40 --max-new-tokens 5',
      why: 'five tokens from the one-step checkpoint above',
    },
  'node apps/node-gpu/dist/cli.js classify train --model runs/verdict --out runs/spam': {
    kind: 'instead',
    run: 'node apps/node-gpu/dist/cli.js classify train --model {tmp}/runs/verdict --out {tmp}/runs/spam --steps 2',
    why: 'five epochs take minutes; two steps from the one-step GPT above write the same classifier run',
  },
  'node apps/node-gpu/dist/cli.js classify train --model runs/verdict --out runs/spam-lora --lora-rank 16 --lr 8e-4':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js classify train --model {tmp}/runs/verdict --out {tmp}/runs/spam-lora --lora-rank 16 --lr 8e-4 --steps 2',
      why: 'two LoRA steps write the same run as five epochs',
    },
  'node apps/node-gpu/dist/cli.js classify eval --model runs/spam': {
    kind: 'instead',
    run: 'node apps/node-gpu/dist/cli.js classify eval --model {tmp}/runs/spam',
    why: 'the two-step classifier above',
  },
  'node apps/node-gpu/dist/cli.js classify predict --model runs/spam "You are a winner you have been specially selected to receive \\$1000 cash or a \\$2000 award."':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js classify predict --model {tmp}/runs/spam "You are a winner you have been specially selected to receive \\$1000 cash or a \\$2000 award."',
      why: 'the two-step classifier above',
    },
  'node apps/node-gpu/dist/cli.js bench --config gpt-tiny --batch-size 4 --context 64 --json': {
    kind: 'instead',
    run: 'node apps/node-gpu/dist/cli.js bench --config gpt-tiny --batch-size 4 --context 64 --steps 1 --json',
    why: 'a benchmark: one timed step',
  },
  'node apps/node-gpu/dist/cli.js bench --config gpt2-small --batch-size 1 --context 256 --steps 2 --only forward --json':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js bench --config gpt2-small --batch-size 1 --context 16 --steps 1 --only forward --json',
      why: "a benchmark: GPT-2 small's forward pass over 256 tokens takes about a minute on wasm",
    },
  'node apps/node-gpu/bench/compare-pytorch.mjs --config tiny --batch-size 4 --context 64': {
    kind: 'pytorch',
    instead:
      'node apps/node-gpu/bench/compare-pytorch.mjs --config tiny --batch-size 4 --context 64 --steps 1 --repeat 1',
    check: syntaxOf('apps/node-gpu/bench/compare-pytorch.mjs'),
  },
  'node apps/node-gpu/dist/cli.js instruct train --model runs/pretrained --out runs/sft --epochs 2 --lr 5e-5':
    {
      kind: 'instead',
      run: 'node apps/node-gpu/dist/cli.js instruct train --model {tmp}/runs/verdict --out {tmp}/runs/sft --steps 1 --eval-batches 1 --lr 5e-5',
      why: 'two epochs take minutes; one step from the one-step checkpoint above writes the same instruction run',
    },
  'node apps/node-gpu/dist/cli.js instruct respond --model runs/sft --out runs/sft/responses.json': {
    kind: 'instead',
    run: 'node apps/node-gpu/dist/cli.js instruct respond --model {tmp}/runs/sft --out {tmp}/runs/sft/responses.json --limit 2 --max-new-tokens 3',
    why: 'two answers of three tokens from the one-step instruction run above, in the same file format',
  },
  [`${cli} instruct train --model gpt2 --out runs/sft-lora --lora-rank 16 --lr 1e-4`]: onLoopbackHub(
    `${cli} instruct train --model gpt2 --out {tmp}/runs/sft-lora --lora-rank 16 --lr 1e-4 --steps 1 --context 32 --eval-batches 1`,
    `${smallGpt2Why}; one step writes the same LoRA run`,
  ),
  'node apps/node-gpu/dist/cli.js instruct dpo --model runs/sft --out runs/dpo --lr 1e-5': {
    kind: 'instead',
    run: 'node apps/node-gpu/dist/cli.js instruct dpo --model {tmp}/runs/sft --out {tmp}/runs/dpo --steps 1 --eval-batches 1 --lr 1e-5',
    why: 'an epoch takes minutes; one step from the one-step instruction run above writes the same DPO run',
  },
  'node apps/node-gpu/dist/cli.js judge --responses runs/sft/responses.json --judge-model llama3': {
    kind: 'skip',
    check: 'node apps/node-gpu/dist/cli.js help judge',
    why: 'it needs an Ollama server with a judge model; the CLI tests run it against a loopback server',
  },
  'node apps/node-gpu/dist/cli.js chat --model runs/sft': {
    kind: 'instead',
    run: "echo 'Name a primary color.' | node apps/node-gpu/dist/cli.js chat --model {tmp}/runs/sft --max-new-tokens 3",
    why: 'an interactive session on a terminal; from a pipe it answers each line (the CLI tests drive the terminal)',
  },
  [`${cli} serve --model runs/sft --model runs/pretrained --port 8000`]: servingExamples,
  [servingCurl]: servingExamples,
  'node apps/node-gpu/bench/classify-sms.mjs --seeds 5 --kernels Haswell,SkylakeX --markdown': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/classify-sms.mjs --variants random-lora --seeds 2 --max-steps 2 --no-pytorch --out {tmp}/classify-sms --markdown',
    why: 'a benchmark of hours: two seeds of one variant for two steps each, the table printed from them (kernel sets are CPU-specific)',
  },
  'node apps/node-gpu/bench/instruct-end-to-end.mjs --seeds 3 --markdown': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/instruct-end-to-end.mjs --seeds 2 --pretrain-steps 2 --max-steps 2 --limit 2 --max-new-tokens 4 --out {tmp}/instruct-e2e --markdown',
    why: 'a benchmark of an hour: two seeds tuning two steps each and answering two entries',
  },
  'node apps/node-gpu/bench/recompute.mjs': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/recompute.mjs --backends wasm --preset gpt-nano --tokens 16 --repeats 1',
    why: "a benchmark: GPT-2 medium's training steps take minutes on wasm",
  },
  'node apps/node-gpu/bench/lora-memory.mjs --backends wasm': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/lora-memory.mjs --backends wasm --presets gpt-nano --tokens 16 --rank 2',
    why: "a benchmark: GPT-2's LoRA steps take minutes each on wasm, and the largest fill its heap",
  },
  'node apps/node-gpu/bench/chapter5.mjs': {
    kind: 'skip',
    check: syntaxOf('apps/node-gpu/bench/chapter5.mjs'),
    why: "the book's chapter 5 run: GPT-2 small for ten epochs, about an hour on wasm, with no smaller setting",
  },
  'node apps/node-gpu/bench/chapter5-pytorch.mjs': {
    kind: 'skip',
    check: `${syntaxOf('apps/node-gpu/bench/chapter5-pytorch.mjs')} && ${compiles('tools/reference/chapter5.py')}`,
    why: 'the same run in PyTorch: about 25 minutes, with no smaller setting',
  },
  'node apps/node-gpu/bench/train-parity.mjs': {
    kind: 'pytorch',
    instead: 'node apps/node-gpu/bench/train-parity.mjs --steps 1 --config tiny',
    check: `${syntaxOf('apps/node-gpu/bench/train-parity.mjs')} && ${compiles('tools/reference/train_parity.py')}`,
  },

  'node apps/node-gpu/bench/mixed-precision.mjs --steps 200 --backend wasm': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/mixed-precision.mjs --steps 6 --backend wasm --precisions f32,f16',
    why: 'a benchmark: six steps in two precisions instead of 200 in three',
  },
  'node apps/node-gpu/bench/webgpu-vs-peer.mjs --rounds 2 --steps 3': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/webgpu-vs-peer.mjs --rounds 1 --steps 1',
    why: 'a benchmark: one round of one step for each of the three on the software adapter',
  },
  'node apps/node-gpu/bench/webgpu-kernels.mjs --reps 2': {
    kind: 'instead',
    run: 'node apps/node-gpu/bench/webgpu-kernels.mjs --reps 1',
    why: 'a benchmark: one repetition of each kernel',
  },
  'node apps/node-gpu/gpu-run/pack.mjs --out /tmp': {
    kind: 'instead',
    run: 'node apps/node-gpu/gpu-run/pack.mjs --out {tmp}',
    why: 'the archive goes into the temporary folder, where the next command unpacks it',
  },
  'tar -xJf scratchgpt-gpu-run.tar.xz && scratchgpt-gpu-run/run.sh': {
    kind: 'pytorch',
    // No NVIDIA GPU here: the archive runs on the software Vulkan adapter, PyTorch on the CPU, through
    // Debian's python3 (the one this check requires; another python3 may come first on PATH).
    instead:
      'tar -xJf {tmp}/scratchgpt-gpu-run.tar.xz -C {tmp} && TORCH_DEVICE=cpu PYTHON=/usr/bin/python3 {tmp}/scratchgpt-gpu-run/run.sh --config gpt-tiny --context 16 --batch-size 1 --steps 1',
    check: `bash -n apps/node-gpu/gpu-run/run.sh && ${compiles('apps/node-gpu/gpu-run/pytorch-fp32.py')}`,
  },
  [`${cli} eval --model gpt2 --data data/the-verdict.txt --context 256 --batch-size 2`]: onLoopbackHub(
    `${cli} eval --model gpt2 --data data/the-verdict.txt --context 32 --batch-size 2`,
    smallGpt2Why,
  ),
  [`${cli} train --model gpt2 --data my-text.txt --context 256 --batch-size 1 --grad-accum 2 --out runs/gpt2-mine`]:
    onLoopbackHub(
      `${cli} train --model gpt2 --data data/the-verdict.txt --context 32 --batch-size 1 --grad-accum 2 --steps 1 --out {tmp}/runs/gpt2-mine`,
      `${smallGpt2Why}; one step on The Verdict writes the same continued run`,
    ),
  [`${cli} convert --model gpt2 --out gpt2-book --layout book`]: onLoopbackHub(
    `${cli} convert --model gpt2 --out {tmp}/gpt2-book --layout book`,
    `${hubWhy}; the output goes to a temporary folder`,
  ),
  'python3 tools/reference/open_fixture_checkpoint.py qwen3-tiny --out qwen3-tiny': {
    kind: 'instead',
    run: 'python3 tools/reference/open_fixture_checkpoint.py qwen3-tiny --out {tmp}/qwen3-tiny',
    why: 'the checkpoint goes to a temporary folder',
  },
  [`${cli} convert --model qwen3-tiny --out qwen3-book --layout book`]: {
    kind: 'instead',
    run: `${cli} convert --model {tmp}/qwen3-tiny --out {tmp}/qwen3-book --layout book`,
    why: 'the checkpoint the line above wrote, converted into a temporary folder',
  },
  '/usr/bin/python3 tools/reference/book_open_models.py qwen3-book --expected packages/open-models/fixtures/qwen3-tiny/io.safetensors':
    {
      kind: 'pytorch',
      instead:
        '/usr/bin/python3 tools/reference/book_open_models.py {tmp}/qwen3-book --expected packages/open-models/fixtures/qwen3-tiny/io.safetensors',
      check: compiles('tools/reference/book_open_models.py'),
    },
  [`${cli} convert --model qwen3-book --out qwen3-hf --layout hf`]: {
    kind: 'instead',
    run: `${cli} convert --model {tmp}/qwen3-book --out {tmp}/qwen3-hf --layout hf`,
    why: 'the book-layout checkpoint two lines above, converted back into a temporary folder',
  },
  'node apps/node-gpu/bench/gpt2-chapter5.mjs': {
    kind: 'skip',
    check: syntaxOf('apps/node-gpu/bench/gpt2-chapter5.mjs'),
    why: realWeightsWhy,
  },
  'node apps/node-gpu/bench/gpt2-chapter5.mjs --model DIR': {
    kind: 'skip',
    check: syntaxOf('apps/node-gpu/bench/gpt2-chapter5.mjs'),
    why: realWeightsWhy,
  },
  'node apps/node-gpu/bench/gpt2-chapter5.mjs --model gpt2-xl --backend cpu': {
    kind: 'skip',
    check: syntaxOf('apps/node-gpu/bench/gpt2-chapter5.mjs'),
    why: realWeightsWhy,
  },
  'node apps/node-gpu/bench/half-generation.mjs': {
    kind: 'skip',
    check: `${syntaxOf('apps/node-gpu/bench/half-generation.mjs')} && ${compiles('tools/reference/gpt2_kv_generate.py')}`,
    why: 'a benchmark: GPT-2 small generating in f32, bf16 and f16 on three backends and in PyTorch, many minutes',
  },
  'node apps/node-gpu/bench/open-models-vs-pytorch.mjs': {
    kind: 'skip',
    check: `${syntaxOf('apps/node-gpu/bench/open-models-vs-pytorch.mjs')} && ${compiles('tools/reference/open_models_bench.py')}`,
    why: 'a benchmark: Qwen3-0.6B and Gemma-3-270M with random weights, generating and training on both sides, tens of minutes',
  },
  'node apps/node-gpu/bench/open-models-vs-pytorch.mjs --measures lora-train --threads 1 --base-precision bf16':
    {
      kind: 'skip',
      check: `${syntaxOf('apps/node-gpu/bench/open-models-vs-pytorch.mjs')} && ${compiles('tools/reference/open_models_bench.py')} && ${compiles('tools/reference/half_base.py')}`,
      why: 'a benchmark: Qwen3-0.6B and Gemma-3-270M with random weights, LoRA training on both sides, tens of minutes',
    },
  'node apps/node-gpu/bench/open-models-vs-pytorch.mjs --shapes gemma3-270m --measures generate --repeat 5': {
    kind: 'skip',
    check: `${syntaxOf('apps/node-gpu/bench/open-models-vs-pytorch.mjs')} && ${compiles('tools/reference/open_models_bench.py')}`,
    why: 'a benchmark: Gemma-3-270M with random weights generating on both sides, several minutes',
  },
  ...Object.fromEntries(
    ['qwen3', 'llama3', 'gemma3'].map((family) => [
      `node apps/node-gpu/bench/open-models-with-weights.mjs --family ${family}`,
      {
        kind: 'skip',
        check: `${syntaxOf('apps/node-gpu/bench/open-models-with-weights.mjs')} && ${compiles('tools/reference/open_model_generate.py')}`,
        why: 'it checks the published checkpoints, which only huggingface.co has (test/open-models-with-weights.test.ts runs it on a loopback Hub)',
      } satisfies Plan,
    ]),
  ),
  'node apps/node-gpu/bench/gpt2-from-cache.mjs': {
    kind: 'skip',
    check: `${syntaxOf('apps/node-gpu/bench/gpt2-from-cache.mjs')} && ${compiles('tools/reference/load_bench.py')} && ${compiles('tools/reference/random_gpt2.py')}`,
    why: "a benchmark: it makes a 498 MB checkpoint of GPT-2 124M's shapes, downloads it from a loopback Hub and loads it on each backend and in PyTorch, several minutes",
  },

  // apps/web-webgpu/README.md
  'pnpm --filter web-webgpu dev': { kind: 'serve', why: 'a development server' },
  'pnpm --filter web-webgpu preview': { kind: 'serve', why: 'serves the static build' },
  'pnpm --filter web-webgpu test': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu test src/ui/model-size.test.ts',
    why: 'the end-to-end test drives Chromium for minutes and runs in `pnpm test` already: one file shows that the command works',
  },
  'pnpm --filter web-webgpu bench': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench --steps 2 --warmup 1 --context 16 --batch 1',
    why: 'a benchmark: two steps on each backend in Chromium',
  },
  'pnpm --filter web-webgpu bench --steps 20 --warmup 5 --model gpt-nano --context 32 --batch 2': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench --steps 2 --warmup 1 --context 16 --batch 1',
    why: 'a benchmark: two steps on each backend in Chromium (the run above)',
  },
  'pnpm --filter web-webgpu bench --only wasm,wasmt1,wasm1 --rounds 5 --steps 10 --warmup 2': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench --only wasm,wasmt1,wasm1 --steps 2 --warmup 1 --context 16 --batch 1',
    why: 'a benchmark: two steps on wasm on every core and on one thread in Chromium, once each',
  },
  'pnpm --filter web-webgpu bench:lora': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench:lora --presets gpt-nano --precisions bf16 --steps 2',
    why: 'a benchmark: GPT-2 medium and large take many minutes a step on a software adapter; gpt-nano shows that it runs',
  },
  'pnpm --filter web-webgpu bench:load': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench:load --preset gpt-nano',
    why: 'a benchmark: GPT-2 small is a 652 MB file loaded twice in Chromium; gpt-nano shows that it runs',
  },
  'pnpm --filter web-webgpu bench:load --preset gpt2-medium': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench:load --preset gpt-nano',
    why: 'a benchmark: GPT-2 medium is a 1.6 GB file loaded twice in Chromium; gpt-nano shows that it runs',
  },
  'pnpm --filter web-webgpu bench:lora --presets gpt2-medium --precisions bf16 --steps 2': {
    kind: 'instead',
    run: 'pnpm --filter web-webgpu bench:lora --presets gpt-nano --precisions bf16 --steps 2',
    why: 'a benchmark: GPT-2 medium takes minutes a step on a software adapter; gpt-nano shows that it runs',
  },

  // packages/*/README.md
  'pnpm --filter @scratchgpt/attention test': oneTestFile('@scratchgpt/attention', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/classifier test': oneTestFile('@scratchgpt/classifier', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/data-loader test': oneTestFile('@scratchgpt/data-loader', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/files test': oneTestFile('@scratchgpt/files', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/lora test': oneTestFile('@scratchgpt/lora', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/open-models test': oneTestFile('@scratchgpt/open-models', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/tensor test': oneTestFile('@scratchgpt/tensor', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/tokenizer test': oneTestFile('@scratchgpt/tokenizer', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/trainer test': oneTestFile('@scratchgpt/trainer', 'src/readme.test.ts'),
  'pnpm exec tsx packages/data-loader/bench/stream.ts --mb 200 --tokenizer bpe --chunk-kib 256': {
    kind: 'instead',
    run: 'pnpm exec tsx packages/data-loader/bench/stream.ts --mb 1 --tokenizer bpe --chunk-kib 256',
    why: 'a benchmark: a 1 MB corpus instead of 200 MB',
  },
  'pnpm exec tsx --conditions=@scratchgpt/source packages/tokenizer/bench/throughput.ts': {
    kind: 'instead',
    run: 'pnpm exec tsx --conditions=@scratchgpt/source packages/tokenizer/bench/throughput.ts --reps 1',
    why: 'a benchmark: one repetition instead of five',
  },
  'pnpm fixtures': {
    kind: 'pytorch',
    instead: 'pnpm fixtures --out {tmp}/fixtures',
    check: compiles('tools/reference/make_fixtures.py'),
  },

  // tools/distributed/README.md
  [`${cli} train --config gpt-micro --steps 50 --out runs/micro`]: {
    kind: 'instead',
    run: `${cli} train --config gpt-micro --steps 2 --out {tmp}/runs/micro`,
    why: 'two steps write the same checkpoint for PyTorch to continue',
  },
  [`${cli} tokenize --file data/the-verdict.txt --ids --json > ids.json`]: {
    kind: 'instead',
    run: `${cli} tokenize --file data/the-verdict.txt --ids --json > {tmp}/ids.json`,
    why: 'the ids go to a temporary folder',
  },
  'torchrun --nproc_per_node 2 --redirects 1 --tee 1 tools/distributed/continue_training.py --model runs/micro --tokens ids.json --out runs/micro-ddp --steps 100 --batch-size 4':
    {
      kind: 'pytorch',
      instead:
        'torchrun --nproc_per_node 2 --redirects 1 --tee 1 tools/distributed/continue_training.py --model {tmp}/runs/micro --tokens {tmp}/ids.json --out {tmp}/runs/micro-ddp --steps 2 --batch-size 4',
      check: compiles('tools/distributed/continue_training.py'),
    },
  'python3 tools/reference/open_fixture_checkpoint.py qwen3-tiny --out qwen3-tiny --ids qwen3-ids.json': {
    kind: 'instead',
    run: 'python3 tools/reference/open_fixture_checkpoint.py qwen3-tiny --out {tmp}/ddp/qwen3-tiny --ids {tmp}/ddp/qwen3-ids.json',
    why: 'the checkpoint and its ids go to a temporary folder',
  },
  'torchrun --nproc_per_node 2 --redirects 1 --tee 1 tools/distributed/continue_training.py --model qwen3-tiny --tokens qwen3-ids.json --out qwen3-ddp --steps 8 --context 16 --lr 1e-2':
    {
      kind: 'pytorch',
      instead:
        'torchrun --nproc_per_node 2 --redirects 1 --tee 1 tools/distributed/continue_training.py --model {tmp}/ddp/qwen3-tiny --tokens {tmp}/ddp/qwen3-ids.json --out {tmp}/ddp/qwen3-ddp --steps 2 --context 16 --lr 1e-2',
      check: compiles('tools/distributed/continue_training.py'),
    },
  [`${cli} generate --model qwen3-ddp --ids 0,37,74,111 --max-new-tokens 4`]: {
    kind: 'pytorch',
    // The model the torchrun line above wrote.
    instead: `${cli} generate --model {tmp}/ddp/qwen3-ddp --ids 0,37,74,111 --max-new-tokens 4`,
    check: compiles('tools/distributed/continue_training.py'),
  },
  [`${cli} generate --model runs/micro-ddp --prompt "Every effort moves you"`]: {
    kind: 'pytorch',
    // The model the torchrun line above wrote.
    instead: `${cli} generate --model {tmp}/runs/micro-ddp --prompt "Every effort moves you" --max-new-tokens 5`,
    check: compiles('tools/distributed/continue_training.py'),
  },

  // tools/reference/README.md
  '/usr/bin/python3 tools/reference/make_fixtures.py': {
    kind: 'pytorch',
    instead: '/usr/bin/python3 tools/reference/make_fixtures.py --out {tmp}/fixtures',
    check: compiles('tools/reference/make_fixtures.py'),
  },
  '/usr/bin/python3 tools/reference/make_fixtures.py --check': {
    kind: 'pytorch',
    check: compiles('tools/reference/make_fixtures.py'),
  },
  '/usr/bin/python3 tools/reference/verify_fixtures.py': {
    kind: 'pytorch',
    check: compiles('tools/reference/verify_fixtures.py'),
  },
  '/usr/bin/python3 tools/reference/test_check_checkpoint.py': {
    kind: 'pytorch',
    check: compiles('tools/reference/test_check_checkpoint.py'),
  },
  '/usr/bin/python3 tools/reference/test_fixture_compare.py': {
    kind: 'pytorch',
    check: compiles('tools/reference/test_fixture_compare.py'),
  },
  '/usr/bin/python3 tools/reference/test_half_base.py': {
    kind: 'pytorch',
    check: compiles('tools/reference/test_half_base.py'),
  },
  '/usr/bin/python3 tools/reference/check_checkpoint.py runs/verdict': {
    kind: 'pytorch',
    // The checkpoint the CLI README's training example wrote, earlier in this check.
    instead: '/usr/bin/python3 tools/reference/check_checkpoint.py {tmp}/runs/verdict',
    check: compiles('tools/reference/check_checkpoint.py'),
  },
  '/usr/bin/python3 tools/reference/bench.py --config tiny --batch-size 4 --context 64 --steps 10': {
    kind: 'pytorch',
    instead: '/usr/bin/python3 tools/reference/bench.py --config tiny --batch-size 4 --context 64 --steps 1',
    check: compiles('tools/reference/bench.py'),
  },
  '/usr/bin/python3 tools/reference/bench.py --config gpt2-small --batch-size 2 --context 256 --steps 2': {
    kind: 'pytorch',
    instead:
      '/usr/bin/python3 tools/reference/bench.py --config gpt2-small --batch-size 2 --context 16 --steps 1',
    check: compiles('tools/reference/bench.py'),
  },
  '/usr/bin/python3 tools/reference/bench.py --config tiny --batch-size 4 --context 64 --forward': {
    kind: 'pytorch',
    instead:
      '/usr/bin/python3 tools/reference/bench.py --config tiny --batch-size 4 --context 64 --forward --steps 1',
    check: compiles('tools/reference/bench.py'),
  },
};
