import { describe, expect, it } from 'vitest';
import { parseRunManifest } from './run-manifest.js';

const envelope = { format: 'scratchgpt-run', version: 1, step: 12, checkpoint: 'checkpoints/step-000012' };
/** A run as written before `recompute` was recorded; it reads as `none`. */
const olderRun = { data: 'text.txt', valRatio: 0.1, context: 16, batchSize: 2, shuffle: true, seed: 123 };
const run = { ...olderRun, recompute: 'blocks' };
const instruct = { promptFormat: 'phi3', maskPrompt: true, bucketByLength: false };
const classifyRun = {
  data: 'texts.tsv',
  format: 'tsv',
  textColumn: null,
  labelColumn: null,
  header: null,
  balance: true,
  valRatio: 0.1,
  testRatio: 0.2,
  maxLength: 7,
  batchSize: 4,
  seed: 123,
  splitSeed: 7,
  base: 'gpt2',
  recompute: 'none',
};
const parse = (manifest: object) => parseRunManifest(JSON.stringify(manifest), 'checkpoint.json');

describe('parseRunManifest', () => {
  it('reads a pretraining run written before manifests named their task (no "task")', () => {
    expect(parse({ ...envelope, run: olderRun })).toEqual({
      ...envelope,
      task: 'pretrain',
      run: { ...olderRun, recompute: 'none' },
      precision: 'f32',
    });
  });

  it('reads an instruction-tuning run written before manifests named their task ("instruct" beside "run")', () => {
    const lora = { rank: 4, alpha: 8, scaling: 'alpha' };
    expect(parse({ ...envelope, run: olderRun, instruct: { ...instruct, lora } })).toEqual({
      ...envelope,
      task: 'instruct',
      run: { ...olderRun, recompute: 'none' },
      instruct: { ...instruct, lora },
      precision: 'f32',
    });
  });

  it('reads a run written before --precision as f32, and refuses a precision it does not know', () => {
    expect(parse({ ...envelope, task: 'pretrain', run }).precision).toBe('f32');
    expect(parse({ ...envelope, task: 'pretrain', run, precision: 'bf16' }).precision).toBe('bf16');
    expect(() => parse({ ...envelope, task: 'pretrain', run, precision: 'fp8' })).toThrow(
      'checkpoint.json: "precision" must be "f32", "f16" or "bf16"; the run cannot resume',
    );
  });

  it('reads a classify run written before --split-seed as split by its seed', () => {
    const { splitSeed: _, ...older } = classifyRun;
    const parsed = parse({ ...envelope, task: 'classify', run: older });
    expect(parsed.task === 'classify' && parsed.run.splitSeed).toBe(123);
  });

  it('reads each task as it is written now', () => {
    for (const manifest of [
      { ...envelope, task: 'pretrain', run, precision: 'f16' },
      { ...envelope, task: 'instruct', run, instruct },
      { ...envelope, task: 'instruct', run, instruct: { ...instruct, promptFormat: 'chat-template' } },
      { ...envelope, task: 'classify', run: classifyRun },
      {
        ...envelope,
        task: 'dpo',
        run,
        instruct,
        dpo: { beta: 0.1, reference: { kind: 'without-adapters' } },
      },
      {
        ...envelope,
        task: 'dpo',
        run,
        instruct,
        dpo: { beta: 0.5, reference: { kind: 'copy', model: '/runs/sft', step: 7 } },
      },
    ]) {
      expect(parse(manifest)).toEqual({ precision: 'f32', ...manifest });
    }
  });

  it('refuses a recompute mode it does not know, naming the field', () => {
    for (const recompute of ['all', null, 1]) {
      expect(() => parse({ ...envelope, task: 'pretrain', run: { ...run, recompute } })).toThrow(
        '"run.recompute" must be "none" or "blocks"',
      );
      expect(() => parse({ ...envelope, task: 'classify', run: { ...classifyRun, recompute } })).toThrow(
        '"run.recompute" must be "none" or "blocks"',
      );
    }
  });

  it("reads a LoRA run's 16-bit base, which must be its precision", () => {
    const lora = { ...instruct, lora: { rank: 4, alpha: 8, scaling: 'rank' } };
    const written = { ...envelope, task: 'instruct', run, instruct: lora, precision: 'bf16' };
    expect(parse({ ...written, baseWeights: 'bf16' })).toMatchObject({
      precision: 'bf16',
      baseWeights: 'bf16',
    });
    expect(parse(written)).not.toHaveProperty('baseWeights');
    const refusal = (problem: string) =>
      `checkpoint.json: ${problem}; the run cannot resume (delete the run directory to start again)`;
    expect(() => parse({ ...written, baseWeights: 'f16' })).toThrow(
      refusal(`"baseWeights" must be the run's "precision" (bf16) or absent`),
    );
    expect(() => parse({ ...written, precision: 'f32', baseWeights: 'f32' })).toThrow(
      refusal(`"baseWeights" is f16 or bf16, or absent for f32`),
    );
  });

  it('refuses a task it does not read, or settings that belong to another task, naming the field', () => {
    const refusal = (problem: string) =>
      `checkpoint.json: ${problem}; the run cannot resume (delete the run directory to start again)`;
    expect(() => parse({ ...envelope, task: 'translate', run })).toThrow(
      refusal(`"task" "translate" is not one this scratchgpt reads`),
    );
    expect(() => parse({ ...envelope, task: null, run })).toThrow(
      refusal(`"task" null is not one this scratchgpt reads`),
    );
    expect(() => parse({ ...envelope, task: 'instruct', run })).toThrow(
      refusal(`"instruct" must be an object`),
    );
    expect(() => parse({ ...envelope, task: 'pretrain', run, instruct })).toThrow(
      refusal(`"instruct" belongs to an instruction-tuning run, not to "task" "pretrain"`),
    );
    expect(() => parse({ ...envelope, task: 'dpo', run, instruct })).toThrow(
      refusal(`"dpo" must be an object`),
    );
    const copy = { kind: 'copy', model: '/runs/sft' };
    expect(() =>
      parse({ ...envelope, task: 'dpo', run, instruct, dpo: { beta: 0, reference: copy } }),
    ).toThrow(refusal(`"dpo.beta" must be a number > 0`));
    expect(() =>
      parse({ ...envelope, task: 'dpo', run, instruct, dpo: { beta: 0.1, reference: { kind: 'twin' } } }),
    ).toThrow(refusal(`"dpo.reference.kind" must be "copy" or "without-adapters"`));
    expect(() =>
      parse({
        ...envelope,
        task: 'dpo',
        run,
        instruct,
        dpo: { beta: 0.1, reference: { ...copy, step: -1 } },
      }),
    ).toThrow(refusal(`"dpo.reference.step" must be an integer ≥ 0`));
    expect(() =>
      parse({ ...envelope, task: 'instruct', run, instruct: { ...instruct, promptFormat: 'chatml' } }),
    ).toThrow(refusal(`"instruct.promptFormat" must be "alpaca", "phi3" or "chat-template"`));
    expect(() => parse({ ...envelope, run: { ...run, shuffle: 'yes' }, instruct })).toThrow(
      refusal(`"run.shuffle" must be true or false`),
    );
  });
});
