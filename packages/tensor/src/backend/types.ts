/** The backends scratchgpt can run on, in the order `auto` considers them. */
export type BackendName = 'node-gpu' | 'webgpu' | 'blas' | 'wasm' | 'cpu';

export type BackendPreference = BackendName | 'auto';

/** What the chosen device reports about itself. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software rasteriser (llvmpipe, SwiftShader, WARP): correct but slower than wasm. */
  software: boolean;
}

/** Limits that decide how tensors must be laid out on the device. */
export interface DeviceLimits {
  /** Largest tensor, in bytes, a kernel may bind as one buffer; `null` when unlimited. */
  maxBindingBytes: number | null;
  /** Largest single buffer, in bytes; `null` when unlimited. */
  maxBufferBytes: number | null;
  /** Extra figures the backend reports (WebGPU limits, wasm features). */
  details: Record<string, number | boolean | string>;
}

export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** The result of {@link initBackend}: the backend in use and why the earlier candidates were passed over. */
export interface BackendChoice {
  backend: BackendName;
  /** The name TF.js knows the backend by (`tensorflow` for node-gpu). */
  tfBackend: string;
  reason: string;
  skipped: SkippedBackend[];
  limits: DeviceLimits;
  adapter?: AdapterInfo;
}

export interface InitBackendOptions {
  /**
   * `auto` (default) ranks a hardware GPU first, then blas (Node), then wasm, then a software WebGPU
   * adapter, then cpu.
   */
  prefer?: BackendPreference;
  /**
   * Lower the per-binding limit the WebGPU guard enforces (bytes). Useful to exercise sharding and the
   * guard on a device whose real limit is large.
   */
  maxBindingBytes?: number;
  /**
   * Where the wasm backend finds its `.wasm` files, for bundled browser apps: a URL prefix, or a map from
   * each file name (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`,
   * `tfjs-backend-wasm-threaded-simd.wasm`) to its URL, as a bundler's asset imports give them.
   */
  wasmPaths?: WasmPaths;
  /**
   * Threads for TF.js's threaded wasm build, which runs only where `SharedArrayBuffer` exists: a
   * cross-origin isolated page (COOP `same-origin`, COEP `require-corp`) and its workers, never Node.
   * At most 8, the build's limit. Without it the build uses half the logical cores (its guess at the
   * physical ones). It counts only before the wasm backend first starts; `limits.details.threadCount`
   * says how many the backend runs.
   */
  wasmThreads?: number;
  /**
   * How to import Node-only packages the application installed, e.g.
   * `{ 'node-gpu': () => import('@tensorflow/tfjs-node-gpu'), webgpu: () => import('webgpu'),
   * blas: () => import('koffi') }` (blas calls the machine's BLAS through the koffi FFI).
   * Without them this package imports them by name, which under strict installs (pnpm) only finds
   * packages it can see itself.
   */
  loaders?: {
    'node-gpu'?: () => Promise<unknown>;
    webgpu?: () => Promise<unknown>;
    blas?: () => Promise<unknown>;
  };
  /**
   * Show the backends' own console output: TF.js's advice and warnings, and Dawn's driver warnings
   * while looking for an adapter. Off by default: the returned choice explains itself.
   */
  debug?: boolean;
  /** WebGPU kernel choices; the defaults can also be set by environment variables (see {@link WebGPUOptions}). */
  webgpu?: WebGPUOptions;
}

/**
 * `kernels`: 'scratchgpt' (default; `SCRATCHGPT_WEBGPU_KERNELS`) runs this package's WGSL kernels,
 * 'tfjs' TF.js's stock ones. `f16` (`SCRATCHGPT_WEBGPU_F16=1`) stages matrix-product operands as halves
 * where the device has `shader-f16`; `subgroups` (default on, `SCRATCHGPT_WEBGPU_SUBGROUPS=0` turns it
 * off) reduces rows with subgroup operations where the device has them. Sums stay fp32 throughout.
 */
export interface WebGPUOptions {
  kernels?: 'scratchgpt' | 'tfjs';
  f16?: boolean;
  subgroups?: boolean;
  /** Use the GPU layouts (workgroup-memory tiles) even on a software adapter: for tests (default false). */
  gpuLayouts?: boolean;
}

/** A URL prefix for the wasm backend's binaries, or each binary's file name mapped to its URL. */
export type WasmPaths = string | Record<string, string>;
