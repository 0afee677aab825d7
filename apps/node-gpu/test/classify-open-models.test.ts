/**
 * `classify train|eval|predict` on the open families as a user runs them: a tiny Qwen3-, Llama- and
 * Gemma-3-format model (the open-models fixtures) with a byte-level tokenizer.json, served by a
 * loopback Hub; `download`, a few steps on a slice of the SMS Spam Collection, a resumed run equal to
 * one that never stopped, then `predict` and `eval` reading texts with the run's own tokenizer.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { byteLevelTokenizer, END_OF_TEXT } from './byte-level-tokenizer.js';
import { assertBuilt, jsonLines, loopbackHubEnv, runCli } from './cli-harness.js';

const FAMILIES = [
  ['qwen3-tiny', 'acme/tiny-qwen3-classify', 'qwen3'],
  ['llama3-tiny', 'acme/tiny-llama-classify', 'llama'],
  ['gemma3-tiny', 'acme/tiny-gemma3-classify', 'gemma3_text'],
] as const;

const WITHOUT_TOKENIZER = 'acme/tiny-qwen3-no-tokenizer';

let hub: FakeHub;
let work: string;
let dataPath: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-classify-open-'));
  // The first 150 rows of the SMS Spam Collection: 26 spam, balanced to 52 texts.
  const sms = readFileSync(new URL('../../../data/sms-spam-collection.tsv', import.meta.url), 'utf8');
  dataPath = join(work, 'sms-slice.tsv');
  await writeFile(dataPath, `${sms.split('\n').slice(0, 150).join('\n')}\n`);
  const repos = Object.fromEntries(
    FAMILIES.map(([fixture, repo]) => [
      repo,
      {
        files: {
          'config.json': jsonBytes(huggingFaceConfig(fixture)),
          'tokenizer.json': jsonBytes(byteLevelTokenizer(300)),
          'tokenizer_config.json': jsonBytes({ model_max_length: 64, eos_token: END_OF_TEXT }),
          'model.safetensors': serializeSafetensors(fixtureWeights(fixture)),
        },
      },
    ]),
  );
  repos[WITHOUT_TOKENIZER] = {
    files: {
      'config.json': jsonBytes(huggingFaceConfig('qwen3-tiny')),
      'model.safetensors': serializeSafetensors(fixtureWeights('qwen3-tiny')),
    },
  };
  hub = await startFakeHub({ repos });
  env = loopbackHubEnv(hub.endpoint, work);
});
afterAll(() => hub.close());

// Padding is the tokenizer's <|endoftext|>, as the book pads.
const endOfTextId = byteLevelTokenizer(300).added_tokens[0]!.id;

const cli = (args: string[]) => runCli([...args, '--backend', 'wasm'], { env });

/** `classify train` from `model` into `out`, a few steps on the SMS slice. */
const train = (model: string, out: string, steps: number, extra: string[] = []) =>
  cli([
    'classify',
    'train',
    '--model',
    model,
    '--out',
    out,
    '--data',
    dataPath,
    '--max-length',
    '24',
    '--batch-size',
    '4',
    '--lr',
    '1e-3',
    '--steps',
    String(steps),
    '--eval-every',
    '0',
    '--no-final-eval',
    '--pooling',
    'last-non-pad',
    '--json',
    ...extra,
  ]);

describe.each(FAMILIES)('classify on a %s model from the Hub', (_fixture, repo, modelType) => {
  it('downloads, trains, resumes exactly, and predicts with the run’s own tokenizer', async () => {
    const downloaded = await cli(['download', repo]);
    expect(downloaded.code, downloaded.stderr).toBe(0);

    const whole = join(work, `${modelType}-whole`);
    const parts = join(work, `${modelType}-parts`);
    const first = await train(repo, whole, 4);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/classes ham, spam; 36 \/ 5 \/ 11 texts of 24 tokens \(9 batches of 4/);
    expect((await train(repo, parts, 2)).code).toBe(0);
    const resumed = await cli([
      'classify',
      'train',
      '--model',
      parts,
      '--steps',
      '4',
      '--no-final-eval',
      '--json',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      jsonLines(resumed.stdout)
        .filter((event) => event.event === 'step')
        .map((event) => event.step),
    ).toEqual([3, 4]);
    for (const file of ['model.safetensors', 'classifier.safetensors']) {
      const [a, b] = await Promise.all([readFile(join(parts, file)), readFile(join(whole, file))]);
      expect(a.equals(b), file).toBe(true);
    }
    // The run is a checkpoint of its family, with the tokenizer it was trained with.
    const config = JSON.parse(await readFile(join(parts, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.model_type).toBe(modelType);
    expect(config.tie_word_embeddings).toBe(true);
    expect(JSON.parse(await readFile(join(parts, 'tokenizer.json'), 'utf8'))).toEqual(
      byteLevelTokenizer(300),
    );
    const settings = JSON.parse(await readFile(join(parts, 'classifier.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({ classes: ['ham', 'spam'], max_length: 24, pad_token_id: endOfTextId });

    const predicted = await cli([
      'classify',
      'predict',
      '--model',
      parts,
      'WINNER! Claim your prize',
      '--json',
    ]);
    expect(predicted.code, predicted.stderr).toBe(0);
    const [result] = jsonLines(predicted.stdout) as Array<{
      label: string;
      probabilities: Record<string, number>;
    }>;
    expect(['ham', 'spam']).toContain(result!.label);
    const { ham, spam } = result!.probabilities;
    expect(ham! + spam!).toBeCloseTo(1, 6);
    expect(result!.probabilities[result!.label]).toBe(Math.max(ham!, spam!));

    const evaluated = await cli(['classify', 'eval', '--model', parts, '--split', 'test', '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const evaluation = JSON.parse(evaluated.stdout) as { test: { examples: number } };
    expect(evaluation.test.examples).toBe(11);
  });
});

describe('classify on an open model', () => {
  it('trains LoRA updates of every projection and the head, saved beside the frozen weights', async () => {
    const [, repo] = FAMILIES[0];
    const out = join(work, 'qwen3-lora');
    const trained = await train(repo, out, 2, ['--lora-rank', '2']);
    expect(trained.code, trained.stderr).toBe(0);
    // 2 layers of q (64 → 96), k and v (64 → 48), o (96 → 64), gate, up (64 → 96) and down (96 → 64),
    // and the head (64 → 2): (in + out) · rank 2 each.
    expect(trained.stderr).toMatch(/ 4,228 trainable \(LoRA rank 2, alpha 2\)/);
    const adapters = parseSafetensors(await readFile(join(out, 'adapter.safetensors'))).tensors;
    expect(adapters.size).toBe(2 * (2 * 7 + 1));
    expect(adapters.has('model.layers.1.mlp.down_proj.lora.B')).toBe(true);
    expect(adapters.has('out_head.lora.A')).toBe(true);
    const predicted = await cli(['classify', 'predict', '--model', out, 'See you at dinner', '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(jsonLines(predicted.stdout)).toHaveLength(1);
  });

  it('refuses a model without its tokenizer.json, which reads the texts', async () => {
    const { code, stderr } = await train(WITHOUT_TOKENIZER, join(work, 'no-tokenizer'), 1);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(
      /holds no tokenizer\.json: give the directory of a Hugging Face model \(with tokenizer\.json and tokenizer_config\.json\): classify reads texts with the model's own tokenizer\n$/,
    );
  });
});
