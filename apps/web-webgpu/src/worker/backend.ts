/**
 * Starts TF.js in the worker. `auto` uses `@scratchgpt/tensor`'s ranking, the CLI's: a hardware WebGPU
 * adapter first, then wasm, then a software adapter (SwiftShader), which is correct but slower than
 * wasm. `webgpu` or `wasm` asked for by name are used as asked where they can start. wasm runs TF.js's
 * threaded build on every core where the page is cross-origin isolated (its server sends COOP and
 * COEP), which is what gives a worker `SharedArrayBuffer`; elsewhere it runs on one thread.
 */
import { type BackendChoice, initBackend, probeWebGPU, type WasmPaths } from '@scratchgpt/tensor';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendRequest, KernelRequest } from '../protocol.js';

// The bundler gives each binary its own hashed URL.
const wasmPaths: WasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

const isolated = globalThis.crossOriginIsolated === true;

/** One thread per logical core unless told; without isolation TF.js runs its one-thread build anyway. */
function wasmOptions(threads: number | null) {
  return isolated
    ? { wasmPaths, wasmThreads: threads ?? (navigator.hardwareConcurrency || 1) }
    : { wasmPaths };
}

export interface StartedBackend {
  choice: BackendChoice;
  /** Why the backend is not the one asked for, if it is not. */
  note: string | null;
  /** The other backend the page can offer, where it exists here. */
  alternative: BackendRequest | null;
}

export async function startBackend(
  prefer: BackendRequest,
  kernels: KernelRequest = 'scratchgpt',
  threads: number | null = null,
): Promise<StartedBackend> {
  const webgpu = { kernels };
  const wasm = wasmOptions(threads);
  if (prefer === 'webgpu') {
    try {
      const choice = await initBackend({ prefer: 'webgpu', webgpu });
      return { choice, note: null, alternative: 'wasm' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const choice = await initBackend({ prefer: 'wasm', ...wasm });
      return {
        choice,
        note: `WebGPU is unavailable here, so training runs on wasm (${reason})`,
        alternative: null,
      };
    }
  }
  const choice = await initBackend({ prefer, ...wasm, webgpu });
  const webgpuFound = !('reason' in (await probeWebGPU()));
  const alternative = choice.backend === 'webgpu' ? 'wasm' : webgpuFound ? 'webgpu' : null;
  return { choice, note: null, alternative };
}

/** The device in words: the WebGPU adapter, or what the wasm build can use. */
export function deviceDescription(choice: BackendChoice): string | null {
  if (choice.backend === 'wasm') {
    const { simd, threads, threadCount } = choice.limits.details;
    return `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? threadsInWords(Number(threadCount)) : oneThread()}`;
  }
  const adapter = choice.adapter;
  if (adapter == null) return null;
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].join(' ').trim();
  return `${name || 'unnamed adapter'}${adapter.software ? ' (software)' : ''}`;
}

function threadsInWords(count: number): string {
  return `multi-threaded (${count} thread${count === 1 ? '' : 's'})`;
}

/** One thread, and why where the reason is the server's. */
function oneThread(): string {
  return isolated
    ? 'one thread'
    : 'one thread (not cross-origin isolated: the server does not send COOP/COEP)';
}
