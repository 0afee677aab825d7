/**
 * LoRA on a 16-bit base through the built CLI: with `--lora-rank` and `--precision bf16|f16`, `instruct
 * train`, `instruct dpo` and `classify train` (GPT and an open model) store the frozen model in that
 * precision, say so, record it in the manifest, save its rounded values and resume in it; the
 * commands that read the runs load them; a weight f16 cannot hold and a run that does not fit are
 * refused in one line naming the fix.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureWeights,
  huggingFaceConfig,
  jsonBytes,
} from '../../../packages/open-models/src/test-support/hf-checkpoint.js';
import { assertBuilt, ownStderr, runCli } from './cli-harness.js';
import { qwen3Tokenizer } from './open-model-tokenizers.js';

// GPT-2's vocabulary, so it reads BPE tokens; a context that holds the book's longest entries (91).
const tinyConfig = {
  vocabSize: 50257,
  contextLength: 96,
  embDim: 16,
  nHeads: 2,
  nLayers: 1,
  dropRate: 0,
  qkvBias: false,
};
const backend = ['--backend', 'wasm'];
// 20 entries: the book's split keeps 17 to train on, 2 to test and 1 for validation.
const INSTRUCTIONS = Array.from({ length: 20 }, (_, i) => ({
  instruction: `Name the number after ${i}.`,
  input: '',
  output: `It is ${i + 1}.`,
}));
let work: string;
/** A pretraining run of the tiny GPT. */
let pretrained: string;
/** A tiny Qwen3 checkpoint with its tokenizer. */
let qwen: string;
let instructions: string;

beforeAll(async () => {
  assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'scratchgpt-lora-half-'));
  await writeFile(join(work, 'tiny.json'), JSON.stringify(tinyConfig));
  pretrained = join(work, 'pretrained');
  const pre = await runCli([
    ...['train', '--config', join(work, 'tiny.json'), '--steps', '1', '--eval-every', '0'],
    ...['--out', pretrained, ...backend],
  ]);
  expect(pre.code, pre.stderr).toBe(0);
  qwen = join(work, 'qwen3-tiny');
  await mkdir(qwen);
  const { tokenizer, config } = qwen3Tokenizer();
  await writeFile(join(qwen, 'config.json'), jsonBytes(huggingFaceConfig('qwen3-tiny')));
  await writeFile(join(qwen, 'tokenizer.json'), jsonBytes(tokenizer));
  await writeFile(join(qwen, 'tokenizer_config.json'), jsonBytes(config));
  await writeFile(join(qwen, 'model.safetensors'), serializeSafetensors(fixtureWeights('qwen3-tiny')));
  instructions = join(work, 'instructions.json');
  await writeFile(instructions, JSON.stringify(INSTRUCTIONS));
});

const ok = async (args: string[]) => {
  const result = await runCli([...args, ...backend]);
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result;
};
const manifestOf = async (run: string) => JSON.parse(await readFile(join(run, 'checkpoint.json'), 'utf8'));
const tensorsOf = async (path: string) => parseSafetensors(new Uint8Array(await readFile(path))).tensors;

/**
 * Whether every value of the saved weights' matrices is a bf16 value (its low 16 bits zero): the
 * learned positions (GPT-2's `wpe`) stay f32 as the norms do.
 */
async function tablesInBf16(path: string): Promise<boolean> {
  const tables = [...(await tensorsOf(path))]
    .filter(([name, tensor]) => tensor.shape.length === 2 && name !== 'wpe.weight')
    .map(([, tensor]) => tensor);
  expect(tables.length).toBeGreaterThan(0);
  return tables.every((tensor) =>
    new Uint32Array(new Float32Array(tensor.data as Float32Array).buffer).every(
      (bits) => (bits & 0xffff) === 0,
    ),
  );
}

describe('instruct train and dpo with LoRA on a 16-bit GPT', () => {
  const tune = (out: string, extra: string[]) =>
    ok([
      ...['instruct', 'train', '--model', pretrained, '--out', out, '--steps', '2', '--batch-size', '2'],
      ...['--eval-every', '0', '--lora-rank', '2', '--json', ...extra],
    ]);

  it('stores the base in bf16, saves its rounded values beside the updates, resumes in bf16', async () => {
    const run = join(work, 'instruct-bf16');
    const trained = await tune(run, ['--precision', 'bf16']);
    expect(ownStderr(trained.stderr).join('\n')).toContain(
      'LoRA rank 2, alpha 2: 576 parameters train; the frozen base is stored in bf16',
    );
    expect(await manifestOf(run)).toMatchObject({ precision: 'bf16', baseWeights: 'bf16', step: 2 });
    expect(await tablesInBf16(join(run, 'model.safetensors'))).toBe(true);
    expect(await tablesInBf16(join(pretrained, 'model.safetensors'))).toBe(false);
    expect((await tensorsOf(join(run, 'adapter.safetensors'))).size).toBe(12);

    const resumed = await ok(['instruct', 'train', '--model', run, '--steps', '3']);
    expect(resumed.stderr).toMatch(/resuming .* at step 2: .*; the frozen base is stored in bf16/);
    expect(await manifestOf(run)).toMatchObject({ baseWeights: 'bf16', step: 3 });
    const changed = await runCli(['instruct', 'train', '--model', run, '--steps', '4', '--precision', 'f32']);
    expect([changed.code, ownStderr(changed.stderr)]).toEqual([
      2,
      [
        'scratchgpt: instruct train: --precision f32 differs from the run, which trains in bf16; a resumed run keeps it: leave --precision out',
      ],
    ]);
    // Every command that reads the run loads it: the base widened, the updates merged into it.
    const generated = await ok(['generate', '--model', run, '--prompt', 'Hi', '--max-new-tokens', '2']);
    expect(generated.stdout.startsWith('Hi')).toBe(true);
  });

  it('without LoRA, --precision rounds the products alone: every weight trains in f32', async () => {
    const run = join(work, 'instruct-full-bf16');
    await ok([
      ...['instruct', 'train', '--model', pretrained, '--out', run, '--steps', '1', '--batch-size', '2'],
      ...['--eval-every', '0', '--precision', 'bf16'],
    ]);
    const manifest = await manifestOf(run);
    expect(manifest.precision).toBe('bf16');
    expect(manifest).not.toHaveProperty('baseWeights');
    expect(await tablesInBf16(join(run, 'model.safetensors'))).toBe(false);
  });

  it('dpo: the policy and its reference (the model without its updates) share the f16 base', async () => {
    const tuned = join(work, 'instruct-for-dpo');
    await tune(tuned, []);
    expect(await manifestOf(tuned)).not.toHaveProperty('baseWeights');
    const run = join(work, 'dpo-f16');
    const flags = ['--steps', '1', '--batch-size', '2', '--eval-every', '0', '--lora-rank', '2'];
    const trained = await ok([
      'instruct',
      'dpo',
      '--model',
      tuned,
      '--out',
      run,
      ...flags,
      '--precision',
      'f16',
    ]);
    expect(trained.stderr).toContain(
      'the reference is the model without them; the frozen base is stored in f16',
    );
    expect(await manifestOf(run)).toMatchObject({ precision: 'f16', baseWeights: 'f16', step: 1 });
    const resumed = await ok(['instruct', 'dpo', '--model', run, '--steps', '2']);
    expect(resumed.stderr).toContain('the frozen base is stored in f16');
    expect(await manifestOf(run)).toMatchObject({ baseWeights: 'f16', step: 2 });
  }, 300_000);

  it('refuses, naming the weight and bf16, a base that f16 cannot hold', async () => {
    const huge = join(work, 'huge');
    await mkdir(huge);
    await copyFile(join(pretrained, 'config.json'), join(huge, 'config.json'));
    const tensors = await tensorsOf(join(pretrained, 'model.safetensors'));
    (tensors.get('h.0.attn.c_proj.weight')!.data as Float32Array)[3] = 1e6;
    await writeFile(join(huge, 'model.safetensors'), serializeSafetensors(tensors));
    const flags = ['--steps', '1', '--batch-size', '2', '--lora-rank', '2', '--precision', 'f16'];
    const refused = await runCli([
      'instruct',
      'train',
      '--model',
      huge,
      '--out',
      join(work, 'x'),
      ...flags,
      ...backend,
    ]);
    expect(refused.code).toBe(1);
    expect(ownStderr(refused.stderr).join('\n')).toMatch(
      /^scratchgpt: --precision f16 with --lora-rank stores the frozen model in f16, but 'trf_blocks\.0\.att\.out_proj\.weight' cannot be: value 1000000 at index \d+ is beyond f16's largest finite value \(65504\): weights stored in f16 must be finite \(bf16 has float32’s range\); use --precision bf16$/,
    );
  });
});

describe('classify train with LoRA on a 16-bit base', () => {
  const classify = (model: string, out: string, extra: string[]) =>
    ok([
      ...['classify', 'train', '--model', model, '--out', out, '--steps', '1', '--eval-every', '0'],
      ...['--max-length', '32', '--no-final-eval', ...extra],
    ]);

  it('GPT: the base in bf16, the class head and updates in f32; resumes; eval and predict load it', async () => {
    const run = join(work, 'classify-bf16');
    const trained = await classify(pretrained, run, ['--lora-rank', '2', '--precision', 'bf16']);
    expect(trained.stderr).toContain('(LoRA rank 2, alpha 2; the frozen base is stored in bf16)');
    expect(await manifestOf(run)).toMatchObject({ precision: 'bf16', baseWeights: 'bf16' });
    expect(await tablesInBf16(join(run, 'model.safetensors'))).toBe(true);
    // The class head is new: its random values are not rounded.
    expect(await tablesInBf16(join(run, 'classifier.safetensors'))).toBe(false);
    const resumed = await ok(['classify', 'train', '--model', run, '--steps', '2', '--no-final-eval']);
    expect(resumed.stderr).toContain('the frozen base is stored in bf16');
    expect(await manifestOf(run)).toMatchObject({ baseWeights: 'bf16', step: 2 });
    const predicted = await ok(['classify', 'predict', '--model', run, 'See you at dinner']);
    expect(predicted.stdout).toMatch(/^(ham|spam)\t/);
    await ok(['classify', 'eval', '--model', run, '--split', 'validation']);
  });

  it('an open model (Qwen3): the base in bf16, resumed', async () => {
    const run = join(work, 'classify-qwen3-bf16');
    const trained = await classify(qwen, run, [
      '--lora-rank',
      '2',
      '--precision',
      'bf16',
      '--batch-size',
      '2',
    ]);
    expect(trained.stderr).toContain('the frozen base is stored in bf16');
    expect(await manifestOf(run)).toMatchObject({ baseWeights: 'bf16' });
    expect(await tablesInBf16(join(run, 'model.safetensors'))).toBe(true);
    const resumed = await ok(['classify', 'train', '--model', run, '--steps', '2', '--no-final-eval']);
    expect(resumed.stderr).toContain('the frozen base is stored in bf16');
  });

  it('refuses a run that does not fit, naming --precision bf16 with --recompute blocks', async () => {
    const refused = await runCli([
      ...['classify', 'train', '--config', 'gpt2-xl', '--out', join(work, 'xl'), '--lora-rank', '16'],
      ...backend,
    ]);
    expect(refused.code).toBe(1);
    expect(ownStderr(refused.stderr).join('\n')).toMatch(
      /this backend holds 4\.0 GiB: .*; --precision bf16 with --recompute blocks makes it fit \(under --lora-rank it stores the frozen model's weights in 16 bits\)$/,
    );
  });
});

describe('instruct train with LoRA on a 16-bit open model', () => {
  it('Qwen3: the base in bf16, its rounded values saved, resumed in bf16', async () => {
    const run = join(work, 'instruct-qwen3-bf16');
    const trained = await ok([
      ...['instruct', 'train', '--model', qwen, '--out', run, '--data', instructions, '--steps', '1'],
      ...['--batch-size', '2', '--eval-every', '0', '--lora-rank', '2', '--precision', 'bf16'],
    ]);
    expect(trained.stderr).toContain('parameters train; the frozen base is stored in bf16');
    expect(await manifestOf(run)).toMatchObject({ precision: 'bf16', baseWeights: 'bf16' });
    expect(await tablesInBf16(join(run, 'model.safetensors'))).toBe(true);
    const resumed = await ok(['instruct', 'train', '--model', run, '--steps', '2']);
    expect(resumed.stderr).toContain('the frozen base is stored in bf16');
    expect(await manifestOf(run)).toMatchObject({ baseWeights: 'bf16', step: 2 });
  });
});
