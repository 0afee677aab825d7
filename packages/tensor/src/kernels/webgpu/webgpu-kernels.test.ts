/**
 * scratchgpt's WebGPU kernels in each of their forms: the layouts for software adapters (the default
 * here), the GPU layouts (workgroup-memory tiles, rows shared by a workgroup, with and without subgroup
 * reductions), and products with operands staged as f16. Each is compared with the cpu backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, probeWebGPU } from '../../backend/init-backend.js';
import type { WebGPUOptions } from '../../backend/types.js';
import { type ConformanceCase, caseInputs } from '../../conformance/case.js';
import { conformanceCases } from '../../conformance/cases.js';
import { fusedCases } from '../../conformance/fused-cases.js';
import { type CaseOutput, compareCase, runCases } from '../../conformance/run.js';
import { matMul } from '../../ops/mat-mul.js';
import { requiredBackends } from '../../testing.js';
import { tf } from '../../tf.js';
import { deviceFeatures, precision } from './features.js';
import { useWebGPUKernels, webgpuKernelSet } from './register-all.js';

const adapter = await probeWebGPU();
const runs = !('reason' in adapter) || requiredBackends().includes('webgpu');

/** Every case that reaches one of our kernels: products, LayerNorm, GELU, attention, loss, AdamW. */
const ours: ConformanceCase[] = [
  ...conformanceCases.filter((c) => /matMul|LayerNorm|GELU/.test(c.name) && !fusedCases.includes(c)),
  ...fusedCases,
];

let reference: Map<string, CaseOutput>;
beforeAll(async () => {
  if (!runs) return;
  await initBackend({ prefer: 'cpu' });
  reference = await runCases(ours);
});

async function onWebGPU(options: WebGPUOptions): Promise<Map<string, CaseOutput>> {
  await initBackend({ prefer: 'webgpu', webgpu: options });
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  try {
    return await runCases(ours);
  } finally {
    await initBackend({ prefer: 'webgpu', webgpu: {} });
  }
}

// Every case on the device and on cpu: minutes on a software adapter that shares its cores.
describe.skipIf(!runs)('scratchgpt WebGPU kernels', { timeout: 600_000 }, () => {
  const layouts: Array<[string, WebGPUOptions]> = [
    ['GPU layouts, workgroup reductions', { gpuLayouts: true, subgroups: false }],
    ['GPU layouts, subgroup reductions', { gpuLayouts: true, subgroups: true }],
  ];
  it.each(layouts)('%s: values and gradients match cpu', async (_, options) => {
    const outputs = await onWebGPU(options);
    for (const testCase of ours) {
      const result = compareCase(testCase.name, outputs.get(testCase.name)!, reference.get(testCase.name)!);
      expect(result.value.ok, `${testCase.name} value: ${result.value.detail}`).toBe(true);
      result.gradients.forEach((gradient, i) => {
        expect(gradient.ok, `${testCase.name} gradient ${i}: ${gradient.detail}`).toBe(true);
      });
    }
  });

  it('stages product operands as f16 where the device has shader-f16, within f16 rounding', async () => {
    await initBackend({ prefer: 'webgpu', webgpu: { f16: true, gpuLayouts: true } });
    try {
      expect(precision().f16).toBe(deviceFeatures().f16);
      const testCase = ours.find((c) => c.name === 'matMul transposeA and transposeB, odd sizes')!;
      const [a, b] = caseInputs(testCase).map((spec) => tf.tensor(spec.values, spec.shape, spec.dtype));
      const got = (await matMul(a!, b!, true, true).data()) as Float32Array;
      const want = reference.get(testCase.name)!.value as Float32Array;
      // Rounding each operand to f16 moves a product by at most 2·2⁻¹¹ of |a|·|b|; sums stay f32.
      const bound = (await tf.matMul(tf.abs(a!), tf.abs(b!), true, true).data()) as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(
          worst,
          Math.abs((got[i] as number) - (want[i] as number)) / (2 ** -10 * (bound[i] as number) + 1e-6),
        );
      }
      expect(worst).toBeLessThanOrEqual(1);
      tf.dispose([a!, b!]);
    } finally {
      await initBackend({ prefer: 'webgpu', webgpu: {} });
    }
  });

  it("switches to TF.js's stock kernels and back", async () => {
    await initBackend({ prefer: 'webgpu', webgpu: { kernels: 'tfjs' } });
    expect(webgpuKernelSet()).toBe('tfjs');
    expect(tf.getKernel('ScratchGPTGelu', 'webgpu')).toBeUndefined();
    const stock = tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc;
    useWebGPUKernels('scratchgpt');
    expect(tf.getKernel('ScratchGPTGelu', 'webgpu')).toBeDefined();
    expect(tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc).not.toBe(stock);
    useWebGPUKernels('tfjs');
    expect(tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc).toBe(stock);
    useWebGPUKernels('scratchgpt');
  });

  it('refuses a tensor above the binding limit instead of computing garbage', async () => {
    await initBackend({ prefer: 'webgpu', maxBindingBytes: 4096 });
    try {
      const a = tf.ones([40, 40]);
      expect(() => tf.matMul(a, a)).toThrow(/maxStorageBufferBindingSize/);
      a.dispose();
    } finally {
      await initBackend({ prefer: 'webgpu' });
    }
  });
});

it.skipIf(!runs)('the default options use the layouts for this adapter', async () => {
  await initBackend({ prefer: 'webgpu' });
  expect(precision().software).toBe(!('reason' in adapter) && adapter.software);
});
