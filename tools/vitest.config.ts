import { defineConfig } from 'vitest/config';

/**
 * The repository checks run after every package's suite, one file at a time: they pack the packages,
 * install them in fresh npm projects and run the README commands, which rebuild packages the other
 * suites read.
 */
export default defineConfig({
  test: {
    name: 'tools',
    include: ['packed/**/*.test.ts', 'readme/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 600_000,
  },
});
