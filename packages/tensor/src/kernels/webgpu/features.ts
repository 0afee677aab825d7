/**
 * Which optional WebGPU features our kernels use: `shader-f16` (operand tiles staged as halves) and
 * `subgroups` (row reductions across a subgroup without workgroup memory). Each is used only when the
 * switch asks for it and the device has it; otherwise the kernels take their fp32 / workgroup-memory
 * paths. Accumulation is fp32 in every case.
 */

export interface WebGPUFeatureSwitch {
  /** Stage matrix-product operands as f16 where the device has `shader-f16` (default false). */
  f16?: boolean;
  /** Reduce rows with subgroup operations where the device has `subgroups` (default true). */
  subgroups?: boolean;
  /**
   * Use the GPU layouts (workgroup-memory tiles) even on a software adapter, which otherwise gets
   * CPU-friendly ones: lets tests check the GPU layouts where there is no GPU (default false).
   */
  gpuLayouts?: boolean;
}

export interface KernelPrecision {
  f16: boolean;
  subgroups: boolean;
  /** The adapter emulates a GPU on the CPU (llvmpipe, SwiftShader): kernels pick CPU-friendly layouts. */
  software: boolean;
}

let requested: Required<WebGPUFeatureSwitch> = { f16: false, subgroups: true, gpuLayouts: false };
let available = { f16: false, subgroups: false, software: false };

/** The optional features to ask the adapter for when the device is created. */
export function wantedFeatures(adapterFeatures: ReadonlySet<string>): GPUFeatureName[] {
  const wanted: string[] = [];
  if (adapterFeatures.has('shader-f16')) wanted.push('shader-f16');
  if (adapterFeatures.has('subgroups')) wanted.push('subgroups');
  return wanted as GPUFeatureName[];
}

/** Records what the device was created with. */
export function setDeviceFeatures(deviceFeatures: ReadonlySet<string>, software: boolean): void {
  available = {
    f16: deviceFeatures.has('shader-f16'),
    subgroups: deviceFeatures.has('subgroups'),
    software,
  };
}

export function setFeatureSwitch(features: WebGPUFeatureSwitch): void {
  requested = { ...requested, ...features };
}

/** What the switch asks for now, whatever the device has. */
export function featureSwitch(): Required<WebGPUFeatureSwitch> {
  return { ...requested };
}

/** What the kernels use now: asked for and available. */
export function precision(): KernelPrecision {
  return {
    f16: requested.f16 && available.f16,
    subgroups: requested.subgroups && available.subgroups,
    software: available.software && !requested.gpuLayouts,
  };
}

/** What the device offers, whatever the switch says. */
export function deviceFeatures(): KernelPrecision {
  return { ...available };
}
