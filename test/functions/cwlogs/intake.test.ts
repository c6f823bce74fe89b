/**
 * The CloudWatch Logs intake function end to end against a real S3 API (s3rver): a subscription
 * filter's invocation (`{"awslogs": {"data": base64(gzip(JSON))}}`) becomes rows in the lake,
 * a redelivered one replaces them, a control message writes nothing, an undecodable one fails
 * the invocation (so Lambda retries it) and is counted; what the function touches on the central
 * bucket is what `schema/lake-layout.ts` grants it. And the other path: the worker, handed an S3
 * event for a Firehose object of such payloads, writes the same rows.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCwlogsConfig } from '../../../functions/cwlogs/config.js';
import { CWLOGS_METRICS } from '../../../functions/cwlogs/env-names.js';
import { createCwlogsHandler, type CwlogsHandler } from '../../../functions/cwlogs/intake.js';
import { parseCwlogsObjectName } from '../../../parsers/index.js';
import { ConfigError, MessageError } from '../../../pipeline/index.js';
import { manifestKey, objectId } from '../../../pipeline/run/identity.js';
import { LAKE_LAYOUT, type LakeAccess } from '../../../schema/lake-layout.js';
import { lambdaContext, s3Event, sqsEvent } from '../../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { capturedTelemetry, localHandler, queryLake } from '../../helpers/worker.js';

const ID = (n: number): string => `3757412960000000000000000000000000000000000000000000${String(n).padStart(4, '0')}`;
const T = Date.UTC(2024, 4, 1, 10, 0, 0);

/** A data payload as CloudWatch Logs sends it to a Lambda function. */
function payload(over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/lambda/orders',
    logStream: '2024/05/01/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    subscriptionFilters: ['loglake-prod'],
    logEvents: [
      { id: ID(1), timestamp: T, message: 'START RequestId: 8f6a1c2e Version: $LATEST\n' },
      { id: ID(2), timestamp: T + 410, message: 'Traceback (most recent call last):\n  File "/var/task/app.py", line 7, in handler\nKeyError: \'order\'\n' },
      { id: ID(3), timestamp: T + 900, message: 'REPORT RequestId: 8f6a1c2e\tDuration: 900.12 ms\tBilled Duration: 901 ms' },
    ],
    ...over,
  };
}
const invocation = (p: unknown): unknown => ({ awslogs: { data: gzipSync(Buffer.from(JSON.stringify(p))).toString('base64') } });
const CONTROL = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: T, message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.' }] };

/** What S3 calls the function made on the lake bucket, as lake-layout accesses. */
interface Access {
  readonly key: string;
  readonly access: LakeAccess;
}

let s3: LocalS3;
let lakes = 0;
let lake: string;
const accesses: Access[] = [];

beforeAll(async () => {
  s3 = await startLocalS3();
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; Prefix?: string; Delete?: { Objects?: Array<{ Key?: string }> } };
      if (input.Bucket === lake) {
        const command = String(context.commandName ?? '');
        const access: LakeAccess | null = /^(PutObject|CreateMultipartUpload|UploadPart|CompleteMultipartUpload|AbortMultipartUpload)Command$/.test(command)
          ? 'put'
          : command === 'GetObjectCommand' || command === 'HeadObjectCommand'
            ? 'get'
            : command === 'DeleteObjectsCommand' || command === 'DeleteObjectCommand'
              ? 'delete'
              : command === 'ListObjectsV2Command'
                ? 'list'
                : null;
        const keys = input.Delete?.Objects?.map((o) => o.Key ?? '') ?? [input.Key ?? input.Prefix ?? ''];
        for (const key of keys) accesses.push({ key, access: access ?? (command as LakeAccess) });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordLakeAccess' },
  );
});
afterAll(async () => {
  await s3.stop();
});

let telemetry: ReturnType<typeof capturedTelemetry>;
let handler: CwlogsHandler;
beforeEach(async () => {
  lake = `cwlogs-lake-${++lakes}`;
  await s3.createBucket(lake);
  accesses.length = 0;
  telemetry = capturedTelemetry();
  const config = loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: lake, LOGLAKE_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'eu-west-1' });
  handler = createCwlogsHandler({ config, s3: s3.client, logger: telemetry.logger, metrics: telemetry.metrics });
});
afterEach(() => telemetry.restore());

/** EMF documents the invocation published, as metric name → value. */
function metricsOf(documents: ReadonlyArray<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of documents) {
    const aws = d._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined;
    for (const m of aws?.CloudWatchMetrics?.[0]?.Metrics ?? []) out[m.Name] = (out[m.Name] ?? 0) + Number(d[m.Name]);
  }
  return out;
}

describe('the intake function (subscription → Lambda)', () => {
  it('writes a payload\'s events to the lake as generic records, named after their log stream', async () => {
    const result = await handler(invocation(payload()), lambdaContext());
    expect(result).toMatchObject({ control: false, logGroup: '/aws/lambda/orders', events: 3 });
    const m = result.objects[0]?.manifest;
    expect(m).toMatchObject({ status: 'ok', source: 'cwlogs', records: 3, rejected: 0 });
    expect(parseCwlogsObjectName(m?.key ?? '')).toMatchObject({ region: 'eu-west-1', owner: '111122223333', logStream: '2024/05/01/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0' });
    const rows = await queryLake(s3, lake, "SELECT source, account_id, region, time, fields['event_id'] AS id, raw FROM events ORDER BY time");
    expect(rows.map((r) => [r.source, r.account_id, r.region, r.id])).toEqual([
      ['cwlogs', '111122223333', 'eu-west-1', ID(1)],
      ['cwlogs', '111122223333', 'eu-west-1', ID(2)],
      ['cwlogs', '111122223333', 'eu-west-1', ID(3)],
    ]);
    expect((JSON.parse(String(rows[1]?.raw)) as { message: string }).message).toBe('Traceback (most recent call last):\n  File "/var/task/app.py", line 7, in handler\nKeyError: \'order\'\n');
    const keys = await s3.list(lake);
    expect(keys.filter((k) => k.startsWith('lake/'))).toEqual([expect.stringMatching(/^lake\/source=cwlogs\/dt=2024-05-01\/111122223333_eu-west-1_[0-9a-f]{20}_0000\.parquet$/)]);
    expect(metricsOf(telemetry.documents)).toMatchObject({ [CWLOGS_METRICS.payloads]: 1, [CWLOGS_METRICS.events]: 3, RecordsWritten: 3, LinesIn: 3, ObjectsProcessed: 1 });
  });

  it('a payload delivered again (Lambda retries, duplicate delivery) replaces its rows: the same keys, the same rows', async () => {
    await handler(invocation(payload()), lambdaContext());
    const keys = await s3.list(lake);
    const rows = await queryLake(s3, lake, 'SELECT * EXCLUDE (ingested_at) FROM events ORDER BY ordinal');
    await handler(invocation(payload()), lambdaContext());
    expect(await s3.list(lake)).toEqual(keys);
    expect(await queryLake(s3, lake, 'SELECT * EXCLUDE (ingested_at) FROM events ORDER BY ordinal')).toEqual(rows);
  });

  it('acknowledges a CONTROL_MESSAGE without writing, and counts it', async () => {
    const result = await handler(invocation(CONTROL), lambdaContext());
    expect(result).toEqual({ control: true, logGroup: '', events: 0, objects: [] });
    expect(await s3.list(lake)).toEqual([]);
    expect(metricsOf(telemetry.documents)).toMatchObject({ [CWLOGS_METRICS.payloads]: 1, [CWLOGS_METRICS.controlMessages]: 1 });
  });

  it('fails an invocation it cannot decode, so Lambda retries it, and counts the error by code', async () => {
    await expect(handler({ awslogs: { data: 'definitely-not-base64!' } }, lambdaContext())).rejects.toBeInstanceOf(MessageError);
    await expect(handler({ Records: [] }, lambdaContext())).rejects.toMatchObject({ code: 'unknown_shape' });
    const errors = telemetry.documents.filter((d) => d[CWLOGS_METRICS.errors] !== undefined).map((d) => d.code);
    expect(errors).toEqual(['invalid_message', 'unknown_shape']);
    expect(telemetry.documents.some((d) => d.message === 'invocation failed: Lambda retries it, then sends it to the dead-letter queue')).toBe(true);
  });

  it('fails the invocation when the lake cannot be written (transient or not), so the payload is retried', async () => {
    const config = loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'no-such-bucket', LOGLAKE_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'eu-west-1' });
    const broken = createCwlogsHandler({ config, s3: s3.client, logger: telemetry.logger, metrics: telemetry.metrics });
    await expect(broken(invocation(payload()), lambdaContext())).rejects.toThrow();
    expect(telemetry.documents.some((d) => d[CWLOGS_METRICS.errors] !== undefined)).toBe(true);
  });

  it('routes log groups by its map: CloudTrail events of a console-named group become cloudtrail records', async () => {
    const events = [1, 2].map((n) => ({
      id: ID(10 + n),
      timestamp: T + n,
      message: JSON.stringify({ eventVersion: '1.09', eventTime: `2024-05-01T10:00:0${n}Z`, eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.7', userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root' }, recipientAccountId: '111122223333', eventID: `e${n}` }),
    }));
    await handler(invocation(payload({ logGroup: 'aws-cloudtrail-logs-111122223333-0a1b2c3d', logStream: '111122223333_CloudTrail_eu-west-1', logEvents: events })), lambdaContext());
    expect(await queryLake(s3, lake, 'SELECT source, action, actor FROM events ORDER BY time')).toEqual([
      { source: 'cloudtrail', action: 'CreateUser', actor: 'arn:aws:iam::111122223333:root' },
      { source: 'cloudtrail', action: 'CreateUser', actor: 'arn:aws:iam::111122223333:root' },
    ]);
  });

  it('touches on the central bucket only what the lake layout grants the cwlogs function', async () => {
    await handler(invocation(payload()), lambdaContext());
    await handler(invocation(payload()), lambdaContext());
    // A payload with a bad event: an errors file too.
    await handler(invocation(payload({ logStream: 's2', logEvents: [{ id: ID(7), timestamp: 'x', message: 'bad' }] })), lambdaContext());
    expect(accesses.length).toBeGreaterThan(0);
    const denied = accesses.filter((a) => !Object.values(LAKE_LAYOUT).some((area) => a.key.startsWith(area.prefix) && (area.cwlogs as readonly LakeAccess[]).includes(a.access)));
    expect(denied).toEqual([]);
    expect(new Set(accesses.map((a) => a.key.split('/')[0]))).toEqual(new Set(['lake', 'errors', 'manifests']));
  });
});

describe('the intake function configuration', () => {
  it('is validated at cold start, naming the variable', () => {
    expect(() => loadCwlogsConfig({})).toThrow(/LOGLAKE_LAKE_BUCKET: is required/);
    expect(() => loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_ROUTING_RULES: '{}' })).toThrow(/LOGLAKE_ROUTING_RULES: unknown environment variable/);
    expect(() => loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_LOG_GROUPS: '{"logGroups":[{"name":"/a","format":"nope"}]}' })).toThrow(ConfigError);
    expect(() => loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_KEEP_RAW: 'maybe' })).toThrow(/LOGLAKE_KEEP_RAW: must be true or false/);
    const c = loadCwlogsConfig({ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_LOG_GROUPS: '{"logGroups":[{"prefix":"/aws/x/","format":"cwlogs"}]}', AWS_REGION: 'eu-west-1' });
    expect(c).toMatchObject({ lakeBucket: 'b', region: 'eu-west-1', s3Endpoint: null });
    expect(c.map.routes[0]?.match).toEqual({ kind: 'prefix', text: '/aws/x/' });
  });
});

describe('the worker (subscription → Firehose → S3 → worker)', () => {
  it('recognizes a Firehose object of concatenated gzip payloads by content and writes the rows the Lambda path writes', async () => {
    const source = 'acme-firehose';
    await s3.createBucket(source);
    const key = 'cwlogs/2024/05/01/10/loglake-cwlogs-1-2024-05-01-10-05-00-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz';
    const second = payload({ logStream: 'other-stream', logEvents: [{ id: ID(40), timestamp: T + 5, message: 'hello from another stream' }] });
    await s3.put(source, key, Buffer.concat([payload(), CONTROL, second].map((p) => gzipSync(JSON.stringify(p)))));
    const worker = localHandler(s3, { lake, env: { LOGLAKE_LOG_GROUPS: JSON.stringify({ logGroups: [], region: 'eu-west-1' }) } });
    expect(await worker(sqsEvent(s3Event(source, [key])), lambdaContext())).toEqual({ batchItemFailures: [] });
    const manifest = JSON.parse(String(await s3.get(lake, manifestKey('cwlogs', objectId({ bucket: source, key }))))) as Record<string, unknown>;
    expect(manifest).toMatchObject({ bucket: source, key, source: 'cwlogs', status: 'ok', records: 4, skipped: 1, routed_by: 'content' });
    const rows = await queryLake(s3, lake, "SELECT fields['log_stream'] AS stream, count(*) AS n, min(region) AS region FROM events GROUP BY 1 ORDER BY 1");
    expect(rows.map((r) => [r.stream, Number(r.n), r.region])).toEqual([
      ['2024/05/01/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0', 3, 'eu-west-1'],
      ['other-stream', 1, 'eu-west-1'],
    ]);
  });
});
