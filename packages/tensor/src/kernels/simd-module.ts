/**
 * Our hand-written WebAssembly kernels (`*.wat`, embedded as base64) instantiated on a memory they
 * import: the wasm backend's own, so they read and write tensors where they lie. One instance per
 * memory; null where one cannot be made (no WebAssembly SIMD, or a shared memory, the threaded
 * build's heap, for a kernel with no `shared` binary: only an import declared `shared` accepts one).
 */
export function simdKernelLoader<T>(
  binaries: { plain: string; shared?: string },
  pick: (exports: WebAssembly.Exports) => T,
): (memory: WebAssembly.Memory) => T | null {
  const compiled = new WeakMap<WebAssembly.Memory, T | null>();
  return (memory) => {
    let kernel = compiled.get(memory);
    if (kernel !== undefined) return kernel;
    const base64 = isShared(memory) ? binaries.shared : binaries.plain;
    try {
      if (base64 === undefined) throw new Error('no binary for a shared memory');
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      kernel = pick(new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports);
    } catch {
      kernel = null;
    }
    compiled.set(memory, kernel);
    return kernel;
  };
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
