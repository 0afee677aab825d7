import { defineConfig } from 'tsdown';

export default defineConfig({
  // `node` (checkpoint directories on disk) is a separate entry so the main one stays browser-safe;
  // built together, both share one copy of the model code.
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^node:/] },
});
