import { defineProject } from 'vitest/config';

/**
 * The settings every package's vitest project shares.
 *
 * Workspace packages resolve to their TypeScript sources (the `@scratchgpt/source` export condition),
 * so one package tests without building the others. tfjs-core's gradient registrations ship only as
 * extension-less ESM, which Node cannot load; letting Vite inline those files mirrors what the
 * published build does (it bundles them).
 */
export function sharedProject(name: string, overrides: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions: ['@scratchgpt/source'] },
    ssr: { resolve: { conditions: ['@scratchgpt/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      server: {
        deps: {
          inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/],
        },
      },
    },
  });
}
