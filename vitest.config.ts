import { defineConfig } from 'vitest/config';

// One command runs every package and app; each also runs alone with `pnpm --filter <name> test`.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
