import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { findTestBackends } from '../testing.js';
import { tf } from '../tf.js';
import { autocastCases, autocastTolerance } from './autocast-cases.js';
import { type CaseOutput, compareCase, runCases } from './run.js';

const backends = await findTestBackends();
const cases = [...autocastCases.f16, ...autocastCases.bf16];
let reference: Map<string, CaseOutput>;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  reference = await runCases(cases);
});

describe.each(backends)('autocast products on $backend', ({ backend, available, reason }) => {
  let outputs: Map<string, CaseOutput>;

  beforeAll(async () => {
    if (!available) return;
    await initBackend({ prefer: backend });
    if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    outputs = await runCases(cases);
  });

  it.skipIf(!available).each(cases.map((c) => c.name))(
    `%s: values and gradients match cpu${reason ? ` (skipped: ${reason})` : ''}`,
    (name) => {
      const tolerance = autocastTolerance[name.startsWith('f16') ? 'f16' : 'bf16'];
      const result = compareCase(name, outputs.get(name)!, reference.get(name)!, tolerance);
      expect(result.value.ok, `${name} value: ${result.value.detail}`).toBe(true);
      result.gradients.forEach((gradient, i) => {
        expect(gradient.ok, `${name} gradient ${i}: ${gradient.detail}`).toBe(true);
      });
    },
  );
});
