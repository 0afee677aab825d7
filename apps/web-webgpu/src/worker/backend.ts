/**
 * Starts TF.js in the worker: WebGPU when asked and the browser has it, else wasm, saying why. A
 * software adapter (SwiftShader) is used when WebGPU is asked for: the page shows which one it got.
 */
import { type BackendChoice, initBackend, type WasmPaths } from '@scratchgpt/tensor';
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

export interface StartedBackend {
  choice: BackendChoice;
  /** Why the backend is not the one asked for, if it is not. */
  note: string | null;
}

export async function startBackend(
  prefer: BackendRequest,
  kernels: KernelRequest = 'scratchgpt',
): Promise<StartedBackend> {
  if (prefer === 'wasm') return { choice: await initBackend({ prefer: 'wasm', wasmPaths }), note: null };
  try {
    return { choice: await initBackend({ prefer: 'webgpu', webgpu: { kernels } }), note: null };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      choice: await initBackend({ prefer: 'wasm', wasmPaths }),
      note: `WebGPU is unavailable here, so training runs on wasm (${reason})`,
    };
  }
}

/** The device in words: the WebGPU adapter, or what the wasm build can use. */
export function deviceDescription(choice: BackendChoice): string | null {
  if (choice.backend === 'wasm') {
    const { simd, threads } = choice.limits.details;
    return `${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'multi-threaded' : 'one thread'}`;
  }
  const adapter = choice.adapter;
  if (adapter == null) return null;
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].join(' ').trim();
  return `${name || 'unnamed adapter'}${adapter.software ? ' (software)' : ''}`;
}
