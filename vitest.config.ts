import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests build venvs and run real interpreters; give them room.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
