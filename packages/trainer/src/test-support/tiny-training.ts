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

export const tinyTraining = loadFixture(
  new URL('../../fixtures/tiny-training/tiny-training.safetensors', import.meta.url),
);

export async function runTinyTraining(): Promise<TinyTrainingRun> {
  const setting = (name: string) => tinyTraining.setting(name) as number;
  const schedule: LrSchedule = {
    peakLr: setting('peak_lr'),
    initialLr: setting('initial_lr'),
    minLr: setting('min_lr'),
    warmupSteps: setting('warmup_steps'),
    totalSteps: setting('total_steps'),
  };
  const model = new TinyLanguageModel(16, 8, new Generator(0));
  const init = new Map(model.namedParameters().map(([name]) => [name, tinyTraining.tensor(`init.${name}`)]));
  model.loadStateDict(init);
  tf.dispose([...init.values()]);
  const inputs = tinyTraining.tensor('inputs');
  const targets = tinyTraining.tensor('targets');
  const optimizer = new AdamW(model.namedParameters(), {
    lr: schedule.peakLr,
    betas: tinyTraining.setting('betas') as [number, number],
    eps: setting('eps'),
    weightDecay: setting('weight_decay'),
  });
  const losses: number[] = [];
  const norms: number[] = [];
  for (let step = 0; step < schedule.totalSteps; step++) {
    optimizer.lr = lrAtStep(step, schedule);
    const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(inputs), targets));
    const clipped = clipGradNorm(grads, setting('max_norm'));
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
