import { tf } from '../tf.js';
import { blasLimits, registerBlas, useBlas } from './blas.js';
import { registerCpu } from './cpu.js';
import { locateDawn, probeInChild } from './dawn-probe.js';
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
import { checkWasmThreads, registerWasm, wasmLimits, withWasmThreads } from './wasm.js';
import {
  describeAdapter,
  describeAdapterInfo,
  getGPU,
  gpuLoaded,
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
 * `auto` ranks a hardware GPU first (node-gpu, then WebGPU on a hardware adapter), then blas (wasm
 * with the machine's BLAS for matrix products, under Node), then wasm, then a software WebGPU adapter
 * (llvmpipe, SwiftShader: correct but slower than wasm), then cpu. A named backend is used as asked,
 * or fails with the reason it cannot run.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  // TF.js's console advice ("install tfjs-node…") does not apply: the choice explains itself.
  checkWasmThreads(options.wasmThreads);
  tf.env().set('PROD', options.debug !== true);
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

  const adapter = await probeWebGPU(options.loaders?.webgpu, { debug: options.debug === true });
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

  if (isNode) {
    const blas = await activate('blas', options);
    if (blas.ok) {
      const { blasCoreType, blasThreads } = blas.choice.limits.details;
      return chosen(
        blas,
        `no hardware GPU was found; products in the machine's BLAS (${blasCoreType} kernels, ${blasThreads} threads) beat wasm's`,
      );
    }
    skipped.push({ backend: 'blas', reason: blas.reason });
  } else {
    skipped.push({ backend: 'blas', reason: 'it runs only under Node.js' });
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

/**
 * Looks for a WebGPU adapter without creating a device. In Node, where Dawn is not loaded yet, it
 * looks from a child process, so Dawn's driver warnings only appear when WebGPU is used (or with
 * `debug`).
 */
export async function probeWebGPU(
  loadDawn?: () => Promise<unknown>,
  options: { debug?: boolean } = {},
): Promise<AdapterInfo | { reason: string }> {
  if (isNode && !gpuLoaded()) {
    const dawn = await locateDawn();
    if (dawn != null) {
      const probed = await probeInChild(dawn, options.debug === true);
      return 'reason' in probed ? probed : describeAdapterInfo(probed);
    }
  }
  const gpu = await loadGPU(loadDawn);
  return 'reason' in gpu ? gpu : findAdapter(gpu);
}

/** The browser's WebGPU, or Dawn loaded into this process. */
async function loadGPU(loadDawn: (() => Promise<unknown>) | undefined): Promise<GPU | { reason: string }> {
  try {
    return (await getGPU(loadDawn)) ?? { reason: 'this browser has no navigator.gpu' };
  } catch (error) {
    return { reason: `Dawn's 'webgpu' package could not load (${errorMessage(error)})` };
  }
}

async function findAdapter(gpu: GPU): Promise<AdapterInfo | { reason: string }> {
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
        // In this process now: WebGPU is to be used.
        const gpu = await loadGPU(options.loaders?.webgpu);
        if ('reason' in gpu) return { ok: false, reason: gpu.reason };
        const adapter = await findAdapter(gpu);
        if ('reason' in adapter) return { ok: false, reason: adapter.reason };
        await registerWebGPU(gpu);
        applyWebGPUOptions(options.webgpu);
        const attempt = await switchTo(backend, 'webgpu', async () => webgpuLimits());
        return attempt.ok ? { ok: true, choice: { ...attempt.choice, adapter } } : attempt;
      }
      case 'blas': {
        await registerBlas(options.loaders?.blas, options.wasmPaths);
        const attempt = await switchTo(backend, 'wasm', blasLimits);
        useBlas(attempt.ok);
        return attempt;
      }
      case 'wasm':
        await registerWasm(options.wasmPaths, options.wasmThreads);
        useBlas(false);
        return await withWasmThreads(options.wasmThreads, () => switchTo(backend, 'wasm', wasmLimits));
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
    blas: 'koffi',
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
