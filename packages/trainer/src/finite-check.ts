/**
 * A diverged run must never be saved as a good one: after each update the loop checks that every
 * trainable weight is still finite, and before each save that the optimizer's moments are.
 */
import { type HostTensor, tf } from '@scratchgpt/tensor';

/** A weight or optimizer moment stopped being finite: the step's update overflowed. */
export class NonFiniteWeightsError extends Error {
  override name = 'NonFiniteWeightsError';

  constructor(
    /** The step whose update made it non-finite, or the last step before a save found it so. */
    readonly step: number,
    /** The tensor: a parameter's name, or `name.exp_avg` / `name.exp_avg_sq` for its moments. */
    readonly tensor: string,
    readonly lr: number,
  ) {
    super(
      `'${tensor}' became non-finite by step ${step} (learning rate ${lr.toPrecision(3)}); nothing from that ` +
        'step on was saved. Lower the learning rate or clip the gradient norm (gradClip), then resume from ' +
        'the last checkpoint.',
    );
  }
}

/**
 * The name of the first tensor holding an infinity or NaN, or undefined: one read for all of them.
 * `x · 0` is 0 for every finite x and NaN otherwise, so each sum says whether its tensor is finite with
 * kernels every backend has.
 */
export async function firstNonFinite(
  named: Array<readonly [string, tf.Tensor]>,
): Promise<string | undefined> {
  if (named.length === 0) return undefined;
  const sums = tf.tidy(() => tf.stack(named.map(([, tensor]) => tf.sum(tf.mul(tensor, 0)))));
  const values = await sums.data();
  sums.dispose();
  const index = values.findIndex((value) => !Number.isFinite(value));
  return index < 0 ? undefined : named[index]![0];
}

/** The name of the first moment holding an infinity or NaN, or undefined. */
export function firstNonFiniteMoment(
  moments: Map<string, { m: HostTensor; v: HostTensor }>,
): string | undefined {
  for (const [name, { m, v }] of moments) {
    if (!allFinite(m.data)) return `${name}.exp_avg`;
    if (!allFinite(v.data)) return `${name}.exp_avg_sq`;
  }
  return undefined;
}

export function allFinite(data: Float32Array): boolean {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]! * 0;
  return sum === 0;
}
