import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real audio through real ffmpeg and ONNX on a 2-core machine: give I/O-heavy tests room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits on real processes and a real browser beside the rest of the suite: 1 s
    // (vitest's default) is too short on a busy 2-core machine.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    maxWorkers: 2,
  },
})
