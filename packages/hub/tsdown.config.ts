import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', testing: 'src/testing.ts' },
  format: 'esm',
  // The main entry runs anywhere (fetch, Web Crypto, Cache Storage); `./node` and `./testing` import
  // Node built-ins, kept external.
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  deps: { neverBundle: [/^node:/] },
});
