/**
 * The CloudWatch Logs intake: payloads/s and events/s of the subscription path, one Lambda
 * invocation's work per payload (decode `awslogs.data`, write its virtual object — Parquet, its
 * manifest — through the pipeline), with the handler of `functions/cwlogs` against a local S3
 * server (s3rver in its own process, so peak RSS is the intake's), and the same work into a local
 * lake folder (no S3 round trips: what the pipeline costs). Then the Firehose path: one object of
 * concatenated gzip payloads through the worker's `processObject` into a local lake.
 * `npm run bench -- cwlogs`.
 *
 * Payloads are generated, seeded: Lambda-style application logs (START/END/REPORT lines, JSON
 * and text messages, a stack trace now and then), all events of a payload from one log stream,
 * as CloudWatch Logs batches them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { loadCwlogsConfig } from '../functions/cwlogs/config.js';
import { createCwlogsHandler, type CwlogsHandler } from '../functions/cwlogs/intake.js';
import { DEFAULT_LOG_GROUP_MAP, decodeSubscriptionEvent, ingestSubscriptionPayload, processObject } from '../pipeline/index.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { createS3Client } from '../pipeline/storage/aws-clients.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { lambdaContext } from '../test/helpers/notifications.js';
import { prng } from '../test/helpers/prng.js';
import { main, MiB, scenario } from './lib.js';

/** Payloads of the subscription scenarios, and events per payload (CloudWatch Logs batches up to about 1 MB). */
const PAYLOADS = 400;
const EVENTS = 100;
const LARGE_PAYLOADS = 20;
const LARGE_EVENTS = 3_000;
const FIREHOSE_PAYLOADS = 2_000;

interface Generated {
  /** Lambda invocation events. */
  readonly invocations: unknown[];
  /** The payloads' JSON texts. */
  readonly json: string[];
  readonly events: number;
  /** Message bytes, the input measure (MiB/s). */
  readonly messageBytes: number;
}

function generate(payloads: number, eventsPer: number, seed: number, streams = 50): Generated {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const invocations: unknown[] = [];
  const json: string[] = [];
  let events = 0;
  let messageBytes = 0;
  let id = 37_574_129_600_000;
  let time = Date.UTC(2024, 4, 1);
  for (let p = 0; p < payloads; p++) {
    const stream = `2024/05/01/[$LATEST]${(Math.floor(p % streams) * 7919).toString(16).padStart(32, '0')}`;
    const logEvents: Array<{ id: string; timestamp: number; message: string }> = [];
    for (let e = 0; e < eventsPer; e++) {
      time += Math.floor(rnd() * 50);
      const request = Math.floor(rnd() * 1e12).toString(16);
      const r = rnd();
      const message =
        r < 0.1
          ? `START RequestId: ${request} Version: $LATEST\n`
          : r < 0.2
            ? `REPORT RequestId: ${request}\tDuration: ${(rnd() * 900).toFixed(2)} ms\tBilled Duration: ${Math.ceil(rnd() * 900)} ms\tMemory Size: 512 MB\tMax Memory Used: ${Math.floor(60 + rnd() * 100)} MB\t\n`
            : r < 0.6
              ? `${JSON.stringify({ level: pick(['info', 'debug', 'warn']), msg: pick(['order created', 'cache miss', 'payment authorized', 'retrying upstream']), order: Math.floor(rnd() * 1e6), latency_ms: Math.round(rnd() * 2000) / 10, path: pick(['/orders', '/cart', '/checkout']) })}\n`
              : r < 0.97
                ? `${new Date(time).toISOString()}\t${request}\tINFO\tprocessed ${Math.floor(rnd() * 500)} items for customer ${Math.floor(rnd() * 1e7)} in region ${pick(['eu-west-1', 'us-east-1'])}\n`
                : `${new Date(time).toISOString()}\t${request}\tERROR\tInvoke Error\nTypeError: Cannot read properties of undefined (reading 'id')\n    at Runtime.handler (/var/task/index.js:12:31)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n`;
      logEvents.push({ id: String(id++).padEnd(56, '0'), timestamp: time, message });
      messageBytes += Buffer.byteLength(message);
    }
    events += eventsPer;
    const payload = { messageType: 'DATA_MESSAGE', owner: '111122223333', logGroup: '/aws/lambda/orders', logStream: stream, subscriptionFilters: ['loglake'], logEvents };
    const text = JSON.stringify(payload);
    json.push(text);
    invocations.push({ awslogs: { data: gzipSync(text).toString('base64') } });
  }
  return { invocations, json, events, messageBytes };
}

/** s3rver in a child process; resolves with its endpoint. */
async function startServer(): Promise<{ endpoint: string; child: ChildProcess }> {
  const helper = pathToFileURL(fileURLToPath(new URL('../test/helpers/s3.ts', import.meta.url))).href;
  const script = `const { startLocalS3 } = await import(${JSON.stringify(helper)}); const s3 = await startLocalS3(); process.stdout.write(s3.endpoint + '\\n');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--no-warnings', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { endpoint: line.toString().trim(), child };
}

function quietHandler(endpoint: string, client: S3Client): CwlogsHandler {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const config = loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'lake', LOGLAKE_S3_ENDPOINT: endpoint, AWS_REGION: 'eu-west-1' });
  return createCwlogsHandler({ config, s3: client, logger: new Logger({ logLevel: 'SILENT' }), metrics: new Metrics({ namespace: 'Loglake' }) });
}

/** One invocation after another, as one function instance would run them. */
async function invokeAll(handler: CwlogsHandler, g: Generated): Promise<number> {
  const started = performance.now();
  for (const event of g.invocations) {
    const r = await handler(event, lambdaContext());
    if (r.objects.some((o) => o.manifest.status !== 'ok')) throw new Error(`a payload did not write: ${JSON.stringify(r.objects[0]?.manifest)}`);
  }
  return (performance.now() - started) / 1000;
}

const note = (g: Generated, seconds: number): string => `${(g.invocations.length / seconds).toFixed(1)} payloads/s, ${g.events / g.invocations.length} events each`;

for (const [payloads, events] of [
  [PAYLOADS, EVENTS],
  [LARGE_PAYLOADS, LARGE_EVENTS],
] as const) {
  scenario(`subscription → intake function → s3rver: ${payloads} payloads × ${events} events`, async () => {
    const g = generate(payloads, events, 1);
    const { endpoint, child } = await startServer();
    const client = createS3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
      const seconds = await invokeAll(quietHandler(endpoint, client), g);
      return { inputMiB: g.messageBytes / MiB, seconds, records: g.events, note: note(g, seconds) };
    } finally {
      client.destroy();
      child.kill();
    }
  });

  scenario(`subscription → pipeline → local lake folder: ${payloads} payloads × ${events} events`, async () => {
    const g = generate(payloads, events, 1);
    const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-cwlogs-'));
    try {
      const deps = { sink: new LocalLakeSink(lake), options: resolveOptions(), map: DEFAULT_LOG_GROUP_MAP, site: { region: 'eu-west-1' } };
      const started = performance.now();
      for (const event of g.invocations) await ingestSubscriptionPayload(decodeSubscriptionEvent(event), deps);
      const seconds = (performance.now() - started) / 1000;
      return { inputMiB: g.messageBytes / MiB, seconds, records: g.events, note: note(g, seconds) };
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
}

scenario(`Firehose object → worker pipeline → local lake folder: ${FIREHOSE_PAYLOADS} gzip payloads × ${EVENTS} events, 50 streams`, async () => {
  const g = generate(FIREHOSE_PAYLOADS, EVENTS, 2);
  const dir = mkdtempSync(join(tmpdir(), 'loglake-bench-cwlogs-'));
  try {
    const object = join(dir, 'loglake-cwlogs-1-2024-05-01-10-00-00-0a1b2c3d');
    writeFileSync(object, Buffer.concat(g.json.map((j) => gzipSync(j))));
    const started = performance.now();
    const { manifest } = await processObject({ bucket: '', key: object }, { source: new LocalSource(), sink: new LocalLakeSink(join(dir, 'lake')), options: resolveOptions() });
    const seconds = (performance.now() - started) / 1000;
    if (manifest.status !== 'ok' || manifest.records !== g.events) throw new Error(`unexpected manifest ${JSON.stringify(manifest).slice(0, 400)}`);
    return { inputMiB: g.messageBytes / MiB, seconds, records: g.events, outputMiB: manifest.outputs.reduce((n, o) => n + o.bytes, 0) / MiB, note: `${(FIREHOSE_PAYLOADS / seconds).toFixed(0)} payloads/s, ${manifest.outputs.length} Parquet files` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

await main(import.meta.url, 'CloudWatch Logs intake (subscription path, Firehose path)');
