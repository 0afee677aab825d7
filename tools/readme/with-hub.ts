/**
 * Runs a README command that names a Hub model (`--model gpt2`) against a Hub on loopback instead of
 * huggingface.co, which the checks cannot reach: `gpt2` is the small GPT-2-format model the PyTorch
 * reference made (packages/hub/fixtures/tiny-gpt2). The cache folder is given, so commands run one
 * after another share it as a user's do: the first downloads, the next ones read the cache.
 *
 *   tsx tools/readme/with-hub.ts CACHE_DIR 'node apps/node-gpu/dist/cli.js generate --model gpt2 …'
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startFakeHub } from '@scratchgpt/hub/testing';
import { repositoryRoot } from '../packed/pack.js';

const [cacheDir, line] = process.argv.slice(2);
if (cacheDir === undefined || line === undefined) {
  console.error("usage: tsx tools/readme/with-hub.ts CACHE_DIR 'COMMAND'");
  process.exit(2);
}

const fixture = (name: string) =>
  new Uint8Array(
    readFileSync(new URL(`packages/hub/fixtures/tiny-gpt2/${name}`, `file://${repositoryRoot}`)),
  );
const hub = await startFakeHub({
  repos: {
    'openai-community/gpt2': {
      files: { 'config.json': fixture('config.json'), 'model.safetensors': fixture('model.safetensors') },
    },
  },
});

const child = spawn('bash', ['-c', line], {
  cwd: repositoryRoot,
  env: { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir },
  stdio: 'inherit',
});
const code = await new Promise<number>((resolve) => child.on('close', (status) => resolve(status ?? 1)));
await hub.close();
process.exit(code);
