/**
 * Our kernels in TF.js's kernel registry. Each kernel file exports one config in the shape of TF.js's
 * `KernelConfig` (as TF.js's own backends do), and each backend has one list of them that its
 * `registerAll…Kernels` registers: `wasm/register-all.ts`, `blas/register-all.ts`,
 * `webgpu/register-all.ts`.
 */
import { tf } from '../tf.js';

/** What TF.js passes a kernel function: its inputs, the backend, its attributes. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Given the kernel function a backend has registered, returns the one to register in its place. */
export type KernelWrapper = (original: tf.KernelFunc) => tf.KernelFunc;

/** A kernel of our own: one TF.js lacks, a fused kernel of ours, or a replacement for TF.js's. */
export interface OwnKernelConfig extends tf.KernelConfig {
  /** Register only where the backend has no kernel of this name (default: ours replaces it). */
  onlyWhereMissing?: boolean;
}

/** A wrapper around the kernel the backend has registered, which stays its fallback. */
export interface WrapperKernelConfig {
  kernelName: string;
  backendName: string;
  wrap: KernelWrapper;
}

export type KernelPatch = OwnKernelConfig | WrapperKernelConfig;

/**
 * Replaces the kernel `name` registered for `backend` by `wrap(its kernel function)`, keeping the rest
 * of its config (its setup: a wasm kernel's bindings). Returns the function it replaced, or undefined
 * where the backend has no such kernel (nothing changes then).
 */
export function replaceKernel(backend: string, name: string, wrap: KernelWrapper): tf.KernelFunc | undefined {
  const kernel = tf.getKernel(name, backend);
  if (kernel == null) return undefined;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...kernel, kernelFunc: wrap(kernel.kernelFunc) });
  return kernel.kernelFunc;
}

/** Registers one config: a wrapper around the registered kernel, or our own kernel in place of any. */
export function registerPatch(config: KernelPatch): void {
  if ('wrap' in config) {
    replaceKernel(config.backendName, config.kernelName, config.wrap);
    return;
  }
  const { onlyWhereMissing, ...kernel } = config;
  if (tf.getKernel(kernel.kernelName, kernel.backendName) != null) {
    if (onlyWhereMissing) return;
    tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  }
  tf.registerKernel(kernel);
}

/** Removes the kernel `name` of `backend`, if there is one. */
export function unregisterIfPresent(backend: string, name: string): void {
  if (tf.getKernel(name, backend) != null) tf.unregisterKernel(name, backend);
}
