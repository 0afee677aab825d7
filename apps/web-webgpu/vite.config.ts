import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the static build works from any folder it is served from.
  base: './',
  // The workspace packages compile from their TypeScript sources, so `dev` needs no package build.
  resolve: { conditions: ['@scratchgpt/source', ...defaultClientConditions] },
  // The worker loads TF.js backends with dynamic imports, which need an ES module worker.
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
