import { beforeAll, describe, expect, it } from 'vitest';
import { currentBackend, initBackend } from '../backend/init-backend.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { conformanceCases } from './cases.js';
import { type CaseOutput, compareCase, defaultTolerance, runCases } from './run.js';

const backends = await findTestBackends();
let reference: Map<string, CaseOutput>;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  reference = await runCases(conformanceCases);
});

describe.each(backends)('conformance on $backend', ({ backend, available, reason }) => {
  let outputs: Map<string, CaseOutput>;

  beforeAll(async () => {
    if (!available) return;
    await initBackend({ prefer: backend });
    // Run every op on the device itself, not on the CPU fallback TF.js uses for tiny WebGPU tensors.
    if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    outputs = await runCases(conformanceCases);
  });

  it.skipIf(!available)(`runs here${reason ? ` (skipped: ${reason})` : ''}`, () => {
    expect(currentBackend()?.backend).toBe(backend);
    expect(tf.getBackend()).toBe(currentBackend()?.tfBackend);
  });

  it.skipIf(!available).each(conformanceCases.map((c) => c.name))(
    '%s: values and gradients match cpu',
    (name) => {
      const actual = outputs.get(name)!;
      const expected = reference.get(name)!;
      const result = compareCase(name, actual, expected, defaultTolerance);
      expect(result.value.detail, `${name} value`).toSatisfy(() => result.value.ok);
      result.gradients.forEach((gradient, i) => {
        expect(gradient.ok, `${name} gradient ${i}: ${gradient.detail}`).toBe(true);
      });
      expect(actual.gradients.length).toBe(expected.gradients.length);
    },
  );
});
