/**
 * `convert` with Qwen3, Llama 3.2 and Gemma 3 checkpoints made from the open-models fixtures: sharded
 * and BF16 inputs become one F32 model.safetensors beside the tokenizer's files; the book's layout
 * holds the names of the book's bonus models and comes back to the same bytes; and where python3-torch
 * is installed, a model built the book's way (tools/reference/book_open_models.py) loads the book
 * layout and gives PyTorch's fixture logits.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, type SafetensorsTensor } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bf16Safetensors,
  f32Safetensors,
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
  roundToBF16,
  shardedCheckpoint,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { assertBuilt, runCli } from './cli-harness.js';

const python = '/usr/bin/python3';
const bookModels = fileURLToPath(new URL('../../../tools/reference/book_open_models.py', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const required = process.env.SCRATCHGPT_REQUIRE_PYTORCH === '1';
const fixtureIo = (fixture: string) =>
  fileURLToPath(new URL(`../../../packages/open-models/fixtures/${fixture}/io.safetensors`, import.meta.url));

const TOKENIZER_FILES = {
  'tokenizer.json': jsonBytes({ model: { type: 'BPE', vocab: { a: 0 } } }),
  'tokenizer_config.json': jsonBytes({ bos_token: '<s>', model_max_length: 64 }),
  'generation_config.json': jsonBytes({ eos_token_id: 1 }),
};

let work: string;

async function checkpointDirectory(name: string, config: unknown, files: Map<string, Uint8Array>) {
  const directory = join(work, name);
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'config.json'), jsonBytes(config));
  for (const [file, bytes] of files) await writeFile(join(directory, file), bytes);
  return directory;
}

async function tensorsIn(directory: string): Promise<Map<string, SafetensorsTensor>> {
  return parseSafetensors(new Uint8Array(await readFile(join(directory, 'model.safetensors')))).tensors;
}

async function convert(model: string, out: string, layout: 'hf' | 'book') {
  const result = await runCli([
    'convert',
    '--model',
    model,
    '--out',
    out,
    '--layout',
    layout,
    '--json',
    '--backend',
    'wasm',
  ]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Every tensor with the same name, dtype, shape and bytes. */
function expectSameTensors(actual: Map<string, SafetensorsTensor>, expected: Map<string, SafetensorsTensor>) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, tensor] of expected) {
    const got = actual.get(name)!;
    expect({ name, dtype: got.dtype, shape: got.shape }).toEqual({ name, dtype: 'F32', shape: tensor.shape });
    expect(new Uint8Array((got.data as Float32Array).buffer.slice(0)), name).toEqual(
      new Uint8Array(Float32Array.from(tensor.data as Float32Array).buffer),
    );
  }
}

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-convert-open-'));
});

describe('convert with open-family checkpoints', () => {
  it('writes a sharded Qwen3 as one F32 model.safetensors with its config and tokenizer files', async () => {
    const weights = fixtureWeights('qwen3-tiny');
    const source = await checkpointDirectory(
      'qwen3-sharded',
      huggingFaceConfig('qwen3-tiny'),
      new Map([...shardedCheckpoint(weights, 2), ...Object.entries(TOKENIZER_FILES)]),
    );
    const out = join(work, 'qwen3-hf');
    const result = await convert(source, out, 'hf');
    expect(result).toMatchObject({ fromLayout: 'hf', layout: 'hf', family: 'Qwen3' });
    expectSameTensors(await tensorsIn(out), weights);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config).toEqual({ ...huggingFaceConfig('qwen3-tiny'), torch_dtype: 'float32' });
    for (const [name, bytes] of Object.entries(TOKENIZER_FILES)) {
      expect(new Uint8Array(await readFile(join(out, name))), name).toEqual(bytes);
    }

    const again = await runCli([
      'convert',
      '--model',
      source,
      '--out',
      out,
      '--layout',
      'hf',
      '--backend',
      'wasm',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`--out ${out} already holds a checkpoint: pass --force to replace it`);
    const inPlace = await runCli([
      'convert',
      '--model',
      source,
      '--out',
      source,
      '--layout',
      'hf',
      '--force',
    ]);
    expect(inPlace.code).toBe(1);
    expect(inPlace.stderr).toContain(
      `--out ${source} is the --model directory: write the converted checkpoint elsewhere`,
    );
  }, 120_000);

  it('writes a BF16 Llama as the F32 values it holds', async () => {
    const weights = fixtureWeights('llama3-tiny');
    const source = await checkpointDirectory(
      'llama3-bf16',
      huggingFaceConfig('llama3-tiny'),
      new Map([['model.safetensors', bf16Safetensors(weights)]]),
    );
    const out = join(work, 'llama3-f32');
    await convert(source, out, 'hf');
    const rounded = new Map(
      [...weights].map(([name, t]) => [name, { ...t, data: roundToBF16(t.data as Float32Array) }]),
    );
    expectSameTensors(await tensorsIn(out), rounded);
  }, 120_000);

  for (const fixture of ['qwen3-tiny', 'llama3-tiny', 'gemma3-tiny']) {
    it(`${fixture}: hf → book → hf gives the same bytes, and the book layout has the book's names`, async () => {
      const weights = fixtureWeights(fixture);
      const source = await checkpointDirectory(
        fixture,
        huggingFaceConfig(fixture),
        new Map([['model.safetensors', f32Safetensors(weights)], ...Object.entries(TOKENIZER_FILES)]),
      );
      const book = join(work, `${fixture}-book`);
      expect(await convert(source, book, 'book')).toMatchObject({ fromLayout: 'hf', layout: 'book' });
      const bookNames = [...(await tensorsIn(book)).keys()];
      const blocks = fixture.startsWith('gemma3') ? 'blocks' : 'trf_blocks';
      expect(bookNames).toContain('tok_emb.weight');
      expect(bookNames).toContain('out_head.weight');
      expect(bookNames).toContain(`${blocks}.1.att.W_query.weight`);
      expect(bookNames).toContain(`${blocks}.1.ff.fc3.weight`);
      expect(bookNames.filter((name) => name.startsWith('model.'))).toEqual([]);
      const bookConfig = JSON.parse(await readFile(join(book, 'config.json'), 'utf8'));
      expect(bookConfig).toMatchObject({ vocab_size: 300, emb_dim: 64, n_heads: 4, dtype: 'float32' });

      const back = join(work, `${fixture}-back`);
      expect(await convert(book, back, 'hf')).toMatchObject({ fromLayout: 'book', layout: 'hf' });
      expectSameTensors(await tensorsIn(back), weights);
      const config = JSON.parse(await readFile(join(back, 'config.json'), 'utf8'));
      expect(config).toMatchObject(huggingFaceConfig(fixture));

      if (hasTorch || required) {
        const checked = spawnSync(python, [bookModels, book, '--expected', fixtureIo(fixture)], {
          encoding: 'utf8',
        });
        console.info(checked.stdout.trim());
        expect(checked.status, checked.stderr).toBe(0);
      }
    }, 120_000);
  }
});
