import { GPTModel, presets } from '@scratchgpt/gpt-model';
import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { findTestBackends } from '@scratchgpt/tensor/testing';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { DeviceMomentStore, HostMomentStore } from './adamw-moments.js';
import { computeGradients } from './gradients.js';
import { languageModelLoss } from './loss.js';

// Host moments are for backends that read synchronously: cpu and wasm.
const backends = (await findTestBackends()).filter((b) => b.backend !== 'webgpu');

function parameters(seed: number): Array<[string, tf.Variable]> {
  const g = new Generator(seed);
  return [
    ['weight', tf.variable(tf.tensor(g.normalArray(64 * 48), [64, 48]))],
    ['bias', tf.variable(tf.tensor(g.normalArray(48), [48]))],
  ];
}

describe.each(backends)('AdamW with host moments on $backend', ({ backend, available }) => {
  it.skipIf(!available)(
    'updates the parameters bit for bit as device moments do, across a resume',
    async () => {
      await initBackend({ prefer: backend });
      const options = { lr: 3e-3, betas: [0.9, 0.95] as const, weightDecay: 0.1 };
      const deviceParams = parameters(1);
      const hostParams = parameters(1);
      const onDevice = new AdamW(deviceParams, { ...options, momentStore: new DeviceMomentStore() });
      let onHost = new AdamW(hostParams, { ...options, momentStore: new HostMomentStore() });
      const gradients = new Generator(2);
      for (let step = 0; step < 6; step++) {
        const grads = {
          weight: tf.tensor(gradients.normalArray(64 * 48, 0, 0.1), [64, 48]),
          bias: tf.tensor(gradients.normalArray(48, 0, 0.1), [48]),
        };
        onDevice.step(grads);
        onHost.step(grads);
        tf.dispose(Object.values(grads));
        if (step === 2) {
          // Continue in a fresh host optimizer from a snapshot, as a resumed run does.
          const state = onHost.getState();
          onHost.dispose();
          onHost = new AdamW(hostParams, { ...options, momentStore: new HostMomentStore() });
          onHost.setState(state);
          for (const { m, v } of state.moments.values()) tf.dispose([m, v]);
        }
      }
      for (const [i, [name, variable]] of deviceParams.entries()) {
        expect(await hostParams[i]![1].data(), name).toEqual(await variable.data());
      }
      const deviceState = onDevice.getState();
      const hostState = onHost.getState();
      expect(hostState.step).toBe(6);
      for (const name of ['weight', 'bias']) {
        expect(await hostState.moments.get(name)!.m.data()).toEqual(
          await deviceState.moments.get(name)!.m.data(),
        );
        expect(await hostState.moments.get(name)!.v.data()).toEqual(
          await deviceState.moments.get(name)!.v.data(),
        );
      }
    },
  );
});

describe.each(backends)('AdamW with host moments training a GPT on $backend', ({ backend, available }) => {
  it.skipIf(!available)('gives the parameters device moments give, step after step', async () => {
    await initBackend({ prefer: backend });
    // Products' operands are cached per tensor on wasm: a parameter updated in place under the same
    // tensor was read stale from the second step on.
    const config = { ...presets['gpt-nano'], vocabSize: 300, contextLength: 8, dropRate: 0 };
    const ids = (offset: number) =>
      tf.tensor2d(
        Int32Array.from({ length: 16 }, (_, i) => (i * 37 + offset) % 300),
        [2, 8],
        'int32',
      );
    const [inputs, targets] = [ids(0), ids(1)];
    const runs = [new DeviceMomentStore(), new HostMomentStore()].map((momentStore) => {
      const model = new GPTModel(config, { generator: new Generator(1) });
      return { model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-3, momentStore }) };
    });
    for (let step = 0; step < 3; step++) {
      for (const { model, optimizer } of runs) {
        const { loss, grads } = computeGradients(model, () => languageModelLoss(model, inputs, targets));
        optimizer.step(grads);
        tf.dispose([loss, ...grads.values()]);
      }
    }
    const [device, host] = runs.map(({ model }) => new Map(model.namedParameters()));
    for (const [name, parameter] of device!) {
      expect(await host!.get(name)!.data(), name).toEqual(await parameter.data());
    }
    for (const { model, optimizer } of runs) {
      optimizer.dispose();
      model.dispose();
    }
    tf.dispose([inputs, targets]);
  });
});
