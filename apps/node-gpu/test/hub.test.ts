/**
 * `--model` with a Hugging Face Hub id, against a Hub on loopback serving the GPT-2-format model the
 * PyTorch reference made (packages/hub/fixtures/tiny-gpt2): download, generate (PyTorch's greedy
 * tokens), eval, continued pretraining, convert, offline use, the memory check, clear errors.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, unreachableEndpoint } from '@scratchgpt/hub/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, jsonLines, ownStderr, runCli, versePath } from './cli-harness.js';
import { greedyIds, promptIds, startTinyGpt2Hub, tinyGpt2Dir } from './tiny-gpt2-hub.js';

let hub: FakeHub;
let work: string;
let env: Record<string, string | undefined>;
const backend = ['--backend', 'wasm'];

beforeAll(async () => {
  assertBuilt();
  hub = await startTinyGpt2Hub();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-cli-hub-'));
});
afterAll(() => hub.close());

beforeEach(async () => {
  env = {
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: await mkdtemp(join(work, 'cache-')),
    HF_TOKEN: undefined,
    HF_HUB_OFFLINE: undefined,
    SCRATCHGPT_CACHE: join(work, 'own'),
  };
  hub.requests.length = 0;
  hub.faults.silent = false;
  hub.faults.hubHeaders = undefined;
});

const cli = (args: string[]) => runCli(args, { env });
const words = (text: string) => text.split(' ');
const generateArgs = [
  'generate',
  '--model',
  'gpt2',
  '--prompt',
  'Every effort moves you',
  '--max-new-tokens',
  '10',
  '--json',
];

describe('models from the Hub', () => {
  it('download fetches into the Hugging Face cache, once', async () => {
    const first = await cli(['download', 'gpt2', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout) as Record<string, unknown>;
    const commit = hub.commitOf('openai-community/gpt2');
    expect(result).toEqual({
      id: 'gpt2',
      repo: 'openai-community/gpt2',
      revision: 'main',
      commit,
      directory: join(env.HF_HUB_CACHE!, 'models--openai-community--gpt2', 'snapshots', commit),
      files: [
        { path: 'config.json', size: statSync(join(tinyGpt2Dir, 'config.json')).size, downloaded: true },
        {
          path: 'model.safetensors',
          size: statSync(join(tinyGpt2Dir, 'model.safetensors')).size,
          downloaded: true,
        },
      ],
      source: 'hub',
    });
    // Progress bars are for terminals only: nothing on a pipe.
    expect(ownStderr(first.stderr)).toEqual([]);
    const second = await cli(['download', 'gpt2']);
    expect(second.stdout).toContain('2 files, all already in the cache');
    expect(hub.downloadsOf('model.safetensors')).toHaveLength(2); // the Hub's redirect and the CDN, once
  });

  it("generate --model gpt2 continues the prompt with PyTorch's greedy tokens", async () => {
    const { code, stdout, stderr } = await cli([...generateArgs, ...backend]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as { promptTokenIds: number[]; tokenIds: number[] };
    expect(result.promptTokenIds).toEqual(promptIds);
    expect(result.tokenIds).toEqual(greedyIds);
  });

  it('generate takes the prompt as --ids as well, and refuses both or neither', async () => {
    const ids = ['generate', '--model', 'gpt2', '--ids', promptIds.join(','), '--max-new-tokens', '10'];
    const { code, stdout, stderr } = await cli([...ids, '--json', ...backend]);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ promptTokenIds: promptIds, tokenIds: greedyIds });
    const both = await cli([...ids, '--prompt', 'Every', ...backend]);
    expect(both.stderr).toContain('generate: give the prompt as --prompt TEXT or as --ids ID,ID,…');
    const neither = await cli(['generate', '--model', 'gpt2', ...backend]);
    expect(neither.stderr).toContain('generate: give the prompt as --prompt TEXT or as --ids ID,ID,…');
  });

  it('offline, uses the cache without asking the Hub; with nothing cached, says where the files go', async () => {
    await cli(['download', 'gpt2']);
    hub.requests.length = 0;
    const offline = await runCli([...generateArgs, ...backend], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    expect(offline.code, offline.stderr).toBe(0);
    expect((JSON.parse(offline.stdout) as { tokenIds: number[] }).tokenIds).toEqual(greedyIds);
    expect(hub.requests).toEqual([]);

    const missing = await runCli(['generate', '--model', 'gpt2-medium', '--prompt', 'x', ...backend], {
      env: { ...env, HF_HUB_OFFLINE: '1' },
    });
    expect(missing.code).toBe(1);
    expect(ownStderr(missing.stderr)).toEqual([
      `scratchgpt: --model gpt2-medium: HF_HUB_OFFLINE is set and gpt2-medium is not in the Hugging Face cache (${join(env.HF_HUB_CACHE!, 'models--openai-community--gpt2-medium')}): fetch it once where the Hub is reachable and copy that folder here, or load a directory holding config.json and model.safetensors`,
    ]);
  });

  it('eval --model gpt2 gives the loss of the same model loaded from a directory', async () => {
    const data = join(work, 'verdict-start.txt');
    writeFileSync(data, readFileSync(versePath, 'utf8').slice(0, 3000));
    const args = ['--data', data, '--context', '32', '--batch-size', '4', '--json', ...backend];
    const fromHub = await cli(['eval', '--model', 'gpt2', ...args]);
    const fromDir = await cli(['eval', '--model', tinyGpt2Dir, ...args]);
    expect(fromHub.code, fromHub.stderr).toBe(0);
    const hubLoss = JSON.parse(fromHub.stdout) as { loss: number; windows: number };
    expect(hubLoss).toEqual(JSON.parse(fromDir.stdout));
    expect(hubLoss.loss).toBeGreaterThan(9); // an untrained model: about ln(50257) = 10.8
    expect(hubLoss.windows).toBe(23);
  });

  it('train --model gpt2 continues pretraining into --out; convert --model gpt2 rewrites it', async () => {
    const out = join(work, 'continued');
    const train = await cli([
      ...words('train --model gpt2 --steps 2 --context 32 --eval-every 0 --json'),
      '--out',
      out,
      ...backend,
    ]);
    expect(train.code, train.stderr).toBe(0);
    expect(ownStderr(train.stderr)).toContain(
      `training into ${out}: 811,216 parameters; 4,612 training tokens (72 batches of 2×32), 534 validation tokens`,
    );
    expect(jsonLines(train.stdout).at(-1)).toMatchObject({ event: 'done', step: 2, checkpoint: out });
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);

    const noOut = await cli(['train', '--model', 'gpt2', '--steps', '1', ...backend]);
    expect(noOut.code).toBe(2);
    expect(ownStderr(noOut.stderr)).toEqual([
      'scratchgpt: train: --out DIR is required with --model gpt2: the Hugging Face cache is never written to',
    ]);

    const book = join(work, 'book');
    const convert = await cli([
      ...words('convert --model gpt2 --layout book --json'),
      '--out',
      book,
      ...backend,
    ]);
    expect(convert.code, convert.stderr).toBe(0);
    expect(JSON.parse(convert.stdout)).toMatchObject({ from: 'gpt2', fromLayout: 'hf', layout: 'book' });
    expect(readdirSync(book).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('classify train and instruct train fine-tune gpt2 from the Hub into --out, which they require', async () => {
    const classifier = join(work, 'classifier');
    const classify = await cli([
      ...words('classify train --model gpt2 --steps 1 --max-length 32 --eval-every 0 --no-final-eval --json'),
      '--out',
      classifier,
      ...backend,
    ]);
    expect(classify.code, classify.stderr).toBe(0);
    expect(jsonLines(classify.stdout).at(-1)).toMatchObject({
      event: 'done',
      step: 1,
      checkpoint: classifier,
    });
    expect(JSON.parse(readFileSync(join(classifier, 'checkpoint.json'), 'utf8')).run.base).toBe('gpt2');

    const tuned = join(work, 'instruct');
    const instruct = await cli([
      ...words('instruct train --model gpt2 --steps 1 --context 32 --eval-every 0 --json'),
      '--out',
      tuned,
      ...backend,
    ]);
    expect(instruct.code, instruct.stderr).toBe(0);
    expect(jsonLines(instruct.stdout).at(-1)).toMatchObject({ event: 'done', step: 1, checkpoint: tuned });

    const asked = hub.requests.length;
    for (const command of ['classify train', 'instruct train']) {
      const noOut = await cli([...words(`${command} --model gpt2 --steps 1`), ...backend]);
      expect(noOut.code).toBe(2);
      expect(ownStderr(noOut.stderr)).toEqual([
        `scratchgpt: ${command}: --out DIR is required with --model gpt2: the Hugging Face cache is never written to`,
      ]);
    }
    // Refused before the Hub was asked anything.
    expect(hub.requests.length).toBe(asked);
  });

  it('instruct respond and chat answer with gpt2 from the Hub', async () => {
    const out = join(work, 'responses.json');
    const respond = await cli([
      ...words('instruct respond --model gpt2 --limit 1 --max-new-tokens 2 --json --out'),
      out,
      ...backend,
    ]);
    expect(respond.code, respond.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(1);
    const chat = await runCli([...words('chat --model gpt2 --max-new-tokens 2 --json'), ...backend], {
      env,
      input: 'Hello?\n',
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(jsonLines(chat.stdout)).toEqual([expect.objectContaining({ message: 'Hello?', tokens: 2 })]);
  });

  it('refuses gpt2-xl on wasm before downloading its weights, saying what fits', async () => {
    const { code, stdout, stderr } = await cli([
      'generate',
      '--model',
      'gpt2-xl',
      '--prompt',
      'x',
      ...backend,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(ownStderr(stderr)).toEqual([
      'scratchgpt: gpt2-xl needs about 5.8 GiB of tensors to run (1558M parameters, batch 1 × 1); this backend holds 4.0 GiB: use a backend without that limit (node-gpu, or webgpu on a GPU), a smaller batch or context, or a smaller model (gpt2-large fits); --precision bf16 makes it fit (it stores the weights in 16 bits as they load)',
    ]);
    expect(hub.downloadsOf('model.safetensors')).toEqual([]);
  });

  it('says in one line what went wrong with the network or the id', async () => {
    const nowhere = await unreachableEndpoint();
    const dead = await runCli(['generate', '--model', 'gpt2', '--prompt', 'x', ...backend], {
      env: { ...env, HF_ENDPOINT: nowhere },
    });
    expect(dead.code).toBe(1);
    expect(ownStderr(dead.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^scratchgpt: --model gpt2: could not reach ${nowhere} \\(.*ECONNREFUSED.*\\): check the network connection or HF_ENDPOINT; offline, set HF_HUB_OFFLINE=1 to use the Hugging Face cache, or put config.json and model.safetensors in a directory and pass it as --model DIR$`,
        ),
      ),
    ]);
    const missing = await cli(['generate', '--model', 'someone/missing-model', '--prompt', 'x', ...backend]);
    expect(ownStderr(missing.stderr)).toEqual([
      `scratchgpt: --model someone/missing-model: no such directory, and as a Hub model: the Hub at ${hub.endpoint} has no model someone/missing-model: check the id`,
    ]);
    const usage = await cli(['download', 'not a model']);
    expect(usage.code).toBe(2);
  });

  it('info says which GPT-2 sizes fit each backend', async () => {
    const { code, stdout } = await cli(['info', '--json', ...backend]);
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as {
      backends: Array<{ backend: string; gpt2?: Record<string, unknown> }>;
    };
    const wasm = info.backends.find((b) => b.backend === 'wasm')?.gpt2 as { train: string[] };
    expect(wasm).toMatchObject({
      ceilingBytes: 4 * 2 ** 30,
      maxBufferBytes: 2 ** 31,
      generate: ['gpt2-small', 'gpt2-medium', 'gpt2-large'],
    });
    expect(wasm.train).toContain('gpt2-small');
    expect(wasm.train).not.toContain('gpt2-xl');
    expect(info.backends.find((b) => b.backend === 'cpu')?.gpt2).toMatchObject({ ceilingBytes: null });
  });
});

describe('a hostile or silent Hub', () => {
  const offlineAdvice =
    '; offline, set HF_HUB_OFFLINE=1 to use the Hugging Face cache, or put config.json and model.safetensors in a directory and pass it as --model DIR';

  it('gives up on a Hub that never answers, after --timeout or HF_HUB_DOWNLOAD_TIMEOUT', async () => {
    hub.faults.silent = true;
    const silence = `${hub.endpoint} did not answer for config.json of gpt2 within 0.5 s: check the network connection, or allow longer with HF_HUB_DOWNLOAD_TIMEOUT`;
    const started = Date.now();
    const download = await cli(['download', 'gpt2', '--timeout', '0.5']);
    expect(download.code).toBe(1);
    expect(ownStderr(download.stderr)).toEqual([`scratchgpt: download gpt2: ${silence}${offlineAdvice}`]);
    const generate = await runCli(['generate', '--model', 'gpt2', '--prompt', 'x', ...backend], {
      env: { ...env, HF_HUB_DOWNLOAD_TIMEOUT: '0.5' },
    });
    expect(ownStderr(generate.stderr)).toEqual([`scratchgpt: --model gpt2: ${silence}${offlineAdvice}`]);
    expect(Date.now() - started).toBeLessThan(20_000);

    const zero = await cli(['download', 'gpt2', '--timeout', '0']);
    expect(zero.code).toBe(2);
    expect(ownStderr(zero.stderr)).toEqual([
      "scratchgpt: download: --timeout must be a number of seconds above 0 and at most 86400, got '0'",
    ]);
  });

  it('refuses headers that would name paths outside the cache, or give no size, in one line', async () => {
    const outside = () => readdirSync(join(env.HF_HUB_CACHE!, '..')).sort();
    const before = outside();
    hub.faults.hubHeaders = { headers: { 'x-linked-etag': '"../../../x"' }, file: 'model.safetensors' };
    const etag = await cli(['download', 'gpt2']);
    expect(ownStderr(etag.stderr)).toEqual([
      `scratchgpt: download gpt2: ${hub.endpoint} answered for model.safetensors of gpt2 with the ETag '../../../x', which is neither a SHA-256 nor a git object id: is HF_ENDPOINT a Hugging Face Hub?`,
    ]);
    hub.faults.hubHeaders = { headers: { 'x-repo-commit': '../../../y' } };
    const commit = await cli(['download', 'gpt2']);
    expect(ownStderr(commit.stderr)).toEqual([
      `scratchgpt: download gpt2: ${hub.endpoint} answered for config.json of gpt2 with '../../../y' as X-Repo-Commit, which is no commit id: is HF_ENDPOINT a Hugging Face Hub?`,
    ]);
    hub.faults.hubHeaders = { headers: { 'content-length': null } };
    const noSize = await cli(['download', 'gpt2']);
    expect(ownStderr(noSize.stderr)).toEqual([
      `scratchgpt: download gpt2: ${hub.endpoint} answered for config.json of gpt2 with no size (neither Content-Length nor X-Linked-Size): is HF_ENDPOINT a Hugging Face Hub?`,
    ]);
    hub.faults.hubHeaders = undefined;
    const revision = await cli(['download', 'gpt2@../../../z']);
    expect(revision.code).toBe(2);
    expect(outside()).toEqual(before);
  });

  it('never reads a cached file through a link that leads outside the cache', async () => {
    const first = await cli(['download', 'gpt2', '--json']);
    const { directory } = JSON.parse(first.stdout) as { directory: string };
    const secret = join(work, 'secret.txt');
    writeFileSync(secret, 'not a model');
    rmSync(join(directory, 'model.safetensors'));
    symlinkSync(secret, join(directory, 'model.safetensors'));
    const offline = await runCli(['download', 'gpt2'], { env: { ...env, HF_HUB_OFFLINE: '1' } });
    expect(offline.code).toBe(1);
    expect(ownStderr(offline.stderr)).toEqual([
      `scratchgpt: download gpt2: the cached ${join(directory, 'model.safetensors')} of gpt2 leads outside the cache's blobs/ (to ${secret}): remove it and download gpt2 again where the Hub is reachable`,
    ]);
    const online = await cli(['generate', ...generateArgs.slice(1), ...backend]);
    expect(online.code, online.stderr).toBe(0);
    expect((JSON.parse(online.stdout) as { tokenIds: number[] }).tokenIds).toEqual(greedyIds);
  });
});
