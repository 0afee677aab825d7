import { defineConfig, type UserConfig } from 'tsdown';

/**
 * How every package builds: ESM that runs anywhere (Node-only code sits behind a `./node` entry whose
 * `node:` imports stay external), with type declarations and source maps.
 */
export function packageBuild(entry: Record<string, string>, overrides: UserConfig = {}) {
  return defineConfig({
    entry,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    deps: { neverBundle: [/^node:/] },
    ...overrides,
  });
}
