import { tf } from '../tf.js';
import { registerCpu } from './cpu.js';
import { errorMessage, isNode } from './environment.js';
import { registerNodeGpu } from './node-gpu.js';
import type {
  AdapterInfo,
  BackendChoice,
  BackendName,
  DeviceLimits,
  InitBackendOptions,
  SkippedBackend,
} from './types.js';
import { registerWasm, wasmLimits } from './wasm.js';
import {
  describeAdapter,
  getGPU,
  registerWebGPU,
  requestAdapter,
  setWebGPUBindingOverride,
  webgpuInitError,
  webgpuLimits,
} from './webgpu.js';
import { applyWebGPUOptions } from './webgpu-options.js';

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

type Attempt =
  | { ok: true; choice: Omit<BackendChoice, 'reason' | 'skipped'> }
  | { ok: false; reason: string };

const noLimits: DeviceLimits = { maxBindingBytes: null, maxBufferBytes: null, details: {} };

let current: BackendChoice | undefined;

/**
 * Chooses and activates the backend every scratchgpt package computes on.
 *
 * `auto` ranks a hardware GPU first (node-gpu, then WebGPU on a hardware adapter), then wasm, then a
 * software WebGPU adapter (llvmpipe, SwiftShader: correct but slower than wasm), then cpu. A named
 * backend is used as asked, or fails with the reason it cannot run.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  setWebGPUBindingOverride(options.maxBindingBytes);
  const prefer = options.prefer ?? 'auto';
  current = prefer === 'auto' ? await chooseAutomatically(options) : await useExactly(prefer, options);
  return current;
}

/** The backend chosen by the last {@link initBackend}, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}

/**
 * How large a single piece of a big parameter (a vocabulary table) should be on the current backend:
 * WebGPU's binding limit; on wasm 32 MiB, because its 4 GiB heap fragments when 150 MB tables and their
 * gradients are allocated and freed every step; elsewhere no limit.
 */
export function preferredShardBytes(): number | null {
  const binding = maxBindingBytes();
  if (binding != null) return binding;
  return tf.getBackend() === 'wasm' ? WASM_SHARD_BYTES : null;
}

const WASM_SHARD_BYTES = 32 * 2 ** 20;

/** Largest tensor in bytes a kernel may bind on the current backend; `null` means no limit. */
export function maxBindingBytes(): number | null {
  if (current?.backend !== 'webgpu' || tf.getBackend() !== 'webgpu') return null;
  return webgpuLimits().maxBindingBytes;
}

async function useExactly(backend: BackendName, options: InitBackendOptions): Promise<BackendChoice> {
  const attempt = await activate(backend, options);
  if (!attempt.ok) {
    throw new BackendUnavailableError(`The ${backend} backend is not available: ${attempt.reason}`);
  }
  return { ...attempt.choice, reason: `requested with prefer: '${backend}'`, skipped: [] };
}

async function chooseAutomatically(options: InitBackendOptions): Promise<BackendChoice> {
  const skipped: SkippedBackend[] = [];
  const chosen = (attempt: Attempt & { ok: true }, reason: string): BackendChoice => ({
    ...attempt.choice,
    reason,
    skipped,
  });

  if (isNode) {
    const nodeGpu = await activate('node-gpu', options);
    if (nodeGpu.ok) return chosen(nodeGpu, 'a CUDA GPU through tfjs-node-gpu ranks first');
    skipped.push({ backend: 'node-gpu', reason: nodeGpu.reason });
  } else {
    skipped.push({ backend: 'node-gpu', reason: 'it runs only under Node.js' });
  }

  const adapter = await probeWebGPU(options.loaders?.webgpu);
  let softwareAdapter: AdapterInfo | undefined;
  if ('reason' in adapter) {
    skipped.push({ backend: 'webgpu', reason: adapter.reason });
  } else if (adapter.software) {
    softwareAdapter = adapter;
    skipped.push({
      backend: 'webgpu',
      reason: `the adapter is software (${adapterName(adapter)}), slower than wasm: it ranks below wasm`,
    });
  } else {
    const webgpu = await activate('webgpu', options);
    if (webgpu.ok) return chosen(webgpu, `hardware WebGPU adapter (${adapterName(adapter)})`);
    skipped.push({ backend: 'webgpu', reason: webgpu.reason });
  }

  const wasm = await activate('wasm', options);
  if (wasm.ok) return chosen(wasm, 'no hardware GPU was found; wasm (SIMD) is the fastest CPU backend');
  skipped.push({ backend: 'wasm', reason: wasm.reason });

  if (softwareAdapter != null) {
    const webgpu = await activate('webgpu', options);
    if (webgpu.ok) return chosen(webgpu, `software WebGPU adapter (${adapterName(softwareAdapter)})`);
    skipped.push({ backend: 'webgpu', reason: webgpu.reason });
  }

  const cpu = await activate('cpu', options);
  if (cpu.ok) return chosen(cpu, 'every faster backend was unavailable');
  skipped.push({ backend: 'cpu', reason: cpu.reason });
  throw new BackendUnavailableError(
    `No backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

function adapterName(adapter: AdapterInfo): string {
  return adapter.description || adapter.device || adapter.vendor || 'unnamed adapter';
}

/** Looks for a WebGPU adapter without creating a device. */
export async function probeWebGPU(
  loadDawn?: () => Promise<unknown>,
): Promise<AdapterInfo | { reason: string }> {
  let gpu: GPU | undefined;
  try {
    gpu = await getGPU(loadDawn);
  } catch (error) {
    return { reason: `Dawn's 'webgpu' package could not load (${errorMessage(error)})` };
  }
  if (gpu == null) return { reason: 'this browser has no navigator.gpu' };
  const adapter = await requestAdapter(gpu).catch(() => null);
  if (adapter == null) {
    return {
      reason: isNode
        ? 'Dawn found no WebGPU adapter (on Linux it needs a Vulkan driver, e.g. mesa-vulkan-drivers)'
        : 'the browser offers no WebGPU adapter',
    };
  }
  return describeAdapter(adapter);
}

async function activate(backend: BackendName, options: InitBackendOptions): Promise<Attempt> {
  try {
    switch (backend) {
      case 'node-gpu':
        await registerNodeGpu(options.loaders?.['node-gpu']);
        return await switchTo(backend, 'tensorflow', async () => noLimits);
      case 'webgpu': {
        const adapter = await probeWebGPU(options.loaders?.webgpu);
        if ('reason' in adapter) return { ok: false, reason: adapter.reason };
        const gpu = await getGPU(options.loaders?.webgpu);
        if (gpu == null) return { ok: false, reason: 'navigator.gpu vanished' };
        await registerWebGPU(gpu);
        applyWebGPUOptions(options.webgpu);
        const attempt = await switchTo(backend, 'webgpu', async () => webgpuLimits());
        return attempt.ok ? { ok: true, choice: { ...attempt.choice, adapter } } : attempt;
      }
      case 'wasm':
        await registerWasm(options.wasmPaths);
        return await switchTo(backend, 'wasm', wasmLimits);
      case 'cpu':
        await registerCpu();
        return await switchTo(backend, 'cpu', async () => noLimits);
    }
  } catch (error) {
    return { ok: false, reason: describeLoadFailure(backend, error) };
  }
}

async function switchTo(
  backend: BackendName,
  tfBackend: string,
  limits: () => Promise<DeviceLimits>,
): Promise<Attempt> {
  if (tf.findBackendFactory(tfBackend) == null) {
    return { ok: false, reason: `TF.js has no '${tfBackend}' backend registered` };
  }
  const ok = await tf.setBackend(tfBackend);
  if (!ok) {
    const cause = backend === 'webgpu' ? webgpuInitError() : undefined;
    return { ok: false, reason: `TF.js could not initialise it${cause ? ` (${errorMessage(cause)})` : ''}` };
  }
  await tf.ready();
  return { ok: true, choice: { backend, tfBackend, limits: await limits() } };
}

function describeLoadFailure(backend: BackendName, error: unknown): string {
  const message = errorMessage(error);
  const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Failed to resolve/.test(message);
  const packages: Record<BackendName, string> = {
    'node-gpu': '@tensorflow/tfjs-node-gpu',
    webgpu: '@tensorflow/tfjs-backend-webgpu',
    wasm: '@tensorflow/tfjs-backend-wasm',
    cpu: '@tensorflow/tfjs-backend-cpu',
  };
  if (missing) return `${packages[backend]} is not installed`;
  if (backend === 'node-gpu' && message.includes('tfjs_binding.node')) {
    return '@tensorflow/tfjs-node-gpu is installed without its native binding (its install downloads libtensorflow, which failed here)';
  }
  if (backend === 'node-gpu') return `@tensorflow/tfjs-node-gpu failed to load (${message})`;
  return message;
}
