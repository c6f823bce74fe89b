/**
 * The one infra test that bundles for real: the default worker code, `NodejsFunction` running
 * esbuild on `functions/ingest/handler.ts`, is what `cdk deploy` uploads. Every other infra test
 * passes inline code because bundling is slow.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../infra/stack.js';
import { WORKER_ENTRY } from '../../infra/worker.js';
import { CDK_CONTEXT, MINIMAL, SYNTH_TIMEOUT_MS } from './synth.js';

const missing = !existsSync(WORKER_ENTRY);

describe('default worker code', () => {
  it(
    'bundles functions/ingest/handler.ts with esbuild into one ES module asset',
    () => {
      expect(missing, `${WORKER_ENTRY} is missing`).toBe(false);
      const outdir = mkdtempSync(join(tmpdir(), 'loglake-bundle-'));
      const { app, stack } = createApp({ context: { ...CDK_CONTEXT, loglake: MINIMAL }, outdir });
      app.synth();
      const template = Template.fromStack(stack);
      const fn = template.toJSON().Resources[stack.resolve(stack.getLogicalId(stack.worker.function.node.defaultChild as CfnElement)) as string];
      expect(fn.Properties.Handler).toBe('index.handler');
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      const bundle = join(asset, 'index.mjs');
      expect(existsSync(bundle), `${bundle} is missing`).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as __loglakeRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b/);
      // Everything is inside: no import of a package the Lambda runtime would have to provide.
      const imported = [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => (m[1] as string).replace(/^node:/, ''));
      expect(imported.filter((name) => !builtinModules.includes(name))).toEqual([]);
      expect(existsSync(join(asset, 'index.mjs.map'))).toBe(true);
      expect(statSync(bundle).size).toBeLessThan(10 * 1024 * 1024);
    },
    2 * SYNTH_TIMEOUT_MS,
  );
});
