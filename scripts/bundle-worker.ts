/**
 * Bundles the ingest worker the way it is deployed: one minified ES module from
 * `functions/ingest/handler.ts`, AWS SDK included (tree-shaken), with the `require` shim that
 * CommonJS dependencies need inside an ES module. The worker's bundle test and benchmark call
 * `bundleWorker`; `npx tsx scripts/bundle-worker.ts <out-dir>` writes it for inspection. The CDK
 * construct (infra/worker.ts) uses the same esbuild settings through `NodejsFunction`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The bundle written and what went into it. */
export interface WorkerBundle {
  /** Path of the ES module (`index.mjs`). */
  readonly path: string;
  readonly bytes: number;
  /** Input files by bundled bytes, largest first (from esbuild's metafile). */
  readonly largestInputs: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
}

/** Builds `functions/ingest/handler.ts` into `<outDir>/index.mjs`. */
export async function bundleWorker(outDir: string): Promise<WorkerBundle> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'index.mjs');
  const result = await build({
    entryPoints: [join(ROOT, 'functions/ingest/handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __loglakeRequire } from 'node:module'; const require = __loglakeRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output?.inputs ?? {})
    .map(([path, v]) => ({ path, bytes: v.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return { path: outfile, bytes: output?.bytes ?? 0, largestInputs: inputs.slice(0, 15) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ?? join(ROOT, 'dist/worker');
  const bundle = await bundleWorker(out);
  process.stdout.write(`${bundle.path}: ${(bundle.bytes / 1024 / 1024).toFixed(2)} MiB\n`);
  for (const i of bundle.largestInputs) process.stdout.write(`  ${(i.bytes / 1024).toFixed(0).padStart(6)} KiB  ${i.path}\n`);
}
