/**
 * The deployed artifact, not the TypeScript sources: the handler is bundled with esbuild exactly
 * as for Lambda (minified ES module, SDK included) and that bundle processes real messages
 * against a local S3 server, so a bundling mistake fails here rather than in Lambda.
 */
import { pathToFileURL } from 'node:url';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parser as cloudtrail } from '../../../parsers/cloudtrail.js';
import { objectId } from '../../../pipeline/run/identity.js';
import type { WorkerBundle } from '../../../scripts/bundle-worker.js';
import { lambdaContext, s3Event, sqsEvent, sqsRecord } from '../../helpers/notifications.js';

const sqsRecordEvent = (body: string): SQSEvent => ({ Records: [sqsRecord(body)] });
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { queryLake, readManifest, scratchDir, trailFile, trailKey } from '../../helpers/worker.js';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

let s3: LocalS3;
let bundle: WorkerBundle;
let dir: ReturnType<typeof scratchDir>;
let imports = 0;
const savedEnv = { ...process.env };

/** Imports a fresh copy of the bundle with `env` as the function's environment (config loads at import). */
async function coldStart(env: Record<string, string>): Promise<{ handler: Handler }> {
  for (const k of Object.keys(process.env)) if (k.startsWith('LOGLAKE_')) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  return (await import(`${pathToFileURL(bundle.path).href}?cold=${++imports}`)) as { handler: Handler };
}

beforeAll(async () => {
  dir = scratchDir();
  // Bundled once per run by test/setup/worker-bundle.ts.
  bundle = inject('workerBundle');
  s3 = await startLocalS3();
  await s3.createBucket('bundle-source');
  await s3.createBucket('bundle-lake');
});
afterAll(async () => {
  process.env = savedEnv;
  await s3.stop();
  dir.remove();
});

describe('esbuild bundle of functions/ingest/handler.ts', () => {
  it('is a single minified module well under 3 MB without DuckDB or the CDK', () => {
    expect(bundle.bytes).toBeGreaterThan(100_000);
    expect(bundle.bytes).toBeLessThan(3 * 1024 * 1024);
    const paths = bundle.largestInputs.map((i) => i.path).join('\n');
    expect(paths).not.toMatch(/duckdb|aws-cdk-lib/);
  });

  it('processes a batch against an S3-compatible endpoint and reports the poison message only', async () => {
    const { handler } = await coldStart({ LOGLAKE_LAKE_BUCKET: 'bundle-lake', LOGLAKE_S3_ENDPOINT: s3.endpoint, LOGLAKE_ARCHIVE_RAW: 'true' });
    const key = trailKey('bundled');
    await s3.put('bundle-source', key, trailFile(5));
    const response = await handler({ Records: [sqsRecord(s3Event('bundle-source', [key])), sqsRecord('{"not":"a notification"}', 'poison')] }, lambdaContext());
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    expect(await queryLake(s3, 'bundle-lake', 'SELECT count(*) AS n, min(parser_version) AS v FROM events')).toEqual([{ n: '5', v: `cloudtrail@${cloudtrail.version}` }]);
    expect(await readManifest(s3, 'bundle-lake', 'cloudtrail', objectId({ bucket: 'bundle-source', key }))).toMatchObject({ status: 'ok', records: 5 });
    expect((await s3.list('bundle-lake', 'raw/')).length).toBe(1);
  });

  it('runs batches on worker threads started from the bundle itself (LOGLAKE_THREADS)', async () => {
    const threadsNow = (): number => (process.report.getReport() as { workers: unknown[] }).workers.length;
    const before = threadsNow();
    const rows = async (threads: string, prefix: string): Promise<unknown> => {
      const { handler } = await coldStart({ LOGLAKE_LAKE_BUCKET: 'bundle-lake', LOGLAKE_S3_ENDPOINT: s3.endpoint, LOGLAKE_THREADS: threads, LOGLAKE_ROW_GROUP_ROWS: '40' });
      const key = trailKey(`threads-${prefix}`);
      await s3.put('bundle-source', key, trailFile(400));
      expect(await handler(sqsRecordEvent(s3Event('bundle-source', [key])), lambdaContext())).toEqual({ batchItemFailures: [] });
      expect(await readManifest(s3, 'bundle-lake', 'cloudtrail', objectId({ bucket: 'bundle-source', key }))).toMatchObject({ status: 'ok', lines_in: 400, records: 400 });
      return queryLake(s3, 'bundle-lake', `SELECT ordinal, action, resource, fields FROM events WHERE object LIKE '%threads-${prefix}%' ORDER BY ordinal`);
    };
    const one = await rows('1', 'one');
    expect(threadsNow()).toBe(before);
    const two = await rows('2', 'two');
    // ten batches of 40 records went to two worker threads of the bundled module
    expect(threadsNow()).toBe(before + 2);
    expect(two).toEqual(one);
  });

  it('refuses to cold-start with an invalid variable, naming it', async () => {
    await expect(coldStart({ LOGLAKE_LAKE_BUCKET: 'bundle-lake', LOGLAKE_ARCHIVE_RAW: 'yes' })).rejects.toThrow('LOGLAKE_ARCHIVE_RAW: must be true or false, got "yes"');
    await expect(coldStart({ LOGLAKE_LAKE_BUCKET: 'bundle-lake', LOGLAKE_ROUTING_RULES: '{"rules":[{"prefix":"x/","format":"nope"}]}' })).rejects.toThrow(
      'LOGLAKE_ROUTING_RULES: rules[0].format: unknown format "nope"',
    );
    const { handler } = await coldStart({ LOGLAKE_LAKE_BUCKET: 'bundle-lake', LOGLAKE_S3_ENDPOINT: s3.endpoint });
    expect((await handler(sqsEvent('{}'), lambdaContext())).batchItemFailures).toHaveLength(1);
  });
});
