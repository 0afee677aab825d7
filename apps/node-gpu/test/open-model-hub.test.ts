/**
 * A Qwen3 checkpoint in the Hub's layout (config.json, tokenizer_config.json, an index and two shards),
 * made from the open-models fixture, served on loopback: `download` fetches it whole and `generate`
 * continues the fixture's prompt with PyTorch's greedy tokens.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { parseSafetensors } from '@scratchgpt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../packages/open-models/src/test-support/fixtures.js';
import {
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
  shardedCheckpoint,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { byteCharacters, byteLevelTokenizer, END_OF_TEXT } from './byte-level-tokenizer.js';
import { assertBuilt, loopbackHubEnv, runCli } from './cli-harness.js';
import { backend, startServe } from './serve-harness.js';

const REPO = 'acme/tiny-qwen3';
const WITH_TOKENIZER = 'acme/tiny-qwen3-text';
const WITH_STOPS = 'acme/tiny-qwen3-stops';
const BAD_STOPS = 'acme/tiny-qwen3-bad-stops';
const io = parseSafetensors(fixtureFile('qwen3-tiny', 'io.safetensors')).tensors;
const promptIds = [...io.get('prompt_ids')!.data];
const greedyIds = [...io.get('greedy_ids')!.data].slice(promptIds.length);

let hub: FakeHub;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  assertBuilt();
  const work = await mkdtemp(join(tmpdir(), 'scratchgpt-cli-open-model-'));
  const files = Object.fromEntries(shardedCheckpoint(fixtureWeights('qwen3-tiny'), 2));
  hub = await startFakeHub({
    repos: {
      // Llama 3.2 1B's architecture fields, and weights a float32 load on wasm must never ask for.
      'acme/llama-1b': {
        files: {
          'config.json': jsonBytes({
            model_type: 'llama',
            vocab_size: 128256,
            max_position_embeddings: 131072,
            hidden_size: 2048,
            num_attention_heads: 32,
            num_key_value_heads: 8,
            head_dim: 64,
            intermediate_size: 8192,
            num_hidden_layers: 16,
            rope_theta: 500000,
            rms_norm_eps: 1e-5,
            tie_word_embeddings: true,
          }),
          'model.safetensors': new Uint8Array(64),
        },
      },
      [REPO]: {
        files: {
          'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
          'tokenizer_config.json': jsonBytes({ model_max_length: 64 }),
          ...files,
        },
      },
      // generation_config.json lists the end-of-text and the third greedy token as stop ids.
      [WITH_STOPS]: {
        files: {
          'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
          'generation_config.json': jsonBytes({ eos_token_id: [299, greedyIds[2]] }),
          ...files,
        },
      },
      [BAD_STOPS]: {
        files: {
          'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
          'generation_config.json': jsonBytes({ eos_token_id: [1, 'x'] }),
          ...files,
        },
      },
      [WITH_TOKENIZER]: {
        files: {
          'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
          'tokenizer.json': jsonBytes(byteLevelTokenizer(300, [END_OF_TEXT])),
          'tokenizer_config.json': jsonBytes({ model_max_length: 64, eos_token: END_OF_TEXT }),
          ...files,
        },
      },
    },
  });
  env = loopbackHubEnv(hub.endpoint, work);
});
afterAll(() => hub.close());

const cli = (args: string[]) => runCli([...args, '--backend', 'cpu'], { env });
const generate = (...extra: string[]) =>
  cli(['generate', '--model', REPO, '--max-new-tokens', String(greedyIds.length), ...extra]);

describe('a Qwen3 checkpoint from the Hub', () => {
  it('download fetches the config, the tokenizer config, the index and both shards', async () => {
    const { code, stdout, stderr } = await cli(['download', REPO, '--json']);
    expect(code, stderr).toBe(0);
    const files = (JSON.parse(stdout) as { files: Array<{ path: string }> }).files.map((file) => file.path);
    expect(files).toEqual([
      'config.json',
      'tokenizer_config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  it.each([[[]], [['--no-cache']]])(
    'generate %j continues --ids with PyTorch greedy tokens',
    async (extra) => {
      const { code, stdout, stderr } = await generate('--ids', promptIds.join(','), '--json', ...extra);
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ tokenIds: greedyIds, promptTokenIds: promptIds });
      const text = await generate('--ids', promptIds.join(','), ...extra);
      expect(text.stdout).toBe(`${greedyIds.join(' ')}\n`);
    },
  );

  it('asks for --ids when given text and the checkpoint has no tokenizer.json', async () => {
    const { code, stderr } = await generate('--prompt', 'Hello');
    expect(code).not.toBe(0);
    expect(stderr).toContain('holds no tokenizer.json');
    expect(stderr).toContain('--ids 1,2,3');
  });

  it('encodes --prompt with the checkpoint tokenizer, continues as --ids does, and decodes', async () => {
    const prompt = 'abcd ef';
    const byIds = async (ids: number[]) => {
      const run = await cli(['generate', '--model', WITH_TOKENIZER, '--ids', ids.join(','), '--json']);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { tokenIds: number[] }).tokenIds;
    };
    const run = await cli(['generate', '--model', WITH_TOKENIZER, '--prompt', prompt, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { text: string; tokenIds: number[]; promptTokenIds: number[] };
    // "ab", "cd", the space byte (Ġ in byte-level vocabularies), "ef": the merges apply.
    const characters = byteCharacters();
    expect(result.promptTokenIds).toEqual([256, 257, characters.indexOf('Ġ'), 258]);
    const continued = await byIds(result.promptTokenIds);
    const eosId = 299;
    const end = continued.indexOf(eosId);
    expect(result.tokenIds).toEqual(end === -1 ? continued : continued.slice(0, end));
    expect(result.text.startsWith(prompt)).toBe(true);
    expect(result.text.length).toBeGreaterThan(prompt.length);
    const plain = await cli(['generate', '--model', WITH_TOKENIZER, '--prompt', prompt]);
    expect(plain.stdout).toBe(`${result.text}\n`);
  });

  it("stops at any of generation_config.json's eos_token_id, unless --no-stop", async () => {
    const run = (...extra: string[]) =>
      cli(['generate', '--model', WITH_STOPS, '--ids', promptIds.join(','), '--json', ...extra]);
    const stopped = await run('--max-new-tokens', String(greedyIds.length));
    expect(stopped.code, stopped.stderr).toBe(0);
    const end = greedyIds.indexOf(greedyIds[2]!);
    expect(JSON.parse(stopped.stdout).tokenIds).toEqual(greedyIds.slice(0, end));
    const past = await run('--max-new-tokens', String(greedyIds.length), '--no-stop');
    expect(JSON.parse(past.stdout).tokenIds).toEqual(greedyIds);
    const bad = await cli(['generate', '--model', BAD_STOPS, '--ids', '1,2', '--max-new-tokens', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'generation_config.json: eos_token_id must be a token id or a list of at most 64 ids below the vocabulary size 300, got [1,"x"]',
    );
  });

  it('chat refuses a checkpoint without a chat template, naming the ways out', async () => {
    const { code, stderr } = await runCli(['chat', '--model', WITH_TOKENIZER, '--backend', 'cpu'], {
      env,
      input: 'Hi\n',
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'This Qwen3 checkpoint has no chat template (tokenizer_config.json names none), so it is not tuned for chat: pass --format alpaca or phi3, or continue text with generate',
    );
  });

  it('serve gives a checkpoint without a chat template completions only, as generate continues', async () => {
    const prompt = 'abcd ef';
    // The server computes on wasm: generate does too, so both pick the same tokens.
    const generated = await runCli(
      ['generate', '--model', WITH_TOKENIZER, '--prompt', prompt, '--json', ...backend],
      { env },
    );
    const { text } = JSON.parse(generated.stdout) as { text: string };
    const server = await startServe(['--model', `tiny=${WITH_TOKENIZER}`], env);
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const completion = await post('/v1/completions', {
        model: 'tiny',
        prompt,
        max_tokens: 50,
        temperature: 0,
      });
      expect(completion.status).toBe(200);
      const { choices } = (await completion.json()) as { choices: Array<{ text: string }> };
      expect(`${prompt}${choices[0]!.text}`).toBe(text);
      const chat = await post('/v1/chat/completions', {
        model: 'tiny',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(chat.status).toBe(400);
      expect(((await chat.json()) as { error: { message: string } }).error.message).toBe(
        "The model 'tiny' has no chat template (tokenizer_config.json names none), so it serves completions only: use /v1/completions (or /api/generate), or pass --format alpaca|phi3",
      );
    } finally {
      await server.stop();
    }
  });

  it('refuses ids outside the vocabulary and malformed ids', async () => {
    const outside = await generate('--ids', '1,300');
    expect(outside.stderr).toContain("token 300 is outside this Qwen3 model's vocabulary of 300");
    const malformed = await generate('--ids', '1,-2');
    expect(malformed.stderr).toContain('--ids takes token ids separated by commas (e.g. 1,2,3), got "-2"');
  });

  it('refuses Llama 3.2 1B on wasm from its config.json, before asking for its weights', async () => {
    const { code, stderr } = await runCli(
      ['generate', '--model', 'acme/llama-1b', '--ids', '1', '--backend', 'wasm'],
      { env },
    );
    expect(code).not.toBe(0);
    expect(stderr).toMatch(
      /acme\/llama-1b: This Llama 3 model's float32 weights take 4\.6 GiB, more than the 4\.0 GiB .*or store the weights in 16 bits \(bf16\), which halves this/,
    );
    const asked = hub.requests.map((request) => request.path).filter((path) => path.includes('llama-1b'));
    expect(asked.some((path) => path.endsWith('config.json'))).toBe(true);
    expect(asked.some((path) => path.includes('safetensors'))).toBe(false);
  });

  it('lets Llama 3.2 1B past that check on wasm with --precision bf16: its weights then take 2.3 GiB', async () => {
    const before = hub.requests.length;
    const { stderr } = await runCli(
      ['generate', '--model', 'acme/llama-1b', '--ids', '1', '--backend', 'wasm', '--precision', 'bf16'],
      { env },
    );
    expect(stderr).not.toMatch(/weights take/);
    const asked = hub.requests.slice(before).map((request) => request.path);
    expect(asked.some((path) => path.includes('llama-1b') && path.includes('safetensors'))).toBe(true);
  });
});
