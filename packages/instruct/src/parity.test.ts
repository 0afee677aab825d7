/**
 * Chapter 7 against the PyTorch reference (tools/reference/fixtures_instruct.py): the bundled data
 * tokenized in both prompt formats, the collate output for a batch of real prompts, the loss of a
 * small GPT on it, and ten AdamW steps of the training loop on instruction batches, on every backend.
 */
import { loadModel } from '@scratchgpt/gpt-model';
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';
import { languageModelObjective, type TrainBatch, trainModel } from '@scratchgpt/trainer';
import { describe, expect, it } from 'vitest';
import { collateInstructions } from './collate.js';
import { InstructionDataset } from './instruction-dataset.js';
import { createInstructionLoader } from './instruction-loader.js';
import { alpaca, phi3 } from './prompt-format.js';
import { splitInstructionData } from './split.js';
import { bookData } from './test-support/book-data.js';
import { type FormulaParameter, formulaWeights, loadFixture } from './test-support/fixtures.js';

const data = bookData();
const tokenizer = getGPT2Tokenizer();
const fixture = loadFixture('data.safetensors');
const training = loadFixture('training.safetensors');
const chosen = fixture.setting<number[]>('collate_entries');
const all = new InstructionDataset(data, { tokenizer, format: alpaca });

function expectBatch(batch: TrainBatch, inputs: string, targets: string): void {
  expect([batch.batchSize, batch.length]).toEqual(fixture.shape(inputs));
  expect(batch.inputs).toEqual(fixture.ints(inputs));
  expect(batch.targets).toEqual(fixture.ints(targets));
}

describe('the instruction data against PyTorch', () => {
  it('tokenizes all 1,100 entries to the same lengths, in both formats and for the prompts alone', () => {
    const phi = new InstructionDataset(data, { tokenizer, format: phi3 });
    expect(Int32Array.from(all.lengths())).toEqual(fixture.ints('lengths'));
    expect(Int32Array.from(phi.lengths())).toEqual(fixture.ints('phi3_lengths'));
    expect(Int32Array.from(data, (_, i) => all.promptLength(i))).toEqual(fixture.ints('prompt_lengths'));
  });

  it(`collates entries ${chosen.join(', ')} as the book does: plain, with the prompt masked, cut short`, () => {
    const ids = chosen.map((i) => all.get(i));
    expectBatch(collateInstructions(ids), 'collate.inputs', 'collate.targets');
    const masked = collateInstructions(ids, { promptLengths: chosen.map((i) => all.promptLength(i)) });
    expect(masked.targets).toEqual(fixture.ints('collate.masked_targets'));
    const cut = collateInstructions(ids, { allowedMaxLength: fixture.setting<number>('truncated_length') });
    expectBatch(cut, 'collate.cut_inputs', 'collate.cut_targets');
  });

  it('batches the training entries in file order as the reference steps on them', () => {
    const loader = stepLoader();
    const batches = [...loader.batches(0)];
    expect(batches).toHaveLength(fixture.setting<number>('steps'));
    for (const [step, batch] of batches.entries()) {
      expectBatch(batch, `steps.${step}.inputs`, `steps.${step}.targets`);
    }
  });
});

/** The reference's ten step batches: the first 20 training entries, 2 a batch, cut at 40 tokens. */
function stepLoader() {
  const steps = fixture.setting<number>('steps');
  const batchSize = fixture.setting<number>('step_batch');
  const { train } = splitInstructionData(data);
  const dataset = new InstructionDataset(train.slice(0, steps * batchSize), { tokenizer, format: alpaca });
  return createInstructionLoader(dataset, {
    batchSize,
    shuffle: false,
    allowedMaxLength: fixture.setting<number>('step_max_length'),
  });
}

function fixtureModel() {
  const weights = formulaWeights(training.setting<FormulaParameter[]>('parameters'));
  return loadModel(training.setting<Record<string, unknown>>('model'), weights, { weightsSource: 'formula' })
    .model;
}

const backends = await findTestBackends();
const optimizer = training.setting<{
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}>('optimizer');

describe.each(backends)(
  'a small GPT on instruction batches against PyTorch on $backend',
  ({ backend, available }) => {
    it.skipIf(!available)(
      'gives the loss of the collated batch within 1e-4',
      async () => {
        await initBackend({ prefer: backend });
        const model = fixtureModel();
        const batch = collateInstructions(chosen.map((i) => all.get(i)));
        const loss = languageModelObjective().loss(model, batch, 'mean');
        const value = (await loss.data())[0] as number;
        tf.dispose(loss);
        model.dispose();
        expect(Math.abs(value - training.floats('collate_loss')[0]!)).toBeLessThanOrEqual(1e-4);
      },
      120_000,
    );

    // Not on cpu: TF.js's cpu kernel for the embedding's gradient (UnsortedSegmentSum) visits every one of
    // the 50,257 rows for every token, about 40 s a step here. The trainer's own parity test covers
    // cpu on a small vocabulary.
    it.skipIf(!available || backend === 'cpu')(
      'trains ten AdamW steps in the loop to the same losses and weights within 1e-4',
      async () => {
        await initBackend({ prefer: backend });
        const model = fixtureModel();
        const losses: number[] = [];
        /** Tensors alive after each step: flat, or a step leaks. */
        const alive: number[] = [];
        for await (const event of trainModel({
          model,
          train: stepLoader(),
          lr: optimizer.lr,
          weightDecay: optimizer.weight_decay,
          betas: optimizer.betas,
          eps: optimizer.eps,
          epochs: 1,
        })) {
          if (event.event === 'step') {
            losses.push(event.loss);
            alive.push(tf.memory().numTensors);
          }
        }
        const expected = training.floats('losses');
        expect(losses).toHaveLength(expected.length);
        expect(maxAbsDiff(losses, expected)).toBeLessThanOrEqual(1e-4);
        const finals = training.names().filter((name) => name.startsWith('final.'));
        const parameters = new Map(model.namedParameters());
        expect([...parameters.keys()].sort()).toEqual(
          finals.map((name) => name.slice('final.'.length)).sort(),
        );
        for (const name of finals) {
          const values = (await parameters.get(name.slice('final.'.length))!.data()) as Float32Array;
          expect(maxAbsDiff(values, training.floats(name)), name).toBeLessThanOrEqual(1e-4);
        }
        model.dispose();
        expect(Math.max(...alive.slice(1)), `tensors after each step: ${alive.join(', ')}`).toBe(alive[1]);
      },
      300_000,
    );
  },
);
