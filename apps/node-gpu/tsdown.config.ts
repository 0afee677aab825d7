import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  fixedExtension: false,
  sourcemap: true,
  // The @scratchgpt packages and TF.js resolve from node_modules at run time.
  deps: { neverBundle: [/^@scratchgpt\//, /^@tensorflow\//, 'webgpu', 'js-tiktoken'] },
});
