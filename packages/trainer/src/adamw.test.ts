import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, type AdamWOptions } from './adamw.js';
import { type Fixture, loadFixture, maxAbsDiff, maxRelDiff, maxScaledDiff } from './test-support/fixtures.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** Six steps on a weight [4, 3] and a bias [3] at changing rates; the bias has no gradient at step 4. */
const fixture = loadFixture(new URL('../fixtures/adamw-plain/adamw-plain.safetensors', import.meta.url));
const steps = fixture.setting('steps') as number;
const lrs = fixture.setting('lrs') as number[];
const stateSteps = fixture.setting('state_steps') as Record<string, number>;
const names = ['weight', 'bias'];
const options: AdamWOptions = {
  lr: 0,
  betas: fixture.setting('betas') as [number, number],
  eps: fixture.setting('eps') as number,
  weightDecay: fixture.setting('weight_decay') as number,
};

function fixtureParams(): Array<[string, tf.Variable]> {
  return names.map((name) => [name, tf.variable(fixture.tensor(`params0.${name}`))]);
}

/** The gradients of step `step` (from 0; the fixture counts from 1); the bias has none at step index 3. */
function gradsAt(source: Fixture, step: number): Map<string, tf.Tensor> {
  const grads = new Map<string, tf.Tensor>();
  for (const name of names) {
    const key = `grads${step + 1}.${name}`;
    if (source.has(key)) grads.set(name, source.tensor(key));
  }
  return grads;
}

function runSteps(optimizer: AdamW, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    optimizer.lr = lrs[step] as number;
    const grads = gradsAt(fixture, step);
    optimizer.step(grads);
    tf.dispose([...grads.values()]);
  }
}

describe('AdamW against torch.optim.AdamW (fixture)', () => {
  it('matches the parameters after every step within 1e-6 relative, the skipped step included', async () => {
    const params = fixtureParams();
    const optimizer = new AdamW(params, options);
    for (let step = 0; step < steps; step++) {
      runSteps(optimizer, step, step + 1);
      for (const [name, param] of params) {
        const expected = fixture.values(`params${step + 1}.${name}`);
        expect(maxRelDiff(await param.data(), expected), `${name} after step ${step}`).toBeLessThan(1e-6);
        expect(maxAbsDiff(await param.data(), expected), `${name} after step ${step}`).toBeLessThan(1e-6);
      }
    }
    expect(optimizer.stepCount).toBe(steps);
    const state = optimizer.getState();
    expect(state.moments.get('weight')?.step).toBe(stateSteps.weight);
    expect(state.moments.get('bias')?.step).toBe(stateSteps.bias);
    expect(stateSteps.bias).toBe(steps - 1);
    for (const name of names) {
      const moments = state.moments.get(name)!;
      // β1·m + (1 − β1)·g cancels to near zero in places: compare relative to the tensor's scale.
      expect(maxScaledDiff(await moments.m.data(), fixture.values(`exp_avg.${name}`))).toBeLessThan(1e-6);
      expect(maxRelDiff(await moments.v.data(), fixture.values(`exp_avg_sq.${name}`))).toBeLessThan(1e-6);
      tf.dispose([moments.m, moments.v]);
    }
    optimizer.dispose();
    tf.dispose(params.map(([, param]) => param));
  });

  it('accepts gradients as a plain object too', async () => {
    const [fromMap, fromRecord] = [fixtureParams(), fixtureParams()];
    const a = new AdamW(fromMap, { ...options, lr: 0.01 });
    const b = new AdamW(fromRecord, { ...options, lr: 0.01 });
    const grads = gradsAt(fixture, 0);
    a.step(grads);
    b.step(Object.fromEntries(grads));
    for (let i = 0; i < 2; i++) {
      expect(await fromRecord[i]![1].data()).toEqual(await fromMap[i]![1].data());
    }
    tf.dispose([...grads.values(), ...fromMap.map(([, p]) => p), ...fromRecord.map(([, p]) => p)]);
    a.dispose();
    b.dispose();
  });
});

describe('AdamW state', () => {
  it('resumes exactly: 3 steps, getState, a new optimizer with setState, 3 more = 6 straight', async () => {
    const straight = fixtureParams();
    const straightOptimizer = new AdamW(straight, options);
    runSteps(straightOptimizer, 0, steps);

    const resumed = fixtureParams();
    const first = new AdamW(resumed, options);
    runSteps(first, 0, 3);
    const state = first.getState();
    first.dispose();
    const second = new AdamW(resumed, { ...options, lr: 123 });
    second.setState(state);
    tf.dispose([...state.moments.values()].flatMap(({ m, v }) => [m, v]));
    expect(second.stepCount).toBe(3);
    expect(second.lr).toBe(lrs[2]);
    runSteps(second, 3, steps);

    for (let i = 0; i < 2; i++) {
      expect(await resumed[i]![1].data()).toEqual(await straight[i]![1].data());
    }
    second.dispose();
    straightOptimizer.dispose();
    tf.dispose([...straight, ...resumed].map(([, p]) => p));
  });

  it('keeps the tensor count constant across steps, and dispose() frees the moments', () => {
    const params = fixtureParams();
    const optimizer = new AdamW(params, options);
    const grads = gradsAt(fixture, 0);
    optimizer.step(grads); // creates the moments
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      optimizer.step(grads);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe((counts[0] as number) - 4);
    tf.dispose([...grads.values(), ...params.map(([, p]) => p)]);
  });

  it('creates moments that tf.variableGrads never differentiates', () => {
    const params = fixtureParams();
    const optimizer = new AdamW(params, options);
    const grads = gradsAt(fixture, 0);
    optimizer.step(grads);
    const { value, grads: all } = tf.variableGrads(() => tf.sum(tf.mul(params[0]![1], 2)));
    expect(Object.keys(all)).toEqual([params[0]![1].name]);
    tf.dispose([value, ...Object.values(all), ...grads.values(), ...params.map(([, p]) => p)]);
    optimizer.dispose();
  });
});

describe('AdamW errors', () => {
  it('names the problem and the parameter', () => {
    const params = fixtureParams();
    const optimizer = new AdamW(params, options);
    tf.tidy(() => {
      expect(() => optimizer.step({ p2: tf.zeros([5]) })).toThrow(
        "AdamW got a gradient for 'p2', which is not one of its parameters",
      );
      expect(() => optimizer.step({ bias: tf.zeros([4]) })).toThrow(
        "Gradient 'bias' has shape [4] but the parameter is [3]",
      );
    });
    expect(optimizer.stepCount).toBe(0);
    optimizer.lr = Number.NaN;
    expect(() => optimizer.step({})).toThrow('AdamW lr must be a finite number ≥ 0, got NaN');
    expect(() => new AdamW(params, { lr: 1, betas: [0.9, 1] })).toThrow(
      'AdamW betas must be two numbers in [0, 1), got [0.9, 1]',
    );
    expect(() => new AdamW([...params, params[0]!], { lr: 1 })).toThrow("AdamW got parameter 'weight' twice");
    const moments = new Map([['bias', { m: tf.zeros([5]), v: tf.zeros([3]), step: 1 }]]);
    expect(() => optimizer.setState({ step: 1, lr: 1, moments })).toThrow(
      "AdamW state 'bias.m' has shape [5] but the parameter is [3]",
    );
    tf.dispose([...moments.values()].flatMap(({ m, v }) => [m, v]));
    tf.dispose(params.map(([, p]) => p));
  });
});
