/**
 * The cross-backend conformance suite in the browser: every case on the cpu backend, then on WebGPU
 * (scratchgpt's kernels, in the layouts the adapter gets, and `?layouts=gpu` for the GPU layouts), each
 * compared with cpu, and the rounding to f16/bf16 bit for bit. Writes JSON into [data-testid=result]: the
 * adapter, every case's comparison and the rounding's mismatches.
 */
import { initBackend, tf } from '@scratchgpt/tensor';
import { compareCase, conformanceCases, roundingChecks, runCases } from '@scratchgpt/tensor/conformance';

const out = document.querySelector('[data-testid="result"]') as HTMLElement;
const gpuLayouts = new URLSearchParams(location.search).get('layouts') === 'gpu';

async function run(): Promise<void> {
  await initBackend({ prefer: 'cpu' });
  const reference = await runCases(conformanceCases);
  const choice = await initBackend({ prefer: 'webgpu', webgpu: { gpuLayouts } });
  // Every op on the device, not on the CPU fallback TF.js uses for tiny WebGPU tensors.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const outputs = await runCases(conformanceCases);
  const cases = conformanceCases.map((testCase) => {
    const result = compareCase(testCase.name, outputs.get(testCase.name)!, reference.get(testCase.name)!);
    return {
      name: testCase.name,
      ok: result.ok,
      value: result.value.detail,
      gradients: result.gradients.map((gradient) => (gradient.ok ? 'ok' : gradient.detail)),
    };
  });
  // roundToPrecision bit for bit against the typed-array reference, not within a tolerance.
  const rounding = await roundingChecks();
  out.textContent = JSON.stringify({
    backend: tf.getBackend(),
    adapter: choice.adapter,
    gpuLayouts,
    cases,
    rounding,
  });
}

run().catch((error: unknown) => {
  out.textContent = JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
});
