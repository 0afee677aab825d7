import { setFeatureSwitch } from '../kernels/webgpu/features.js';
import { useWebGPUKernels } from '../kernels/webgpu/register-all.js';
import type { WebGPUOptions } from './types.js';

function environment(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name];
}

/** The options given, else the environment's, else the defaults (our kernels, f32, subgroups on). */
export function resolveWebGPUOptions(options: WebGPUOptions = {}): Required<WebGPUOptions> {
  const kernels = options.kernels ?? environment('SCRATCHGPT_WEBGPU_KERNELS') ?? 'scratchgpt';
  if (kernels !== 'scratchgpt' && kernels !== 'tfjs') {
    throw new RangeError(`WebGPU kernels must be 'scratchgpt' or 'tfjs', got '${kernels}'`);
  }
  return {
    kernels,
    f16: options.f16 ?? environment('SCRATCHGPT_WEBGPU_F16') === '1',
    subgroups: options.subgroups ?? environment('SCRATCHGPT_WEBGPU_SUBGROUPS') !== '0',
    gpuLayouts: options.gpuLayouts ?? false,
  };
}

export function applyWebGPUOptions(options: WebGPUOptions | undefined): void {
  const resolved = resolveWebGPUOptions(options);
  setFeatureSwitch({ f16: resolved.f16, subgroups: resolved.subgroups, gpuLayouts: resolved.gpuLayouts });
  useWebGPUKernels(resolved.kernels);
}
