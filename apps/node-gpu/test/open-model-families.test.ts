/**
 * A tiny Qwen3, Llama 3.2 and Gemma 3 from the Hub (loopback), each with a tokenizer, a chat template
 * in its family's style and a generation config listing two stop ids, through every command that
 * talks to a model: download, generate (PyTorch's greedy tokens; seeded sampling), chat (two turns
 * from a pipe), serve (OpenAI and Ollama) and tokenize.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { parseSafetensors } from '@scratchgpt/tensor';
import { type HFTokenizer, loadHFTokenizer, renderChatTemplate } from '@scratchgpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../packages/open-models/src/test-support/fixtures.js';
import {
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { byteLevelTokenizer } from './byte-level-tokenizer.js';
import { assertBuilt, jsonLines, loopbackHubEnv, runCli } from './cli-harness.js';
import { backend, startServe } from './serve-harness.js';

interface Family {
  fixture: string;
  repo: string;
  specials: string[];
  tokenizerConfig: Record<string, unknown>;
  /** generation_config.json's eos_token_id: two ids, as the published models list. */
  stopTokens: string[];
}

// Each template writes turns as its family does, kept short for the tiny models' 64-token context.
const families: Family[] = [
  {
    fixture: 'qwen3-tiny',
    repo: 'acme/tiny-qwen3-chat',
    specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<think>', '</think>'],
    tokenizerConfig: {
      eos_token: '<|im_end|>',
      pad_token: '<|endoftext|>',
      chat_template:
        '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% if enable_thinking is defined and enable_thinking is false %}<think></think>{% endif %}{% endif %}',
    },
    stopTokens: ['<|im_end|>', '<|endoftext|>'],
  },
  {
    fixture: 'llama3-tiny',
    repo: 'acme/tiny-llama3-chat',
    specials: [
      '<|begin_of_text|>',
      '<|end_of_text|>',
      '<|start_header_id|>',
      '<|end_header_id|>',
      '<|eot_id|>',
    ],
    tokenizerConfig: {
      bos_token: '<|begin_of_text|>',
      eos_token: '<|eot_id|>',
      chat_template:
        '{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n{{ m.content }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n{% endif %}',
    },
    stopTokens: ['<|end_of_text|>', '<|eot_id|>'],
  },
  {
    fixture: 'gemma3-tiny',
    repo: 'acme/tiny-gemma3-chat',
    specials: ['<pad>', '<eos>', '<bos>', '<start_of_turn>', '<end_of_turn>'],
    tokenizerConfig: {
      bos_token: '<bos>',
      eos_token: '<eos>',
      pad_token: '<pad>',
      chat_template:
        "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m.role == 'assistant' else m.role }}\n{{ m.content }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}",
    },
    stopTokens: ['<eos>', '<end_of_turn>'],
  },
];

const VOCAB = 300;
const ANSWER_TOKENS = 4;

let hub: FakeHub;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  assertBuilt();
  const work = await mkdtemp(join(tmpdir(), 'scratchgpt-cli-open-families-'));
  const repos = Object.fromEntries(
    families.map((family) => {
      const tokenizerJson = byteLevelTokenizer(VOCAB, family.specials);
      const stopIds = family.stopTokens.map((token) => tokenizerOf(family).tokenToId(token));
      return [
        family.repo,
        {
          files: {
            'config.json': jsonBytes(huggingFaceConfig(family.fixture)),
            'generation_config.json': jsonBytes({ eos_token_id: stopIds }),
            'tokenizer.json': jsonBytes(tokenizerJson),
            'tokenizer_config.json': jsonBytes(family.tokenizerConfig),
            'model.safetensors': f32Safetensors(fixtureWeights(family.fixture)),
          },
        },
      ];
    }),
  );
  hub = await startFakeHub({ repos });
  env = loopbackHubEnv(hub.endpoint, work);
});
afterAll(() => hub?.close());

/** The family's tokenizer, as the CLI reads it from the two files. */
function tokenizerOf(family: Family): HFTokenizer {
  return loadHFTokenizer(
    JSON.stringify(byteLevelTokenizer(VOCAB, family.specials)),
    JSON.stringify(family.tokenizerConfig),
  );
}

const cli = (args: string[], options: { input?: string } = {}) =>
  runCli([...args, ...backend], { env, ...options });

async function json<T>(args: string[], options: { input?: string } = {}): Promise<T> {
  const run = await cli([...args, '--json'], options);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

describe.each(families)('$fixture from the Hub', (family) => {
  const { repo } = family;
  const io = parseSafetensors(fixtureFile(family.fixture, 'io.safetensors')).tensors;
  const promptIds = [...io.get('prompt_ids')!.data];
  const greedyIds = [...io.get('greedy_ids')!.data].slice(promptIds.length);
  type Generated = { text: string; tokenIds: number[]; promptTokenIds: number[] };

  it('download fetches the config, the generation config, the tokenizer and the weights', async () => {
    const result = await json<{ files: Array<{ path: string }> }>(['download', repo]);
    expect(result.files.map((file) => file.path).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });

  it("generate --no-stop continues the fixture's prompt with PyTorch's greedy tokens", async () => {
    const args = ['generate', '--model', repo, '--ids', promptIds.join(','), '--no-stop'];
    const result = await json<Generated>([...args, '--max-new-tokens', String(greedyIds.length)]);
    expect(result).toEqual({ tokenIds: greedyIds, promptTokenIds: promptIds });
  });

  it('generate samples the same text for a seed, and another for another seed', async () => {
    const sample = (seed: number) =>
      json<Generated>([
        ...['generate', '--model', repo, '--prompt', 'abcd', '--max-new-tokens', '8', '--no-stop'],
        ...['--temperature', '1.5', '--top-k', '50', '--top-p', '0.95', '--seed', String(seed)],
      ]);
    const first = await sample(1);
    expect(first.tokenIds).toHaveLength(8);
    expect(first.text).toBe(`abcd${tokenizerOf(family).decode(first.tokenIds)}`);
    expect((await sample(1)).tokenIds).toEqual(first.tokenIds);
    expect((await sample(2)).tokenIds).not.toEqual(first.tokenIds);
  });

  it('chat answers two piped turns, the second prompted with the first exchange in the template', async () => {
    const run = await cli(['chat', '--model', repo, '--max-new-tokens', String(ANSWER_TOKENS), '--json'], {
      input: 'Hi\nOk\n',
    });
    expect(run.code, run.stderr).toBe(0);
    const [first, second] = jsonLines(run.stdout) as Array<{ response: string; droppedTurns: number }>;
    expect(second!.droppedTurns).toBe(0);
    // The prompt the second answer must come from: the template's rendering of the whole exchange.
    const tokenizer = tokenizerOf(family);
    const prompt = renderChatTemplate(
      family.tokenizerConfig,
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: first!.response },
        { role: 'user', content: 'Ok' },
      ],
      { addGenerationPrompt: true, enableThinking: false },
    );
    const ids = tokenizer.encode(prompt, { allowedSpecial: 'all' });
    const continued = await json<Generated>([
      ...['generate', '--model', repo, '--ids', ids.join(',')],
      ...['--max-new-tokens', String(ANSWER_TOKENS)],
    ]);
    expect(second!.response).toBe(tokenizer.decode(continued.tokenIds).trim());
  });

  it("serves the chat template to OpenAI's and Ollama's chat routes", async () => {
    const asked = await json<{ response: string }>(
      ['chat', '--model', repo, '--max-new-tokens', String(ANSWER_TOKENS)],
      { input: 'Hi\n' },
    );
    const server = await startServe(['--model', `tiny=${repo}`], env);
    try {
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(200);
        return response.json() as Promise<Record<string, unknown>>;
      };
      const messages = [{ role: 'user', content: 'Hi' }];
      const openai = (await post('/v1/chat/completions', {
        model: 'tiny',
        messages,
        max_tokens: ANSWER_TOKENS,
        temperature: 0,
      })) as { choices: Array<{ message: { content: string } }> };
      expect(openai.choices[0]!.message.content.trim()).toBe(asked.response);
      const ollama = (await post('/api/chat', {
        model: 'tiny',
        messages,
        stream: false,
        options: { num_predict: ANSWER_TOKENS, temperature: 0 },
      })) as { message: { content: string } };
      expect(ollama.message.content.trim()).toBe(asked.response);
      const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as {
        models: Array<{ details: { family: string } }>;
      };
      expect(tags.models[0]!.details.family).toBe(huggingFaceConfig(family.fixture).model_type);
    } finally {
      await server.stop();
    }
  });

  it("tokenize --model counts with the model's tokenizer", async () => {
    const text = 'abcd <|im_end|>';
    const result = await json<{ tokens: number; vocabSize: number; ids: number[] }>([
      ...['tokenize', text, '--model', repo, '--ids'],
    ]);
    const ids = tokenizerOf(family).encode(text, { allowedSpecial: 'all' });
    const { vocabSize } = tokenizerOf(family);
    expect(result).toEqual({ tokens: ids.length, characters: text.length, vocabSize, ids });
  });
});
