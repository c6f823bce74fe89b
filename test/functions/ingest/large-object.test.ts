/**
 * A 300 MB object streamed through the handler with flat memory: generated on the fly into the
 * local S3 server (never committed, never held whole) and processed by the bundled handler in a
 * child process whose heap is capped as in a small Lambda. An uncapped V8 heap grows lazily with
 * garbage when the machine has memory to spare, so the cap is what proves nothing is retained;
 * the child's peak RSS then bounds the buffers outside the heap too.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WORKER_NODE_OPTIONS } from '../../../infra/worker.js';
import { objectId } from '../../../pipeline/run/identity.js';
import type { WorkerBundle } from '../../../scripts/bundle-worker.js';
import { s3Event, sqsEvent } from '../../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { queryLake, readManifest, scratchDir, trailEvent } from '../../helpers/worker.js';

const MiB = 1024 * 1024;
const TARGET_BYTES = 300 * MiB;

/** A CloudTrail data event of about 4 KB (large request parameters, as S3 and KMS events have). */
function bigEvent(i: number): string {
  const filler = `${i.toString(36)}-${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3)}`.repeat(32).slice(0, 3600);
  const time = `2024-05-01T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`;
  return JSON.stringify(trailEvent(i, { eventTime: time, requestParameters: { bucketName: 'data', key: `k/${i}`, note: filler } }));
}

/** `{"Records":[…]}` of about `bytes` bytes, yielded in 1 MiB pieces; returns the event count through `count`. */
async function* cloudTrailBody(bytes: number, count: { n: number }): AsyncGenerator<Buffer> {
  yield Buffer.from('{"Records":[');
  let written = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  while (written < bytes) {
    const e = (count.n > 0 || batch.length > 0 ? ',' : '') + bigEvent(++count.n);
    batch.push(e);
    batchBytes += e.length;
    written += e.length;
    if (batchBytes >= MiB) {
      yield Buffer.from(batch.join(''));
      batch = [];
      batchBytes = 0;
    }
  }
  yield Buffer.from(`${batch.join('')}]}`);
}

let s3: LocalS3;
let dir: ReturnType<typeof scratchDir>;
let bundle: WorkerBundle;
beforeAll(async () => {
  dir = scratchDir();
  // Bundled once per run by test/setup/worker-bundle.ts.
  bundle = inject('workerBundle');
  s3 = await startLocalS3();
  await s3.createBucket('big-source');
  await s3.createBucket('big-lake');
});
afterAll(async () => {
  await s3.stop();
  dir.remove();
});

/**
 * Runs the bundled handler on one SQS event in a child process whose V8 heap is capped like a
 * small Lambda's, and reports its memory: `baseRss` after the cold start, `peakRss` over its life.
 */
async function runCapped(event: SQSEvent, env: Record<string, string>, heapMiB: number): Promise<{ response: unknown; baseRss: number; peakRss: number }> {
  const script = `
    const { handler } = await import(process.env.BUNDLE_URL);
    const baseRss = process.memoryUsage().rss;
    const context = { getRemainingTimeInMillis: () => 900000, functionName: 'loglake-ingest', awsRequestId: 'r-1' };
    const response = await handler(JSON.parse(process.env.SQS_EVENT), context);
    process.stdout.write(JSON.stringify({ response, baseRss, peakRss: process.resourceUsage().maxRSS * 1024 }) + '\\n');
  `;
  // The worker's flags as the stack sets them (NODE_OPTIONS), with the heap of a small function.
  const flags = WORKER_NODE_OPTIONS.split(' ');
  const child = spawn(process.execPath, [...flags, `--max-old-space-size=${heapMiB}`, '--no-warnings', '--input-type=module', '-e', script], {
    env: {
      ...process.env,
      ...env,
      BUNDLE_URL: pathToFileURL(bundle.path).href,
      SQS_EVENT: JSON.stringify(event),
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`handler process exited with ${code}: ${err.slice(-2000)}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as { response: unknown; baseRss: number; peakRss: number };
}

describe('a 300 MB object', () => {
  it('streams through the bundled handler within a 128 MiB heap, with flat memory and every record written', async () => {
    const key = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1010Z_big.json';
    const count = { n: 0 };
    await s3.putStream('big-source', key, cloudTrailBody(TARGET_BYTES, count));

    // Row groups of 5,000 rows: with ~8 KB per row (raw plus fields) the default 20,000 would
    // buffer 160 MB of rows by design, which is the writer's bound, not the stream's.
    // One thread, as the stack sets it for a function below 3,538 MB (infra/worker.ts workerThreads):
    // each worker thread adds its own heap and batches in flight (bench/README.md).
    const env = { LOGLAKE_LAKE_BUCKET: 'big-lake', LOGLAKE_S3_ENDPOINT: s3.endpoint, LOGLAKE_ROW_GROUP_ROWS: '5000', LOGLAKE_THREADS: '1' };
    const { response, baseRss, peakRss } = await runCapped(sqsEvent(s3Event('big-source', [key])), env, 128);
    expect(response).toEqual({ batchItemFailures: [] });
    const manifest = await readManifest(s3, 'big-lake', 'cloudtrail', objectId({ bucket: 'big-source', key }));
    expect(manifest).toMatchObject({ status: 'ok', records: count.n, rejected: 0, lines_in: count.n });
    expect(manifest?.bytes_in).toBeGreaterThanOrEqual(TARGET_BYTES);
    // Buffering the object would add 300 MiB (and its rows far more), beyond the heap cap too.
    const growthMiB = (peakRss - baseRss) / MiB;
    process.stderr.write(`large object: ${count.n} records, RSS after cold start ${(baseRss / MiB).toFixed(0)} MiB, peak ${(peakRss / MiB).toFixed(0)} MiB\n`);
    expect(growthMiB, `RSS grew by ${growthMiB.toFixed(0)} MiB`).toBeLessThan(224);
    expect(await queryLake(s3, 'big-lake', 'SELECT count(*) AS n, count(DISTINCT ordinal) AS ordinals FROM events')).toEqual([{ n: String(count.n), ordinals: String(count.n) }]);
  }, 240_000);

  it('runs its batches on worker threads in a process started with -e and a heap flag (flags a thread refuses are not passed on)', async () => {
    const key = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1010Z_threads.json';
    const count = { n: 0 };
    await s3.putStream('big-source', key, cloudTrailBody(30 * MiB, count));
    const env = { LOGLAKE_LAKE_BUCKET: 'big-lake', LOGLAKE_S3_ENDPOINT: s3.endpoint, LOGLAKE_THREADS: '2' };
    const { response } = await runCapped(sqsEvent(s3Event('big-source', [key])), env, 256);
    expect(response).toEqual({ batchItemFailures: [] });
    const manifest = await readManifest(s3, 'big-lake', 'cloudtrail', objectId({ bucket: 'big-source', key }));
    expect(manifest).toMatchObject({ status: 'ok', records: count.n, rejected: 0 });
  }, 120_000);
});
