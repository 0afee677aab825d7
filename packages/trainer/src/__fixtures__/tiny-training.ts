/** Test helper: the fixture's ten-step recipe (cross-entropy, schedule, clipping, AdamW) on a backend. */
import { Generator, tf } from '@scratchgpt/tensor';
import { AdamW } from '../adamw.js';
import { clipGradNorm } from '../clip.js';
import { crossEntropy } from '../cross-entropy.js';
import { computeGradients } from '../gradients.js';
import { type LrSchedule, lrAtStep } from '../schedule.js';
import { loadFixture } from './fixtures.js';
import { TinyLanguageModel } from './tiny-model.js';

export interface TinyTrainingRun {
  losses: number[];
  norms: number[];
  weights: Map<string, Float32Array>;
}

export const tinyTraining = loadFixture('tiny-training');

export async function runTinyTraining(): Promise<TinyTrainingRun> {
  const meta = tinyTraining.metadata;
  const [beta1, beta2] = (meta.betas as string).split(',').map(Number) as [number, number];
  const schedule: LrSchedule = {
    peakLr: Number(meta.peak_lr),
    initialLr: Number(meta.initial_lr),
    minLr: Number(meta.min_lr),
    warmupSteps: Number(meta.warmup_steps),
    totalSteps: Number(meta.total_steps),
  };
  const model = new TinyLanguageModel(16, 8, new Generator(0));
  const init = new Map(model.namedParameters().map(([name]) => [name, tinyTraining.tensor(`init.${name}`)]));
  model.loadStateDict(init);
  tf.dispose([...init.values()]);
  const inputs = tinyTraining.tensor('inputs');
  const targets = tinyTraining.tensor('targets');
  const optimizer = new AdamW(model.namedParameters(), {
    lr: schedule.peakLr,
    betas: [beta1, beta2],
    eps: Number(meta.eps),
    weightDecay: Number(meta.weight_decay),
  });
  const losses: number[] = [];
  const norms: number[] = [];
  for (let step = 0; step < schedule.totalSteps; step++) {
    optimizer.lr = lrAtStep(step, schedule);
    const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(inputs), targets));
    const clipped = clipGradNorm(grads, Number(meta.max_norm));
    optimizer.step(clipped.grads);
    losses.push((await loss.data())[0] as number);
    norms.push((await clipped.norm.data())[0] as number);
    tf.dispose([loss, ...grads.values(), ...clipped.grads.values(), clipped.norm]);
  }
  const weights = new Map<string, Float32Array>();
  for (const [name, parameter] of model.namedParameters())
    weights.set(name, (await parameter.data()) as Float32Array);
  optimizer.dispose();
  model.dispose();
  tf.dispose([inputs, targets]);
  return { losses, norms, weights };
}
