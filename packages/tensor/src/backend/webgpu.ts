import { setDispatchBindingLimit } from '../kernels/webgpu/dispatch.js';
import { setDeviceFeatures, wantedFeatures } from '../kernels/webgpu/features.js';
import { registerAllWebGPUKernels } from '../kernels/webgpu/register-all.js';
import { tf } from '../tf.js';
import { type GuardableBackend, installBindingGuard } from './binding-guard.js';
import { importNodeOnly, isNode } from './environment.js';
import type { AdapterInfo, DeviceLimits } from './types.js';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let gpuPromise: Promise<GPU | undefined> | undefined;

/** The browser's `navigator.gpu`, or in Node one Dawn instance (the `webgpu` package) per process. */
export function getGPU(loadDawn?: () => Promise<unknown>): Promise<GPU | undefined> {
  gpuPromise ??= findGPU(loadDawn);
  return gpuPromise;
}

async function findGPU(loadDawn: (() => Promise<unknown>) | undefined): Promise<GPU | undefined> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return navigator.gpu;
  if (!isNode) return undefined;
  const dawn = (await (loadDawn ? loadDawn() : importNodeOnly('webgpu'))) as DawnModule;
  // tfjs-backend-webgpu expects the browser's globals: GPUBufferUsage, GPUMapMode and navigator.gpu.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(dawnFlags());
  if (typeof navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  }
  return gpu;
}

/**
 * Flags for Dawn's instance from `SCRATCHGPT_DAWN_FLAGS` (comma-separated), e.g. `backend=vulkan` to
 * force its Vulkan backend, or `adapter=NVIDIA` to pick an adapter by name.
 */
function dawnFlags(): string[] {
  const listed = typeof process === 'undefined' ? undefined : process.env.SCRATCHGPT_DAWN_FLAGS;
  return (listed ?? '')
    .split(',')
    .map((flag) => flag.trim())
    .filter((flag) => flag !== '');
}

const softwareAdapter = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|\bwarp\b/i;

/** `GPUAdapter.info` is newer than the WebGPU typings TF.js pins. */
interface AdapterInfoFields {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

function adapterInfo(adapter: GPUAdapter): AdapterInfoFields {
  return (adapter as unknown as { info: AdapterInfoFields }).info;
}

export function describeAdapter(adapter: GPUAdapter): AdapterInfo {
  const info = adapterInfo(adapter);
  // `isFallbackAdapter` moved from the adapter to its info; older implementations have neither.
  const fallback =
    info.isFallbackAdapter === true ||
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  // The info's fields are getters of a native object: read them one by one (a spread copies nothing).
  const { vendor, architecture, device, description } = info;
  return describeAdapterInfo({ vendor, architecture, device, description, isFallbackAdapter: fallback });
}

/** An adapter's own description, marked software when it says it is a fallback or names a rasteriser. */
export function describeAdapterInfo(info: AdapterInfoFields): AdapterInfo {
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: info.isFallbackAdapter === true || softwareAdapter.test(text),
  };
}

/** Whether this process has loaded Dawn (or found the browser's WebGPU) already. */
export function gpuLoaded(): boolean {
  return gpuPromise != null;
}

export function requestAdapter(gpu: GPU): Promise<GPUAdapter | null> {
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
}

/** The limits TF.js asks for: the adapter's best, so large models fit. */
function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const limits = adapter.limits;
  return {
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
  };
}

interface WebGPUState {
  device?: GPUDevice;
  /** A lower per-binding limit than the device's, set to exercise sharding and the guard. */
  bindingOverride?: number;
  initError?: unknown;
}

const state: WebGPUState = {};

/** The per-binding limit the guard enforces now. */
export function webgpuBindingLimit(): number {
  const deviceLimit = state.device?.limits.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY;
  return Math.min(deviceLimit, state.bindingOverride ?? Number.POSITIVE_INFINITY);
}

export function setWebGPUBindingOverride(bytes: number | undefined): void {
  if (bytes === undefined) delete state.bindingOverride;
  else state.bindingOverride = bytes;
}

export function webgpuInitError(): unknown {
  return state.initError;
}

let registered: Promise<void> | undefined;

const SUBMIT_BATCH = 128;

/**
 * Registers TF.js's WebGPU backend on our own factory, so the device gets the adapter's limits and every
 * dispatch passes the binding guard. Registers once per process.
 */
export function registerWebGPU(gpu: GPU): Promise<void> {
  registered ??= register(gpu);
  return registered;
}

async function register(gpu: GPU): Promise<void> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  registerAllWebGPUKernels();
  // TF.js runs an op on the CPU when its small inputs have not reached the device yet (a parameter
  // just loaded from a file, say): the same op then rounds differently depending on where its data
  // happens to be, and a resumed run drifts from the run it continues by an ulp here and there. Every
  // op on the device makes the results depend on the values alone.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  // Importing the package registers its default factory where navigator.gpu exists: replace it.
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      try {
        const adapter = await requestAdapter(gpu);
        if (adapter == null) throw new Error('the WebGPU adapter disappeared');
        const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
        const device = await adapter.requestDevice({
          requiredFeatures: [...features, ...wantedFeatures(adapter.features as ReadonlySet<string>)],
          requiredLimits: requiredLimits(adapter),
        });
        state.device = device;
        setDeviceFeatures(device.features as ReadonlySet<string>, describeAdapter(adapter).software);
        setDispatchBindingLimit(webgpuBindingLimit);
        // One queue submission per this many dispatches instead of TF.js's 15: a training step records
        // thousands, and each submission costs a round trip through the driver.
        tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', SUBMIT_BATCH);
        const backend = new WebGPUBackend(device, adapterInfo(adapter) as unknown as GPUAdapterInfo);
        installBindingGuard(backend as unknown as GuardableBackend, webgpuBindingLimit);
        return backend;
      } catch (error) {
        state.initError = error;
        throw error;
      }
    },
    3,
  );
}

export function webgpuLimits(): DeviceLimits {
  const limits = state.device?.limits;
  if (limits == null) throw new Error('the WebGPU backend has not been created yet');
  return {
    maxBindingBytes: webgpuBindingLimit(),
    maxBufferBytes: limits.maxBufferSize,
    details: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    },
  };
}
