import { defineConfig } from 'vitest/config';

// Benchmarks that need the TypeScript test fakes run through vitest; they print figures, assert nothing
// about speed, and are never part of `npm test`.
export default defineConfig({
  test: { include: ['bench/**/*.bench.ts'], testTimeout: 600_000, pool: 'forks', reporters: ['verbose'] },
});
