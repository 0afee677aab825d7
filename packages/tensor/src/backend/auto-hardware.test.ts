/**
 * `auto` ranks a hardware WebGPU adapter above wasm. No hardware adapter exists here, so Dawn is replaced
 * by a stand-in offering one (an NVIDIA H200) whose device then fails to start: `auto` must try it
 * before the CPU backends, and fall back to the next (blas where OpenBLAS is, else wasm) saying why.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.js';

const navigatorBefore = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterAll(() => {
  // The stand-in must not outlive this file.
  if (navigatorBefore) Object.defineProperty(globalThis, 'navigator', navigatorBefore);
  else Reflect.deleteProperty(globalThis, 'navigator');
});

const hardwareAdapter = {
  info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' },
  features: new Set<string>(),
  limits: {},
  requestDevice: () => Promise.reject(new Error('the stand-in has no device')),
};
const standInDawn = {
  globals: {},
  create: () => ({ requestAdapter: async () => hardwareAdapter }),
};

describe('auto with a hardware WebGPU adapter', () => {
  it('tries WebGPU on it before the CPU backends', async () => {
    const choice = await initBackend({ loaders: { webgpu: async () => standInDawn } });
    const webgpu = choice.skipped.find((skipped) => skipped.backend === 'webgpu');
    // Tried, not ranked below wasm: it failed only because the stand-in cannot make a device.
    expect(webgpu?.reason).toMatch(/could not initialise it \(the stand-in has no device\)/);
    expect(webgpu?.reason).not.toMatch(/ranks below wasm/);
    expect(choice.skipped.map((skipped) => skipped.backend)).toEqual(['node-gpu', 'webgpu']);
    expect(['blas', 'wasm']).toContain(choice.backend);
  });
});
