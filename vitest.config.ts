import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // e2e tests spawn the built daemon; they share the two cores with everything else.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
