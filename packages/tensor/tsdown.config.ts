import { packageBuild } from '../../tsdown.shared.js';

export default packageBuild(
  { index: 'src/index.ts', conformance: 'src/conformance/index.ts', testing: 'src/testing.ts' },
  {
    // No source maps: the bundled tfjs-core gradients would make them megabytes; src/ ships instead.
    sourcemap: false,
    // tfjs-core's gradient registrations exist only as extension-less ESM that Node cannot load:
    // bundle them (they share tfjs-core's global engine and registries), keep the rest external.
    deps: { alwaysBundle: [/^@tensorflow\/tfjs-core\/dist\//] },
  },
);
