/**
 * The one infra test that bundles for real: the default code of the worker, of the replay
 * function, of the RDS log exporter and of the CloudWatch Logs intake, `NodejsFunction` running
 * esbuild on `functions/ingest/handler.ts`, `functions/replay/handler.ts`,
 * `functions/rds-export/handler.ts` and `functions/cwlogs/handler.ts`, is what `cdk deploy` uploads. Every other infra test passes
 * inline code because bundling is slow.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { CWLOGS_ENTRY } from '../../infra/cwlogs.js';
import { RDS_EXPORT_ENTRY } from '../../infra/rds-export.js';
import { REPLAY_ENTRY } from '../../infra/replay.js';
import { createApp } from '../../infra/stack.js';
import { WORKER_ENTRY } from '../../infra/worker.js';
import { lambdaContext } from '../helpers/notifications.js';
import { CDK_CONTEXT, MINIMAL, SYNTH_TIMEOUT_MS } from './synth.js';

/** Checks the bundled asset of a function and returns the path of its `index.mjs`. */
function checkBundle(outdir: string, template: Template, stack: Stack, fnConstruct: CfnElement): string {
  const fn = template.toJSON().Resources[stack.resolve(stack.getLogicalId(fnConstruct)) as string];
  expect(fn.Properties.Handler).toBe('index.handler');
  const key = (fn.Properties.Code as { S3Key: string }).S3Key;
  const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  const bundle = join(asset, 'index.mjs');
  expect(existsSync(bundle), `${bundle} is missing`).toBe(true);
  const code = readFileSync(bundle, 'utf8');
  expect(code.startsWith("import { createRequire as __loglakeRequire } from 'node:module';")).toBe(true);
  expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b/);
  // Everything is inside: no import of a package the Lambda runtime would have to provide. (A
  // `from` right after a quote or a dot is code, such as the string "from" of a request field.)
  const imported = [...code.matchAll(/(?<!["'.\w$])from\s*"([^"]+)"/g)].map((m) => (m[1] as string).replace(/^node:/, ''));
  expect(imported.filter((name) => !builtinModules.includes(name))).toEqual([]);
  expect(existsSync(join(asset, 'index.mjs.map'))).toBe(true);
  expect(statSync(bundle).size).toBeLessThan(10 * 1024 * 1024);
  return bundle;
}

describe('default function code', () => {
  it(
    'bundles functions/ingest/handler.ts, functions/replay/handler.ts and functions/rds-export/handler.ts with esbuild, each into one ES module asset',
    async () => {
      for (const entry of [WORKER_ENTRY, REPLAY_ENTRY, RDS_EXPORT_ENTRY, CWLOGS_ENTRY]) expect(existsSync(entry), `${entry} is missing`).toBe(true);
      const outdir = mkdtempSync(join(tmpdir(), 'loglake-bundle-'));
      const { app, stack } = createApp({ context: { ...CDK_CONTEXT, loglake: { ...MINIMAL, rdsExport: { instances: [{ identifier: 'db-1' }] }, cloudwatchLogs: { logGroups: [{ name: '/aws/lambda/x' }] } } }, outdir });
      app.synth();
      const template = Template.fromStack(stack);
      checkBundle(outdir, template, stack, stack.worker.function.node.defaultChild as CfnElement);
      const replay = checkBundle(outdir, template, stack, stack.replay.function.node.defaultChild as CfnElement);
      const rdsExport = checkBundle(outdir, template, stack, stack.rdsExport?.function.node.defaultChild as CfnElement);
      const cwlogs = checkBundle(outdir, template, stack, stack.cwlogs?.function.node.defaultChild as CfnElement);

      // The replay bundle starts cold from its environment and answers a request it cannot run.
      const env = {
        LOGLAKE_LAKE_BUCKET: 'central',
        LOGLAKE_REPLAY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/replay',
        LOGLAKE_CONTROL_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/replay-control',
        AWS_REGION: 'us-east-1',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      };
      const saved = Object.fromEntries([...Object.keys(env), 'LOGLAKE_RDS_INSTANCES', 'LOGLAKE_RDS_ACCOUNT', 'LOGLAKE_RDS_REGION', 'LOGLAKE_LOG_GROUPS'].map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      try {
        const { handler } = (await import(pathToFileURL(replay).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
        expect(await handler({ loglake: 'replay-stop', v: 1 }, lambdaContext())).toEqual({ ok: false, error: expect.stringMatching(/^invalid replay request: loglake: must be one of replay-start/) });
        // The exporter bundle starts cold from a valid environment, and refuses a bad one naming the variable.
        Object.assign(process.env, {
          LOGLAKE_RDS_INSTANCES: '[{"identifier":"db-1"}]',
          LOGLAKE_RDS_ACCOUNT: '111122223333',
          LOGLAKE_RDS_REGION: 'us-east-1',
        });
        delete process.env.LOGLAKE_CONTROL_QUEUE_URL;
        const exporter = (await import(`${pathToFileURL(rdsExport).href}?cold`)) as { handler: unknown };
        expect(typeof exporter.handler).toBe('function');
        process.env.LOGLAKE_RDS_INSTANCES = '[{"identifier":"DB_1"}]';
        await expect(import(`${pathToFileURL(rdsExport).href}?bad`)).rejects.toThrow(/LOGLAKE_RDS_INSTANCES\[0\]\.identifier: must be a DB instance identifier/);
        // The CloudWatch Logs intake bundle starts cold, acknowledges a control message and fails an event that is no payload.
        for (const k of ['LOGLAKE_RDS_INSTANCES', 'LOGLAKE_RDS_ACCOUNT', 'LOGLAKE_RDS_REGION', 'LOGLAKE_REPLAY_QUEUE_URL']) delete process.env[k];
        const intake = (await import(pathToFileURL(cwlogs).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
        const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [] };
        expect(await intake.handler({ awslogs: { data: gzipSync(JSON.stringify(control)).toString('base64') } }, lambdaContext())).toEqual({ control: true, logGroup: '', events: 0, objects: [] });
        await expect(intake.handler({ Records: [] }, lambdaContext())).rejects.toThrow(/not a CloudWatch Logs subscription event/);
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    },
    2 * SYNTH_TIMEOUT_MS,
  );
});
