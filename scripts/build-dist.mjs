// Compiles the TypeScript the command line runs (cli/ and what it imports) into dist/, one .js
// file per .ts file in the same layout as `tsc -p tsconfig.build.json`. esbuild only strips
// types (no type check: that is `npm run typecheck`), so this takes well under a second and runs
// as the `prepare` script of `npm ci` / `npm install`. bin/loglake.js runs dist/ while it is at
// least as new as every source and falls back to tsx otherwise.
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['cli', 'pipeline', 'parsers', 'schema', 'query', 'functions', 'infra'];
const OUT = join(ROOT, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install without dev dependencies: bin/loglake.js runs the sources through tsx.
  process.stderr.write('build-dist: esbuild is not installed; loglake will run through tsx\n');
  process.exit(0);
}

// Sources read before this instant: an edit made while the build runs leaves dist/ older than it.
const started = new Date();
const entryPoints = SOURCES.flatMap((dir) =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, dir, f)),
);
for (const dir of SOURCES) rmSync(join(OUT, dir), { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir: OUT,
  outbase: ROOT,
  format: 'esm',
  platform: 'node',
  // Node 20.10 is the first with import attributes (`with { type: 'json' }`), which the sources use.
  target: 'node20.10',
  logLevel: 'warning',
});
// Imports of ../package.json (the version) resolve inside dist/.
mkdirSync(OUT, { recursive: true });
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
writeFileSync(join(OUT, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, private: true }, null, 2)}\n`);
utimesSync(join(OUT, 'cli', 'main.js'), started, started);
