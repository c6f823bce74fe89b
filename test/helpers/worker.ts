/**
 * Builds the ingest handler against a local S3 server and reads its outputs back with DuckDB,
 * for the worker integration tests and the benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadWorkerConfig } from '../../functions/ingest/config.js';
import { createIngestHandler, type IngestHandler } from '../../functions/ingest/worker.js';
import type { QueryRow } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import type { WorkerMessage } from '../../pipeline/messages/notifications.js';
import { openS3Lake } from '../../query/s3-lake.js';
import type { LocalS3 } from './s3.js';

export interface HandlerOptions {
  readonly lake: string;
  /** Extra `LOGLAKE_*` variables. */
  readonly env?: Record<string, string>;
  readonly requeue?: (m: WorkerMessage) => Promise<void>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** The real handler (worker.ts), configured through the same environment loader as in Lambda. */
export function localHandler(s3: LocalS3, opts: HandlerOptions): IngestHandler {
  const config = loadWorkerConfig({ LOGLAKE_LAKE_BUCKET: opts.lake, LOGLAKE_S3_ENDPOINT: s3.endpoint, ...opts.env });
  return createIngestHandler({
    config,
    s3: s3.client,
    requeue: opts.requeue ?? null,
    logger: opts.logger ?? new Logger({ logLevel: 'SILENT' }),
    metrics: opts.metrics ?? withEnv({ POWERTOOLS_METRICS_DISABLED: 'true' }, () => new Metrics({ namespace: 'Loglake', serviceName: 'loglake-test' })),
  });
}

/** Runs `fn` with some environment variables set (Powertools reads them in its constructors). */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * A Powertools logger and metrics whose output is collected as parsed JSON documents (logs and
 * EMF), through the global console that Powertools' development mode writes to. Development
 * mode stays on until `restore()`, since child loggers pick their console when created.
 */
export function capturedTelemetry(): { logger: Logger; metrics: Metrics; documents: Array<Record<string, unknown>>; restore: () => void } {
  const documents: Array<Record<string, unknown>> = [];
  const collect = (...args: unknown[]): void => {
    for (const a of args) if (typeof a === 'string' && a.startsWith('{')) documents.push(JSON.parse(a) as Record<string, unknown>);
  };
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = collect;
  const vars = { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' };
  const savedEnv = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return {
    logger: new Logger({ serviceName: 'loglake-test' }),
    metrics: new Metrics({ namespace: 'Loglake', serviceName: 'loglake-test' }),
    documents,
    restore: () => {
      methods.forEach((m, i) => (console[m] = saved[i] as (typeof console)[typeof m]));
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** A CloudTrail management event; `extra` overrides fields. */
export function trailEvent(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' },
    eventTime: `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
    eventSource: 'ec2.amazonaws.com',
    eventName: 'DescribeInstances',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6',
    requestParameters: { maxResults: 100, filterSet: {} },
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `evt-${i}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...extra,
  };
}

/** A gzipped CloudTrail log file body with `n` events. */
export function trailFile(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Buffer {
  const events = Array.from({ length: n }, (_, i) => trailEvent(i + 1, extra(i + 1)));
  return gzipSync(JSON.stringify({ Records: events }));
}

/** CloudTrail's key layout for a log file of account 111122223333 in eu-west-1. */
export function trailKey(name: string): string {
  return `AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1010Z_${name}.json.gz`;
}

/** A temporary folder removed by the returned function. */
export function scratchDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'loglake-worker-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Runs SQL over the lake in a bucket (copied to a temporary folder, as `loglake query` does). */
export async function queryLake(s3: LocalS3, bucket: string, sql: string): Promise<QueryRow[]> {
  const lake = await openS3Lake(s3.client, { bucket, prefix: '' });
  try {
    return (await lake.query.rows(sql)).rows;
  } finally {
    await lake.close();
  }
}

/** The manifest of an object, read from the lake bucket. */
export async function readManifest(s3: LocalS3, bucket: string, source: string, objectId: string): Promise<Manifest | null> {
  const bytes = await s3.get(bucket, `manifests/${source}/${objectId}.json`);
  return bytes === null ? null : (JSON.parse(bytes.toString('utf8')) as Manifest);
}
