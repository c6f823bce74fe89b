#!/usr/bin/env node
// The `loglake` command. Runs the compiled JavaScript in dist/ (built by `npm ci` through the
// `prepare` script, in well under a second) when it is at least as new as every TypeScript source;
// otherwise, e.g. right after editing a source, runs the TypeScript through tsx, which is slower
// to start but never stale.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Folders the CLI is compiled from (scripts/build-dist.mjs). */
const SOURCES = ['cli', 'pipeline', 'parsers', 'schema', 'query', 'functions', 'infra'];

/** The compiled entry point, or null when there is none or a source is newer than it. */
function freshBuild() {
  const entry = join(ROOT, 'dist', 'cli', 'main.js');
  let built;
  try {
    built = statSync(entry).mtimeMs;
  } catch {
    return null;
  }
  for (const dir of SOURCES) {
    let names;
    try {
      names = readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.endsWith('.ts') && statSync(join(ROOT, dir, name)).mtimeMs > built) return null;
    }
  }
  if (statSync(join(ROOT, 'package.json')).mtimeMs > built) return null;
  return entry;
}

// On Node 20 the AWS SDK prints a multi-line notice that its releases from January 2027 need
// Node 22, on every command that talks to AWS. The SDK here is pinned by the lockfile, so the
// notice says nothing a user can act on today (README says which Node versions work); setting
// the variable to anything else shows it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const built = process.env.LOGLAKE_TSX === '1' ? null : freshBuild();
let cli;
if (built !== null) {
  cli = await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../cli/main.ts');
}

// `loglake formats | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await cli.main(process.argv.slice(2));
