import { defineConfig } from 'vitest/config';

/** Test files that synthesize the CDK app (see test/infra/synth.ts). */
const INFRA = 'test/infra/**/*.test.ts';
/** Test files of the Lambda worker, some of which run its esbuild bundle. */
const WORKER = 'test/functions/**/*.test.ts';

export default defineConfig({
  test: {
    // No top-level `include`: a project's `include` would be appended to it (`extends: true`).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'infra',
          include: [INFRA],
          // The infra files only read synthesized stacks, so they share worker processes and with
          // them the module-level memo of synth(): each configuration is synthesized once per
          // worker instead of once per file, and aws-cdk-lib is loaded once.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'worker',
          include: [WORKER],
          // esbuild runs once per run; the files read the bundle through inject('workerBundle').
          globalSetup: ['test/setup/worker-bundle.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'rest',
          include: ['test/**/*.test.ts'],
          exclude: [INFRA, WORKER],
        },
      },
    ],
  },
});
