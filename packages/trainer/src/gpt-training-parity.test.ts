/**
 * Ten AdamW steps of the GPT model against PyTorch's, on every backend: the model of
 * `tiny-qkvbias-untied` (vocab 320, context 24, emb 48, 4 heads, 2 layers, qkv biases) trained on ten
 * batches of 2 × 16 tokens with this package's crossEntropy, computeGradients and AdamW.
 * Fixtures: ../fixtures/adamw-gpt/ (tools/reference/README.md describes each file).
 */
import { readFileSync } from 'node:fs';
import { loadModel } from '@scratchgpt/gpt-model';
import { initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { crossEntropy } from './cross-entropy.js';
import { computeGradients } from './gradients.js';
import { loadFixture, maxAbsDiff } from './test-support/fixtures.js';

const file = (name: string) => new URL(`../fixtures/adamw-gpt/${name}`, import.meta.url);
const json = (name: string): unknown => JSON.parse(readFileSync(file(name), 'utf8'));

interface Settings {
  /** The book's config keys plus `tied`. */
  model: Record<string, unknown>;
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  steps: number;
  /** Parameters whose gradient is zero in real arithmetic (the key biases). */
  zero_gradient: string[];
}

const settings = json('config.json') as Settings;
const losses = json('losses.json') as number[];
const batches = loadFixture(file('batches.safetensors'));
const gradsStep0 = loadFixture(file('grads_step0.safetensors'));
const final = loadFixture(file('final.safetensors'));

interface Run {
  losses: number[];
  gradsStep0: Map<string, Float32Array>;
  weights: Map<string, Float32Array>;
  /** Tensors left behind by the whole run (model and optimizer disposed). */
  leaked: number;
}

/** Loads the initial weights and trains as PyTorch did: loss, gradients, AdamW step, ten times. */
async function train(): Promise<Run> {
  const before = tf.memory().numTensors;
  const initial = new Uint8Array(readFileSync(file('initial.safetensors')));
  const { model } = loadModel(settings.model, initial, { weightsSource: 'initial.safetensors' });
  model.train(); // what PyTorch ran; dropout is 0, so it changes nothing
  const { lr, betas, eps, weight_decay: weightDecay } = settings.optimizer;
  const optimizer = new AdamW(model.namedParameters(), { lr, betas, eps, weightDecay });
  const allInputs = batches.tensor('inputs'); // [steps, 2, 16]
  const allTargets = batches.tensor('targets');
  const run: Run = { losses: [], gradsStep0: new Map(), weights: new Map(), leaked: 0 };
  for (let step = 0; step < settings.steps; step++) {
    const inputs = tf.gather(allInputs, step); // [2, 16]
    const targets = tf.gather(allTargets, step);
    const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(inputs), targets));
    if (step === 0) {
      for (const [name, grad] of grads) run.gradsStep0.set(name, (await grad.data()) as Float32Array);
    }
    optimizer.step(grads);
    run.losses.push((await loss.data())[0] as number);
    tf.dispose([inputs, targets, loss, ...grads.values()]);
  }
  for (const [name, parameter] of model.namedParameters()) {
    run.weights.set(name, (await parameter.data()) as Float32Array);
  }
  optimizer.dispose();
  model.dispose();
  tf.dispose([allInputs, allTargets]);
  run.leaked = tf.memory().numTensors - before;
  return run;
}

let largestGradient = 0;
for (const name of gradsStep0.names()) {
  for (const g of gradsStep0.values(name)) largestGradient = Math.max(largestGradient, Math.abs(g));
}

const backends = await findTestBackends();

describe.each(backends)(
  'ten AdamW steps of the GPT model against PyTorch on $backend',
  ({ backend, available }) => {
    let run: Run | undefined;
    /** Trains once per backend; the three checks below read the same run. */
    async function trained(): Promise<Run> {
      await initBackend({ prefer: backend });
      run ??= await train();
      return run;
    }

    it.skipIf(!available)('gives each of the ten losses within 1e-5, leaving no tensors behind', async () => {
      const { losses: actual, leaked } = await trained();
      expect(actual).toHaveLength(losses.length);
      actual.forEach((loss, step) => {
        expect(Math.abs(loss - (losses[step] as number)), `loss ${step}`).toBeLessThanOrEqual(1e-5);
      });
      expect(leaked).toBe(0);
    });

    it.skipIf(!available)('gives the step-0 gradients within 1e-4 of the largest', async () => {
      const { gradsStep0: actual } = await trained();
      expect([...actual.keys()]).toEqual(gradsStep0.names());
      for (const [name, grad] of actual) {
        // Absolute, scaled to the largest gradient: the key biases' reference values are round-off
        // around an exact zero (about 5e-10 against 0.1), where any relative comparison is noise.
        expect(maxAbsDiff(grad, gradsStep0.values(name)), name).toBeLessThanOrEqual(1e-4 * largestGradient);
      }
    });

    it.skipIf(!available)('ends with every weight within 1e-4, the key biases within 10·lr', async () => {
      const { weights } = await trained();
      expect([...weights.keys()]).toEqual(final.names());
      const noise = new Set(settings.zero_gradient);
      expect([...noise].every((name) => name.endsWith('att.W_key.bias'))).toBe(true);
      for (const [name, values] of weights) {
        // The key biases' gradients are round-off around zero (a shift of every key adds the same
        // constant to a query's scores, which the softmax ignores). Adam divides that noise by its
        // own root mean square, so each step moves them by about lr in a direction no two
        // implementations share: after ten steps they may lie about 10·lr apart (the fixture's own
        // float32 replay ends 2.4e-4 away). Every other tensor is held to 1e-4.
        const tolerance = noise.has(name) ? 10 * settings.optimizer.lr : 1e-4;
        expect(maxAbsDiff(values, final.values(name)), name).toBeLessThanOrEqual(tolerance);
      }
    });
  },
);
