/**
 * Training the open families end to end, as a user would: the tiny Qwen3, Llama 3.2 and Gemma 3
 * fixtures served by a loopback Hub with a small tokenizer in their family's style, then `download`,
 * `train` (a run interrupted after one step and resumed ends byte-identical to one that was not),
 * `eval`, `generate` on the run, and `instruct train` with LoRA and the model's chat template,
 * resumed, then `instruct respond` on it.
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { serializeSafetensors } from '@scratchgpt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { assertBuilt, runCli } from './cli-harness.js';
import {
  type FamilyTokenizer,
  gemma3Tokenizer,
  llama3Tokenizer,
  qwen3Tokenizer,
} from './open-model-tokenizers.js';

const families: Array<[string, () => FamilyTokenizer]> = [
  ['qwen3-tiny', qwen3Tokenizer],
  ['llama3-tiny', llama3Tokenizer],
  ['gemma3-tiny', gemma3Tokenizer],
];

const TEXT = `${'the quick brown fox jumps over the lazy dog; '.repeat(10)}and then it rests.\n`;
// 20 entries: the book's split keeps 17 to train on, 2 to test and 1 for validation.
const INSTRUCTIONS = Array.from({ length: 20 }, (_, i) => ({
  instruction: `Name the number after ${i}.`,
  input: '',
  output: `It is ${i + 1}.`,
}));

let hub: FakeHub;
let work: string;
let env: Record<string, string | undefined>;
let textPath: string;
let instructionsPath: string;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-cli-open-train-'));
  textPath = join(work, 'text.txt');
  instructionsPath = join(work, 'instructions.json');
  await writeFile(textPath, TEXT);
  await writeFile(instructionsPath, JSON.stringify(INSTRUCTIONS));
  const repos = Object.fromEntries(
    families.map(([fixture, tokenizer]) => {
      const { tokenizer: tokenizerJson, config } = tokenizer();
      return [
        `acme/${fixture}`,
        {
          files: {
            'config.json': jsonBytes(huggingFaceConfig(fixture)),
            'tokenizer.json': jsonBytes(tokenizerJson),
            'tokenizer_config.json': jsonBytes(config),
            'model.safetensors': serializeSafetensors(fixtureWeights(fixture)),
          },
        },
      ];
    }),
  );
  hub = await startFakeHub({ repos });
  env = {
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: join(work, 'cache'),
    HF_TOKEN: undefined,
    HF_HUB_OFFLINE: undefined,
    SCRATCHGPT_CACHE: join(work, 'own'),
  };
});
afterAll(() => hub?.close());

const cli = async (args: string[]) => {
  const result = await runCli([...args, '--backend', 'cpu'], { env });
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
};

/** The bytes of a run's current weights and training state. */
async function currentFiles(run: string): Promise<Buffer[]> {
  const [step] = await readdir(join(run, 'checkpoints'));
  const names = (await readdir(join(run, 'checkpoints', step!))).sort();
  return Promise.all(names.map((name) => readFile(join(run, 'checkpoints', step!, name))));
}

describe.each(families)('%s from the Hub', (fixture) => {
  const repo = `acme/${fixture}`;
  const trainFlags = () => ['--data', textPath, '--context', '16', '--batch-size', '2', '--seed', '3'];

  it('downloads, trains two steps, resumes byte-identically, evaluates and generates', async () => {
    await cli(['download', repo]);
    const whole = join(work, `${fixture}-whole`);
    const split = join(work, `${fixture}-split`);
    await cli(['train', '--model', repo, '--out', whole, '--steps', '2', ...trainFlags()]);
    await cli(['train', '--model', repo, '--out', split, '--steps', '1', ...trainFlags()]);
    const resumed = await cli(['train', '--model', split, '--steps', '2']);
    expect(resumed.stderr).toMatch(new RegExp(`resuming ${split} at step 1`));
    expect(await currentFiles(split)).toEqual(await currentFiles(whole));
    const top = (await readdir(whole)).sort();
    expect(top).toEqual(
      expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']),
    );

    const evaluated = await cli(['eval', '--model', whole, '--data', textPath, '--context', '16', '--json']);
    const result = JSON.parse(evaluated.stdout) as { loss: number; perplexity: number; tokens: number };
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.perplexity).toBeCloseTo(Math.exp(result.loss), 6);
    const base = await cli(['eval', '--model', repo, '--data', textPath, '--context', '16', '--json']);
    expect((JSON.parse(base.stdout) as { tokens: number }).tokens).toBe(result.tokens);

    const generated = await cli([
      'generate',
      '--model',
      whole,
      '--prompt',
      'the quick',
      '--max-new-tokens',
      '4',
    ]);
    expect(generated.stdout.startsWith('the quick')).toBe(true);
  });

  it('instruction-tunes LoRA updates in its chat template, resumes byte-identically, and answers', async () => {
    await cli(['download', repo]);
    const whole = join(work, `${fixture}-instruct-whole`);
    const split = join(work, `${fixture}-instruct-split`);
    const flags = [
      '--data',
      instructionsPath,
      '--lora-rank',
      '4',
      '--batch-size',
      '2',
      '--seed',
      '5',
      '--lr',
      '1e-3',
    ];
    await cli(['instruct', 'train', '--model', repo, '--out', whole, '--steps', '2', ...flags]);
    await cli(['instruct', 'train', '--model', repo, '--out', split, '--steps', '1', ...flags]);
    await cli(['instruct', 'train', '--model', split, '--steps', '2']);
    expect(await currentFiles(split)).toEqual(await currentFiles(whole));
    const manifest = JSON.parse(await readFile(join(whole, 'checkpoint.json'), 'utf8')) as {
      task: string;
      instruct: { promptFormat: string; lora: { rank: number } };
    };
    expect(manifest.task).toBe('instruct');
    expect(manifest.instruct.promptFormat).toBe('chat-template');
    expect(manifest.instruct.lora.rank).toBe(4);
    expect(await readdir(whole)).toContain('adapter.safetensors');

    const answers = join(work, `${fixture}-answers.json`);
    const respond = await cli([
      'instruct',
      'respond',
      '--model',
      whole,
      '--data',
      instructionsPath,
      '--split',
      'test',
      '--out',
      answers,
      '--max-new-tokens',
      '6',
      '--json',
    ]);
    expect(JSON.parse(respond.stdout)).toMatchObject({ out: answers, responses: 2 });
    expect(respond.stderr).toContain('(chat-template prompts)');
    const written = JSON.parse(await readFile(answers, 'utf8')) as Array<{ model_response: string }>;
    expect(written.map((entry) => typeof entry.model_response)).toEqual(['string', 'string']);

    // chat takes the tuned run in the format it was tuned with; DPO takes GPT-2 runs alone, and says so.
    const chat = await runCli(['chat', '--model', whole, '--backend', 'cpu', '--max-new-tokens', '4'], {
      env,
      input: 'Hi\n',
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stderr).not.toContain('GPT-2 models');
    const dpo = await runCli(
      ['instruct', 'dpo', '--model', whole, '--out', join(work, `${fixture}-dpo`), '--backend', 'cpu'],
      { env },
    );
    expect(dpo.code).toBe(1);
    expect(dpo.stderr).toContain(
      `--model ${whole} is a Qwen3, Llama 3.2 or Gemma 3 model: this command takes GPT-2 models for now`,
    );
  });
});

describe('training memory', () => {
  it('refuses, before reading the weights, a model whose training the backend cannot hold, and says what would fit', async () => {
    // Qwen3-0.6B's sizes; its weights would fit wasm's 4 GiB, their training does not.
    const model = join(work, 'qwen3-0.6b-sizes');
    await mkdir(model);
    const config = {
      model_type: 'qwen3',
      vocab_size: 151936,
      max_position_embeddings: 40960,
      hidden_size: 1024,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      intermediate_size: 3072,
      num_hidden_layers: 28,
      rope_theta: 1000000,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: true,
    };
    const { tokenizer, config: tokenizerConfig } = qwen3Tokenizer();
    await writeFile(join(model, 'config.json'), JSON.stringify(config));
    await writeFile(join(model, 'model.safetensors'), new Uint8Array(64));
    await writeFile(join(model, 'tokenizer.json'), JSON.stringify(tokenizer));
    await writeFile(join(model, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
    const out = join(work, 'too-large');
    const args = [
      'train',
      '--model',
      model,
      '--data',
      textPath,
      '--context',
      '16',
      '--batch-size',
      '1',
      '--out',
      out,
    ];
    const { code, stderr } = await runCli([...args, '--backend', 'wasm'], { env });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /: training this Qwen3 model needs about \d+\.\d GiB of tensors \(596M parameters with their gradients and AdamW's moments, and the activations of batch 1 × 16\); this backend holds 4\.0 GiB: use a backend without that limit \(node-gpu, or webgpu on a GPU\), a smaller --batch-size or --context, or train LoRA updates alone \(instruct train --lora-rank\)\n$/,
    );
    expect(await readdir(out).catch(() => [])).not.toContain('checkpoint.json');
  });
});
