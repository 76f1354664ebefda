import { defineConfig } from 'vitest/config';

// Integration suites start real servers with worker threads running ONNX Runtime on a 2-core machine:
// run files one at a time so their timing (and the event-loop lag bound) is not distorted by each other.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
