/**
 * The ingest worker end to end: the Lambda handler (worker.ts, as handler.ts builds it) against
 * a local S3-API server (s3rver in its own process, so peak RSS is the worker's), SQS batches of
 * 10 messages, outputs uploaded to the central bucket. Scenarios: many small ALB objects (the
 * common case: objects/s), one large CloudTrail object (MiB/s). Then the deployed bundle: its
 * minified size and the time to import it (cold start). `npm run bench -- worker`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { loadWorkerConfig } from '../functions/ingest/config.js';
import { createIngestHandler, type IngestHandler } from '../functions/ingest/worker.js';
import { createS3Client } from '../pipeline/storage/aws-clients.js';
import { parserById } from '../pipeline/route/route.js';
import { bundleWorker } from '../scripts/bundle-worker.js';
import { lambdaContext, s3Event, sqsRecord } from '../test/helpers/notifications.js';
import { accessLogFile } from './gen-access-logs.js';
import { cloudTrailFile } from './gen-cloudtrail.js';
import { main, MiB, scenario } from './lib.js';

const SMALL_OBJECTS = 300;
const SMALL_GZ_BYTES = 20 * 1024;
const LARGE_MIB = 256;
const BATCH = 10;

/** s3rver in a child process; resolves with its endpoint. */
async function startServer(): Promise<{ endpoint: string; child: ChildProcess }> {
  const helper = pathToFileURL(fileURLToPath(new URL('../test/helpers/s3.ts', import.meta.url))).href;
  const script = `const { startLocalS3 } = await import(${JSON.stringify(helper)}); const s3 = await startLocalS3(); process.stdout.write(s3.endpoint + '\\n');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--no-warnings', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { endpoint: line.toString().trim(), child };
}

function quietHandler(endpoint: string, client: S3Client): IngestHandler {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const config = loadWorkerConfig({ LOGLAKE_LAKE_BUCKET: 'lake', LOGLAKE_S3_ENDPOINT: endpoint });
  return createIngestHandler({ config, s3: client, requeue: null, logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Loglake' }) });
}

async function withServer<T>(fn: (endpoint: string, client: S3Client) => Promise<T>): Promise<T> {
  const { endpoint, child } = await startServer();
  const client = createS3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    for (const b of ['src', 'lake']) await client.send(new CreateBucketCommand({ Bucket: b }));
    return await fn(endpoint, client);
  } finally {
    client.destroy();
    child.kill();
  }
}

/** Runs messages through the handler in SQS batches; fails the scenario on any batch item failure. */
async function drain(handler: IngestHandler, bodies: readonly string[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < bodies.length; i += BATCH) {
    const event: SQSEvent = { Records: bodies.slice(i, i + BATCH).map((b) => sqsRecord(b)) };
    const response = await handler(event, lambdaContext());
    if (response.batchItemFailures.length > 0) throw new Error(`batch failures: ${JSON.stringify(response.batchItemFailures)}`);
  }
  return (performance.now() - started) / 1000;
}

/** ALB when its parser is registered; CloudTrail otherwise (the report says which one ran). */
const smallFormat = parserById('alb') ? 'alb' : 'cloudtrail';

scenario(`worker: ${SMALL_OBJECTS} objects of ~20 KB gzipped ${smallFormat}, batches of ${BATCH}`, async () => {
  const lines = gunzipSync(readFileSync((await accessLogFile('alb', 16)).path)).toString('utf8').split('\n').filter((l) => l !== '');
  // Lines per object so that one gzipped object is about 20 KB.
  const perObject = Math.max(1, Math.round((SMALL_GZ_BYTES / gzipSync(lines.slice(0, 500).join('\n')).byteLength) * 500));
  return withServer(async (endpoint, client) => {
    const keys: string[] = [];
    let inputBytes = 0;
    let records = 0;
    for (let i = 0; i < SMALL_OBJECTS; i++) {
      const start = (i * perObject) % Math.max(1, lines.length - perObject);
      const text = `${lines.slice(start, start + perObject).join('\n')}\n`;
      const key = `AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.shop.6a2b8c3d4e5f6071_20240501T${String(i).padStart(4, '0')}Z_198.51.100.10_${i}.log.gz`;
      await client.send(new PutObjectCommand({ Bucket: 'src', Key: key, Body: gzipSync(text) }));
      keys.push(key);
      inputBytes += Buffer.byteLength(text);
      records += perObject;
    }
    const seconds = await drain(quietHandler(endpoint, client), keys.map((k) => s3Event('src', [k])));
    return { inputMiB: inputBytes / MiB, seconds, records, note: `${(SMALL_OBJECTS / seconds).toFixed(1)} objects/s, ${perObject} lines each` };
  });
});

scenario(`worker: one ${LARGE_MIB} MiB CloudTrail object (gzipped)`, async () => {
  const file = await cloudTrailFile(LARGE_MIB);
  return withServer(async (endpoint, client) => {
    const key = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_large.json.gz';
    await client.send(new PutObjectCommand({ Bucket: 'src', Key: key, Body: readFileSync(file.path) }));
    const seconds = await drain(quietHandler(endpoint, client), [s3Event('src', [key])]);
    return { inputMiB: file.bytes / MiB, seconds, records: file.events };
  });
});

const results = await main(import.meta.url, 'Ingest worker (handler against local s3rver)');

if (!process.argv.includes('--scenario')) {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-bench-bundle-'));
  try {
    const bundle = await bundleWorker(dir);
    // Cold start: a fresh process importing the bundle (config load and client creation included).
    const script = `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(bundle.path).href)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));`;
    const runs = Array.from({ length: 7 }, () => {
      const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, LOGLAKE_LAKE_BUCKET: 'lake', AWS_REGION: 'us-east-1' } });
      return JSON.parse(r.stdout) as { ms: number; cpuMs: number };
    });
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    process.stdout.write(
      `\n| bundle | minified size | import (wall, median of 7) | import (CPU, median of 7) |\n|---|---|---|---|\n` +
        `| functions/ingest/handler.ts | ${(bundle.bytes / MiB).toFixed(2)} MiB (target < 3 MB) | ${median(runs.map((r) => r.ms)).toFixed(0)} ms (target < 300 ms) | ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms |\n`,
    );
    void results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
