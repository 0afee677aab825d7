import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation: with these two headers the page and its worker get `SharedArrayBuffer`, so
 * TF.js's threaded wasm build trains on every core. `require-corp` rather than `credentialless`: every
 * browser with threads has it, and the page loads nothing cross-origin without CORS (the Hub's files
 * and `scratchgpt serve` are CORS fetches, which `require-corp` allows). public/_headers says the same
 * to static hosts.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * TF.js starts each wasm thread from the text of its Emscripten factory (`factory.toString()` in a
 * Blob), so that function must not read variables of the scope around it. It does once, behind a
 * `typeof _scriptDir !== "undefined"` guard the minifier turns into a plain read, which throws in every
 * thread. In the page's worker `_scriptDir` is always undefined (no document, no `__filename`), so the
 * guard is replaced by its value there, `false`, before minifying.
 */
function selfContainedWasmThreads(): Plugin {
  const guard = 'typeof _scriptDir !== "undefined" && _scriptDir';
  return {
    name: 'scratchgpt:self-contained-wasm-threads',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      if (!code.includes(guard)) {
        this.error(`${id} no longer reads _scriptDir as expected: check how its threads start when minified`);
      }
      return { code: code.replace(guard, 'false'), map: null };
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the static build works from any folder it is served from.
  base: './',
  // The workspace packages compile from their TypeScript sources, so `dev` needs no package build.
  resolve: { conditions: ['@scratchgpt/source', ...defaultClientConditions] },
  // The worker loads TF.js backends with dynamic imports, which need an ES module worker.
  worker: { format: 'es', plugins: () => [selfContainedWasmThreads()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
});
