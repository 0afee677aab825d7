import { type Generator, getDefaultGenerator } from '../random.js';
import { tf } from '../tf.js';
import { Module } from './module.js';

/** x·mask with a gradient that keeps only the mask (not x as well, as a plain product would). */
const applyMask = tf.customGrad((...args) => {
  const [x, mask, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([mask]);
  return {
    value: tf.mul(x, mask),
    gradFunc: (dy, saved) => [tf.mul(dy as tf.Tensor, (saved as [tf.Tensor])[0]), tf.zerosLike(mask)],
  };
}) as unknown as (x: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

/**
 * Zeroes each element with probability p while training and scales the rest by 1/(1-p), so eval needs
 * no rescaling. The mask comes from a seeded generator, so a seed reproduces a run on every backend.
 */
export class Dropout extends Module {
  /** Where the masks come from; `undefined` draws from the default generator. */
  generator: Generator | undefined;

  constructor(
    readonly p: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout probability must be in [0, 1], got ${p}`);
    this.generator = options.generator;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return tf.zerosLike(x);
    return tf.tidy(() => applyMask(x, this.sampleMask(x.shape) as tf.Tensor));
  }

  /**
   * The mask `forward` would multiply a tensor of this shape by (0 or 1/(1-p) each, drawing the same
   * random numbers), for an op that applies it itself; null when dropout is off.
   */
  sampleMask(shape: readonly number[]): tf.Tensor | null {
    if (!this.training || this.p === 0) return null;
    const size = shape.reduce((a, b) => a * b, 1);
    if (this.p === 1) return tf.zeros([...shape]);
    const generator = this.generator ?? getDefaultGenerator();
    const keep = 1 - this.p;
    const scale = 1 / keep;
    const mask = new Float32Array(size);
    for (let i = 0; i < mask.length; i++) mask[i] = generator.random() < keep ? scale : 0;
    return tf.tensor(mask, [...shape], 'float32');
  }
}

/**
 * The generator every dropout layer of `module` draws from (the default generator where they were
 * given none). A training run saves its state to resume with the same masks, so the layers must share
 * one: they do when the module was built with one `generator` option.
 */
export function dropoutGenerator(module: Module): Generator {
  const generators = dropoutGenerators(module);
  if (generators.length > 1) {
    throw new Error(
      `The dropout layers of this model draw from ${generators.length} different generators; give them one ` +
        '(setDropoutGenerator) so a training run can save and restore its state',
    );
  }
  return generators[0] ?? getDefaultGenerator();
}

/** Every generator the dropout layers of `module` draw from, once each; none when it has no dropout. */
export function dropoutGenerators(module: Module): Generator[] {
  return [...new Set(dropoutLayers(module).map((layer) => layer.generator ?? getDefaultGenerator()))];
}

/** Makes every dropout layer of `module` draw from `generator` (`undefined`: the default generator). */
export function setDropoutGenerator(module: Module, generator: Generator | undefined): void {
  for (const layer of dropoutLayers(module)) layer.generator = generator;
}

function dropoutLayers(module: Module): Dropout[] {
  return module
    .namedModules()
    .map(([, child]) => child)
    .filter((child): child is Dropout => child instanceof Dropout);
}
