/**
 * How the README check runs each README command. A command not listed here runs exactly as written,
 * from the repository root; `npm install …` lines run in a fresh npm project with the packed packages
 * (see commands.test.ts). Everything else is listed here, keyed by the command as written:
 *
 * - `instead`: a smaller run of the same command (fewer steps, a temporary output folder), with why.
 * - `serve`: a server; it runs until it answers an HTTP request on the address it prints.
 * - `skip`: not run, for the reason given; `check` (a command) shows it still parses.
 * - `pytorch`: needs Debian's python3-torch (`/usr/bin/python3` importing torch). Where it is present
 *   the command (or its `instead`) runs; elsewhere (CI) only `check` runs and the test says so.
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
const oneTestFile = (filter: string, file: string): Plan => ({
  kind: 'instead',
  run: `pnpm --filter ${filter} test ${file}`,
  why: 'the whole suite runs in `pnpm test` already: one file shows that the command works',
});

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

  // packages/*/README.md
  'pnpm --filter @scratchgpt/attention test': oneTestFile('@scratchgpt/attention', 'src/readme.test.ts'),
  'pnpm --filter @scratchgpt/data-loader test': oneTestFile('@scratchgpt/data-loader', 'src/readme.test.ts'),
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
