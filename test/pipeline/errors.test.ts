/**
 * Error names as the deployed worker sees them. The Lambda bundle is minified by esbuild, which
 * renames classes, so a name taken from the class (`new.target.name`, `constructor.name`) turns
 * into `e` or `t` in logs and stack traces. The error modules are bundled and minified here the
 * same way, then run in a child process.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INGEST_METRICS } from '../../functions/ingest/env-names.js';
import { tempDir } from '../helpers/lake.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Constructs one error of each class and prints what logs and metrics would show of it. */
const ENTRY = `
import { ConfigError, LoglakeError, MessageError, ObjectError, TransientError } from './pipeline/run/errors.js';
import { classifyAwsError } from './pipeline/storage/aws-errors.js';
import { errorClass } from './functions/ingest/telemetry.js';
import { UsageError } from './cli/args.js';

const errors = {
  LoglakeError: new LoglakeError('some_code', 'm'),
  ObjectError: new ObjectError('unreadable', 'm'),
  TransientError: new TransientError('throttled', 'm'),
  MessageError: new MessageError('invalid_json', 'm'),
  ConfigError: new ConfigError('invalid_option', 'm'),
  UsageError: new UsageError('m'),
  SlowDown: classifyAwsError(Object.assign(new Error('m'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }), 'w'),
};
const out = {};
for (const [k, e] of Object.entries(errors)) {
  out[k] = { name: e.name, head: e.stack.split('\\n')[0], text: String(e), metric: errorClass(e).metric };
}
process.stdout.write(JSON.stringify(out));
`;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe('error classes', () => {
  it('keep their literal names, stack headers and metric classes when minified by esbuild', async () => {
    const result = await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true,
      minify: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text ?? '';
    // The premise of the test: minification did rename the classes.
    expect(code).not.toMatch(/class ObjectError\b/);
    const file = join(dir.path, 'entry.mjs');
    writeFileSync(file, code);
    const seen = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as Record<string, { name: string; head: string; text: string; metric: string }>;
    const metric: Record<string, string> = {
      LoglakeError: INGEST_METRICS.internalErrors,
      ObjectError: INGEST_METRICS.objectErrors,
      TransientError: INGEST_METRICS.transientErrors,
      MessageError: INGEST_METRICS.messageErrors,
      ConfigError: INGEST_METRICS.internalErrors,
      UsageError: INGEST_METRICS.internalErrors,
    };
    for (const [name, m] of Object.entries(metric)) {
      expect(seen[name], name).toEqual({ name, head: `${name}: m`, text: `${name}: m`, metric: m });
    }
    expect(seen.SlowDown).toMatchObject({ name: 'TransientError', metric: INGEST_METRICS.transientErrors });
  });
});
