/**
 * bench/open-models-with-weights.mjs end to end against a loopback Hub serving the tiny fixtures in
 * Hugging Face's layouts (Qwen3 in two shards, Llama 3 as BF16, Gemma 3 as one file): the script
 * downloads each through the CLI, and scratchgpt's greedy ids equal the PyTorch reference's on the same
 * weights. Needs Debian's python3-torch: skipped without it, unless SCRATCHGPT_REQUIRE_PYTORCH=1 (CI
 * sets it) makes that a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { parseSafetensors } from '@scratchgpt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../packages/open-models/src/test-support/fixtures.js';
import {
  bf16Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
  shardedCheckpoint,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { assertBuilt } from './cli-harness.js';

const python = '/usr/bin/python3';
const script = fileURLToPath(new URL('../bench/open-models-with-weights.mjs', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const required = process.env.SCRATCHGPT_REQUIRE_PYTORCH === '1';

describe.runIf(!hasTorch && required)('open-models-with-weights.mjs', () => {
  it('needs PyTorch, because SCRATCHGPT_REQUIRE_PYTORCH=1', () => {
    throw new Error(`SCRATCHGPT_REQUIRE_PYTORCH=1 but ${python} cannot import torch: install python3-torch`);
  });
});

const repos = {
  'acme/qwen3-tiny': Object.fromEntries(shardedCheckpoint(fixtureWeights('qwen3-tiny'), 2)),
  'acme/llama3-tiny': { 'model.safetensors': bf16Safetensors(fixtureWeights('llama3-tiny')) },
  'acme/gemma3-tiny': { 'model.safetensors': fixtureFile('gemma3-tiny', 'weights.safetensors') },
};

describe.runIf(hasTorch)('open-models-with-weights.mjs on a loopback Hub', () => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    assertBuilt();
    const work = await mkdtemp(join(tmpdir(), 'scratchgpt-with-weights-'));
    hub = await startFakeHub({
      repos: Object.fromEntries(
        Object.entries(repos).map(([repo, files]) => {
          const fixture = repo.slice('acme/'.length);
          return [repo, { files: { 'config.json': jsonBytes(huggingFaceConfig(fixture)), ...files } }];
        }),
      ),
    });
    env = {
      ...process.env,
      HF_ENDPOINT: hub.endpoint,
      HF_HUB_CACHE: join(work, 'cache'),
      SCRATCHGPT_CACHE: join(work, 'own'),
    };
    delete env.HF_TOKEN;
    delete env.HF_HUB_OFFLINE;
  });
  afterAll(() => hub.close());

  const check = (...args: string[]) =>
    promisify(execFile)(process.execPath, [script, ...args, '--backend', 'cpu'], { env });

  it.each([
    ['qwen3', 'acme/qwen3-tiny'],
    ['llama3', 'acme/llama3-tiny'],
    ['gemma3', 'acme/gemma3-tiny'],
  ])('%s: the ids of both sides match', async (family, repo) => {
    const fixture = repo.slice('acme/'.length);
    const prompt = [
      ...parseSafetensors(fixtureFile(fixture, 'io.safetensors')).tensors.get('prompt_ids')!.data,
    ];
    // Gemma's 20-token prompt and 16 new tokens outgrow its window of 12.
    const { stdout } = await check(
      '--family',
      family,
      '--model',
      repo,
      '--ids',
      prompt.join(','),
      '--max-new-tokens',
      '16',
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ family, promptTokenIds: prompt, match: true, stoppedAtEndOfText: false });
    expect(result.scratchgpt).toHaveLength(16);
    expect(result.pytorch).toEqual(result.scratchgpt);
    expect(stdout).toContain('token ids match');
  });

  it('refuses a checkpoint of another family than --family, naming both', async () => {
    await expect(
      check('--family', 'gemma3', '--model', 'acme/qwen3-tiny', '--ids', '1,2'),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'acme/qwen3-tiny is a qwen3 checkpoint (config.json model_type qwen3), not --family gemma3',
      ),
    });
  });
});
