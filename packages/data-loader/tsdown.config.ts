import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: 'esm',
  // The main entry runs anywhere; only the `./node` entry imports Node built-ins, kept external.
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^node:/] },
});
