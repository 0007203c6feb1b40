#!/usr/bin/env -S node --single-threaded-gc
// --single-threaded-gc: V8 collects each thread's garbage on that thread, with no helper threads.
// The worker pool is sized to the cores, so helpers only take CPU from the workers (bench/README.md).
// A V8 flag cannot be set from here (changing it after start-up aborts V8) nor in NODE_OPTIONS: it
// rides on the command line, here and in package.json's scripts.
// Runs the TypeScript sources directly through tsx: no build step between a clone and a first run.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
