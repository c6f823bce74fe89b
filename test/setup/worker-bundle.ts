/**
 * Global setup of the worker tests: bundles `functions/ingest/handler.ts` with esbuild once per
 * run (the same `bundleWorker` as the benchmark and `scripts/bundle-worker.ts`) and hands the
 * result to the test files through `inject('workerBundle')`, instead of every file that tests the
 * deployed artifact running esbuild over the AWS SDK again. The bundle is read-only for the tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { bundleWorker, type WorkerBundle } from '../../scripts/bundle-worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The worker bundled once for the whole run (see test/setup/worker-bundle.ts). */
    workerBundle: WorkerBundle;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-bundle-once-'));
  const bundle = await bundleWorker(dir);
  project.provide('workerBundle', bundle);
  return () => rmSync(dir, { recursive: true, force: true });
}
