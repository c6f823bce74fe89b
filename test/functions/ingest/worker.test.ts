/**
 * The ingest handler against a real S3-API server (s3rver on loopback): source objects in a
 * source bucket, SQS events shaped like AWS's examples, outputs read back from the central
 * bucket and checked with DuckDB.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqsRequeue } from '../../../functions/ingest/clients.js';
import { configNotificationRef } from '../../../pipeline/formats/config-items.js';
import { objectId } from '../../../pipeline/run/identity.js';
import type { WorkerMessage } from '../../../pipeline/messages/notifications.js';
import { LOGLAKE_USER_AGENT } from '../../../pipeline/run/version.js';
import {
  cloudTrailNotification,
  configDeliveryCompleted,
  configItemChange,
  eventBridgeObjectCreated,
  lambdaContext,
  s3Event,
  s3TestEvent,
  snsEnvelope,
  sqsEvent,
  sqsRecord,
} from '../../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { capturedTelemetry, localHandler, queryLake, readManifest, trailEvent, trailFile, trailKey } from '../../helpers/worker.js';

const SOURCE = 'source-logs';
const ALB_SAMPLE = new URL(
  '../../../samples/alb/AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.shop-frontend.6a2b8c3d4e5f6071_20240501T1205Z_198.51.100.10_4k2j9x7q.log.gz',
  import.meta.url,
);

let s3: LocalS3;
let lakeCount = 0;
/** A fresh central bucket per test, so tests never see each other's outputs. */
async function newLake(): Promise<string> {
  const name = `lake-${++lakeCount}`;
  await s3.createBucket(name);
  return name;
}

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(SOURCE);
});
afterAll(async () => {
  await s3.stop();
});

const ctx = lambdaContext();

describe('ingest handler: notification shapes', () => {
  it('ingests an S3 event notification and writes rows DuckDB reads back', async () => {
    const lake = await newLake();
    const key = trailKey('s3event');
    await s3.put(SOURCE, key, trailFile(3));
    const response = await localHandler(s3, { lake })(sqsEvent(s3Event(SOURCE, [key])), ctx);
    expect(response.batchItemFailures).toEqual([]);
    const rows = await queryLake(s3, lake, 'SELECT source, dt, action, account_id, region, object, ordinal FROM events ORDER BY ordinal');
    expect(rows).toEqual([1, 2, 3].map((i) => ({ source: 'cloudtrail', dt: '2024-05-01', action: 'DescribeInstances', account_id: '111122223333', region: 'eu-west-1', object: `s3://${SOURCE}/${key}`, ordinal: String(i) })));
    const manifest = await readManifest(s3, lake, 'cloudtrail', objectId({ bucket: SOURCE, key }));
    expect(manifest?.status).toBe('ok');
    expect(manifest?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(manifest?.object_last_modified).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(manifest?.lines_in).toBe(3);
  });

  it('decodes several records of one S3 event and a key with spaces and unicode (+ for space)', async () => {
    const lake = await newLake();
    const odd = 'exports/team logs/café ☕/2024 05 01 trail.json.gz';
    const plain = trailKey('second');
    await s3.put(SOURCE, odd, trailFile(2));
    await s3.put(SOURCE, plain, trailFile(1));
    const body = s3Event(SOURCE, [odd, plain]);
    expect(body).toContain('exports/team+logs/caf%C3%A9+%E2%98%95/2024+05+01+trail.json.gz');
    const response = await localHandler(s3, { lake })(sqsEvent(body), ctx);
    expect(response.batchItemFailures).toEqual([]);
    const rows = await queryLake(s3, lake, 'SELECT object, count(*) AS n FROM events GROUP BY object ORDER BY object');
    expect(rows).toEqual([
      { object: `s3://${SOURCE}/${plain}`, n: '1' },
      { object: `s3://${SOURCE}/${odd}`, n: '2' },
    ]);
  });

  it('ingests the same S3 event inside an SNS envelope', async () => {
    const lake = await newLake();
    const key = trailKey('sns');
    await s3.put(SOURCE, key, trailFile(2));
    const response = await localHandler(s3, { lake })(sqsEvent(snsEnvelope(s3Event(SOURCE, [key]))), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n FROM events')).toEqual([{ n: '2' }]);
  });

  it("ingests every key of CloudTrail's SNS notification", async () => {
    const lake = await newLake();
    const keys = [trailKey('ct-a'), trailKey('ct-b')];
    await s3.put(SOURCE, keys[0] as string, trailFile(2));
    await s3.put(SOURCE, keys[1] as string, trailFile(3));
    const response = await localHandler(s3, { lake })(sqsEvent(snsEnvelope(cloudTrailNotification(SOURCE, keys))), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n, count(DISTINCT object) AS objects FROM events')).toEqual([{ n: '5', objects: '2' }]);
  });

  it('ingests an EventBridge Object Created event (key not URL-encoded) and acknowledges other detail types', async () => {
    const lake = await newLake();
    const key = 'eventbridge/a key+with plus.json.gz';
    await s3.put(SOURCE, key, trailFile(1));
    const handler = localHandler(s3, { lake });
    const response = await handler(sqsEvent(eventBridgeObjectCreated(SOURCE, key), eventBridgeObjectCreated(SOURCE, key, 'Object Deleted')), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(await queryLake(s3, lake, 'SELECT object FROM events')).toEqual([{ object: `s3://${SOURCE}/${key}` }]);
  });

  it('reads the object a Config snapshot delivery names, and writes an inline Config item change without reading S3', async () => {
    const lake = await newLake();
    const key = 'AWSLogs/111122223333/Config/us-east-2/2024/5/1/ConfigSnapshot/111122223333_Config_us-east-2_ConfigSnapshot_20240501T183939Z_16da64e4.json.gz';
    const item = JSON.parse(configItemChange('sg-0000snapshot')) as { configurationItem: Record<string, unknown> };
    await s3.put(SOURCE, key, gzipSync(JSON.stringify({ fileVersion: '1.0', configSnapshotId: '16da64e4', configurationItems: [item.configurationItem] })));
    const change = sqsRecord(snsEnvelope(configItemChange('sg-0000inline'), 'arn:aws:sns:us-east-2:111122223333:config-topic'));
    const handler = localHandler(s3, { lake });
    const response = await handler({ Records: [sqsRecord(snsEnvelope(configDeliveryCompleted(SOURCE, key))), change] }, ctx);
    expect(response.batchItemFailures).toEqual([]);
    const rows = await queryLake(s3, lake, "SELECT source, resource, action, fields['configurationItemDiff'] IS NOT NULL AS has_diff, object FROM events ORDER BY resource");
    const snsId = (JSON.parse(change.body) as { MessageId: string }).MessageId;
    expect(rows).toEqual([
      { source: 'config', resource: 'arn:aws:ec2:us-east-2:111122223333:security-group/sg-0000inline', action: 'CREATE', has_diff: true, object: configNotificationRef(snsId).key },
      { source: 'config', resource: 'arn:aws:ec2:us-east-2:111122223333:security-group/sg-0000snapshot', action: 'ResourceDiscovered', has_diff: false, object: `s3://${SOURCE}/${key}` },
    ]);
    // Redelivering the change notification rewrites its rows instead of adding more.
    await handler({ Records: [change] }, ctx);
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n FROM events')).toEqual([{ n: '2' }]);
  });

  it('acknowledges S3 test events and informational Config messages without writing anything', async () => {
    const lake = await newLake();
    const started = JSON.stringify({ configSnapshotId: 'x', notificationCreationTime: '2024-05-01T17:26:09.572Z', messageType: 'ConfigurationSnapshotDeliveryStarted', recordVersion: '1.1' });
    const response = await localHandler(s3, { lake })(sqsEvent(s3TestEvent(SOURCE), snsEnvelope(s3TestEvent(SOURCE)), snsEnvelope(started)), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(await s3.list(lake)).toEqual([]);
  });

  it('processes its own replay messages, with a pinned format', async () => {
    const lake = await newLake();
    const key = 'custom/prefix/app.log';
    await s3.put(SOURCE, key, readFileSync(ALB_SAMPLE));
    const replay: WorkerMessage = { loglake: 'replay', v: 1, objects: [{ bucket: SOURCE, key, format: 'alb' }] };
    const response = await localHandler(s3, { lake })(sqsEvent(JSON.stringify(replay)), ctx);
    expect(response.batchItemFailures).toEqual([]);
    const manifest = await readManifest(s3, lake, 'alb', objectId({ bucket: SOURCE, key }));
    expect(manifest).toMatchObject({ status: 'ok', source: 'alb', routed_by: 'rule' });
    expect(manifest?.lines_in).toBe((manifest?.records ?? 0) + (manifest?.rejected ?? 0) + (manifest?.skipped ?? 0));
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n FROM events')).toEqual([{ n: String(manifest?.records) }]);
  });
});

describe('ingest handler: failures', () => {
  it('fails only the poison message of a batch and processes its neighbours', async () => {
    const lake = await newLake();
    const good = [trailKey('good-1'), trailKey('good-2')];
    for (const k of good) await s3.put(SOURCE, k, trailFile(1));
    const poison = sqsRecord('{"Records": [{"not": "an s3 record"}]}', 'poison-message-id');
    const notJson = sqsRecord('this is not json', 'not-json-id');
    const event = { Records: [sqsRecord(s3Event(SOURCE, [good[0] as string])), poison, notJson, sqsRecord(s3Event(SOURCE, [good[1] as string]))] };
    const response = await localHandler(s3, { lake })(event, ctx);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison-message-id' }, { itemIdentifier: 'not-json-id' }]);
    expect(await queryLake(s3, lake, 'SELECT count(DISTINCT object) AS objects FROM events')).toEqual([{ objects: '2' }]);
  });

  it('records a vanished object (404) as failed with a clear reason and fails its message', async () => {
    const lake = await newLake();
    const key = trailKey('vanished');
    const record = sqsRecord(s3Event(SOURCE, [key]), 'vanished-id');
    const response = await localHandler(s3, { lake })({ Records: [record] }, ctx);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'vanished-id' }]);
    const manifest = await readManifest(s3, lake, 'cloudtrail', objectId({ bucket: SOURCE, key }));
    expect(manifest).toMatchObject({ status: 'failed', reason: 'unreadable', outputs: [] });
    expect(manifest?.error).toContain(`s3://${SOURCE}/${key}: object not found (NoSuchKey, HTTP 404)`);
  });

  it('logs every failure with its message id and emits error metrics by class', async () => {
    const lake = await newLake();
    const telemetry = capturedTelemetry();
    try {
      const handler = localHandler(s3, { lake, logger: telemetry.logger, metrics: telemetry.metrics });
      await handler({ Records: [sqsRecord('{"hello": "world"}', 'unknown-shape-id'), sqsRecord(s3Event(SOURCE, [trailKey('missing')]), 'missing-id')] }, ctx);
    } finally {
      telemetry.restore();
    }
    const json = telemetry.documents;
    const failedLog = json.find((j) => j.message === 'message failed');
    expect(failedLog).toMatchObject({ level: 'ERROR', messageId: 'unknown-shape-id', code: 'unknown_shape' });
    expect(String(failedLog?.error)).toContain('message unknown-shape-id: unknown notification shape; top-level keys: "hello"');
    expect(json.find((j) => j.message === 'object failed')).toMatchObject({ messageId: 'missing-id', reason: 'unreadable' });
    const emf = json.filter((j) => j._aws !== undefined);
    expect(emf.find((j) => j.MessageErrors !== undefined)).toMatchObject({ MessageErrors: 1, code: 'unknown_shape', service: 'loglake-test' });
    expect(emf.find((j) => j.ObjectErrors !== undefined)).toMatchObject({ ObjectErrors: 1, code: 'unreadable' });
  });
});

describe('ingest handler: telemetry', () => {
  it('logs one line per object correlated by message id, and publishes one metric set per source per invocation', async () => {
    const lake = await newLake();
    const keys = [trailKey('metrics-1'), trailKey('metrics-2')];
    for (const k of keys) await s3.put(SOURCE, k, trailFile(3));
    await s3.put(SOURCE, 'lb/app.log.gz', readFileSync(ALB_SAMPLE));
    const telemetry = capturedTelemetry();
    try {
      const handler = localHandler(s3, { lake, logger: telemetry.logger, metrics: telemetry.metrics, env: { LOGLAKE_ROUTING_RULES: '{"rules":[{"prefix":"lb/","format":"alb"}]}' } });
      const records = [sqsRecord(s3Event(SOURCE, [keys[0] as string]), 'm-1'), sqsRecord(s3Event(SOURCE, [keys[1] as string]), 'm-2'), sqsRecord(s3Event(SOURCE, ['lb/app.log.gz']), 'm-3')];
      await handler({ Records: records }, ctx);
    } finally {
      telemetry.restore();
    }
    const logs = telemetry.documents.filter((d) => d.message === 'object processed');
    expect(logs.map((l) => [l.messageId, l.object, l.status, l.records]).sort()).toEqual([
      ['m-1', `s3://${SOURCE}/${keys[0]}`, 'ok', 3],
      ['m-2', `s3://${SOURCE}/${keys[1]}`, 'ok', 3],
      ['m-3', `s3://${SOURCE}/lb/app.log.gz`, 'ok', 11],
    ]);
    const emf = telemetry.documents.filter((d) => d._aws !== undefined);
    const trail = emf.filter((d) => d.source === 'cloudtrail');
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ service: 'loglake-test', ObjectsProcessed: 2, LinesIn: 6, RecordsWritten: 6 });
    expect(trail[0]?.IngestLagSeconds).toHaveLength(2);
    expect(emf.find((d) => d.source === 'alb')).toMatchObject({ ObjectsProcessed: 1, RecordsWritten: 11 });
    expect(Number(trail[0]?.BytesIn)).toBeGreaterThan(0);
    expect(Number(trail[0]?.BytesOut)).toBeGreaterThan(0);
  });
});

describe('ingest handler: idempotency', () => {
  it('leaves exactly one copy of each row when a message is delivered twice', async () => {
    const lake = await newLake();
    const key = trailKey('redelivered');
    await s3.put(SOURCE, key, trailFile(4));
    const handler = localHandler(s3, { lake });
    const body = s3Event(SOURCE, [key]);
    await handler(sqsEvent(body), ctx);
    const before = await s3.list(lake);
    await handler(sqsEvent(body), ctx);
    expect(await s3.list(lake)).toEqual(before);
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n, count(DISTINCT record_id) AS ids FROM events')).toEqual([{ n: '4', ids: '4' }]);
  });

  it('leaves exactly one copy of each row when two deliveries of one object run concurrently', async () => {
    const lake = await newLake();
    const key = trailKey('concurrent');
    await s3.put(SOURCE, key, trailFile(50, (i) => ({ eventTime: `2024-05-0${1 + (i % 3)}T10:00:00Z` })));
    const handler = localHandler(s3, { lake });
    const [a, b] = await Promise.all([handler(sqsEvent(s3Event(SOURCE, [key])), ctx), handler(sqsEvent(snsEnvelope(s3Event(SOURCE, [key]))), ctx)]);
    expect([a.batchItemFailures, b.batchItemFailures]).toEqual([[], []]);
    expect(await queryLake(s3, lake, 'SELECT dt, count(*) AS n, count(DISTINCT record_id) AS ids FROM events GROUP BY dt ORDER BY dt')).toEqual([
      { dt: '2024-05-01', n: '16', ids: '16' },
      { dt: '2024-05-02', n: '17', ids: '17' },
      { dt: '2024-05-03', n: '17', ids: '17' },
    ]);
    expect((await s3.list(lake, 'lake/')).length).toBe(3);
  });
});

describe('ingest handler: raw archive and the pipeline’s own traffic', () => {
  it('copies a processed object to raw/<source>/<account>/<region>/<yyyy>/<mm>/<dd>/<name> server-side', async () => {
    const lake = await newLake();
    const key = trailKey('archived');
    const bytes = trailFile(2);
    await s3.put(SOURCE, key, bytes);
    const response = await localHandler(s3, { lake, env: { LOGLAKE_ARCHIVE_RAW: 'true' } })(sqsEvent(s3Event(SOURCE, [key])), ctx);
    expect(response.batchItemFailures).toEqual([]);
    const archived = `raw/cloudtrail/111122223333/eu-west-1/2024/05/01/${key.slice(key.lastIndexOf('/') + 1)}`;
    expect(await s3.list(lake, 'raw/')).toEqual([archived]);
    expect(await s3.get(lake, archived)).toEqual(bytes);
  });

  it('sends the loglake user agent on every request and skips records its own requests caused, unless told to keep them', async () => {
    const key = trailKey('self');
    const own = { userAgent: `[aws-sdk-js/3.1175.0 ua/2.1 os/linux lang/js md/nodejs#20.20.2 api/s3#3.1175.0 m/E ${LOGLAKE_USER_AGENT}]`, eventSource: 's3.amazonaws.com', eventName: 'GetObject' };
    await s3.put(SOURCE, key, gzipSync(JSON.stringify({ Records: [trailEvent(1), trailEvent(2, own), trailEvent(3)] })));
    const lake = await newLake();
    const seen = s3.userAgents.length;
    await localHandler(s3, { lake })(sqsEvent(s3Event(SOURCE, [key])), ctx);
    const agents = s3.userAgents.slice(seen);
    expect(agents.length).toBeGreaterThan(3);
    expect(agents.filter((a) => !a.includes(LOGLAKE_USER_AGENT))).toEqual([]);
    const manifest = await readManifest(s3, lake, 'cloudtrail', objectId({ bucket: SOURCE, key }));
    expect(manifest).toMatchObject({ records: 2, skipped: 1, skipped_by_reason: { self_traffic: 1 } });

    const keeping = await newLake();
    await localHandler(s3, { lake: keeping, env: { LOGLAKE_KEEP_SELF_TRAFFIC: 'true' } })(sqsEvent(s3Event(SOURCE, [key])), ctx);
    expect(await readManifest(s3, keeping, 'cloudtrail', objectId({ bucket: SOURCE, key }))).toMatchObject({ records: 3, skipped: 0 });
  });
});

describe('ingest handler: deadline', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('hands the objects of a message it has not started over to the queue once the deadline is near', async () => {
    const lake = await newLake();
    const keys = ['handover-1', 'handover-2', 'handover-3'].map(trailKey);
    for (const k of keys) await s3.put(SOURCE, k, trailFile(2));
    const sent: string[] = [];
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      sent.push(input.MessageBody);
      return { MessageId: `m-${sent.length}` };
    });
    const queue = 'https://sqs.us-east-1.amazonaws.com/111122223333/loglake-replay';
    const requeue = sqsRequeue(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), queue);
    const handler = localHandler(s3, { lake, requeue, env: { LOGLAKE_CONTINUATION_QUEUE_URL: queue, LOGLAKE_DEADLINE_MARGIN_MS: '60000' } });
    const late = lambdaContext(() => 10_000);
    expect((await handler(sqsEvent(cloudTrailNotification(SOURCE, keys)), late)).batchItemFailures).toEqual([]);
    // Each invocation finishes the object it started (small objects are read whole) and hands the rest on.
    expect(JSON.parse(sent[0] as string)).toEqual({ loglake: 'replay', v: 1, objects: keys.slice(1).map((key) => ({ bucket: SOURCE, key })) });
    await handler(sqsEvent(sent[0] as string), late);
    expect(JSON.parse(sent[1] as string)).toEqual({ loglake: 'replay', v: 1, objects: [{ bucket: SOURCE, key: keys[2] }] });
    await handler(sqsEvent(sent[1] as string), late);
    expect(sent).toHaveLength(2);
    expect(await queryLake(s3, lake, 'SELECT count(*) AS n, count(DISTINCT object) AS objects FROM events')).toEqual([{ n: '6', objects: '3' }]);
  });

  it('hands over at the deadline with continuations whose parts union to one uninterrupted run', async () => {
    const key = trailKey('deadline');
    // Plain JSON so every 1 MiB read is a chunk boundary where the worker may stop: several runs.
    const body = JSON.stringify({ Records: Array.from({ length: 6000 }, (_, i) => trailEvent(i + 1, { eventTime: `2024-05-0${1 + Math.floor(i / 2500)}T10:00:00Z` })) });
    await s3.put(SOURCE, key, body);
    const whole = await newLake();
    await localHandler(s3, { lake: whole })(sqsEvent(s3Event(SOURCE, [key])), ctx);

    const split = await newLake();
    const sent: string[] = [];
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      sent.push(input.MessageBody);
      return { MessageId: `m-${sent.length}` };
    });
    const requeue = sqsRequeue(new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), 'https://sqs.us-east-1.amazonaws.com/111122223333/loglake-replay');
    // Already inside the margin: every run stops after its first chunk of progress.
    const handler = localHandler(s3, { lake: split, requeue, env: { LOGLAKE_CONTINUATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/loglake-replay', LOGLAKE_DEADLINE_MARGIN_MS: '60000' } });
    const late = lambdaContext(() => 10_000);
    let response = await handler(sqsEvent(s3Event(SOURCE, [key])), late);
    let runs = 1;
    while (sent.length >= runs) {
      expect(response.batchItemFailures).toEqual([]);
      const message = JSON.parse(sent[runs - 1] as string) as WorkerMessage;
      expect(message).toMatchObject({ loglake: 'continuation', v: 1, bucket: SOURCE, key, format: 'cloudtrail', resume: { part: runs } });
      response = await handler(sqsEvent(sent[runs - 1] as string), late);
      runs++;
      expect(runs).toBeLessThan(50);
    }
    expect(runs).toBeGreaterThan(2);
    // A redelivered continuation of a completed chain is acknowledged and changes nothing.
    const files = await s3.list(split);
    expect((await handler(sqsEvent(sent[0] as string), late)).batchItemFailures).toEqual([]);
    expect(await s3.list(split)).toEqual(files);

    const columns = "record_id, ordinal, source, dt, time, action, actor, raw, fields['requestID'] AS request_id";
    const expected = await queryLake(s3, whole, `SELECT ${columns} FROM events ORDER BY ordinal`);
    const actual = await queryLake(s3, split, `SELECT ${columns} FROM events ORDER BY ordinal`);
    expect(actual.length).toBe(6000);
    expect(actual).toEqual(expected);
    const id = objectId({ bucket: SOURCE, key });
    const final = await readManifest(s3, split, 'cloudtrail', id);
    const reference = await readManifest(s3, whole, 'cloudtrail', id);
    expect(final).toMatchObject({ status: 'ok', lines_in: reference?.lines_in, records: reference?.records, rejected: reference?.rejected, skipped: reference?.skipped });
    expect(final?.outputs.length).toBeGreaterThan(reference?.outputs.length ?? 0);
    expect((await s3.list(split, 'lake/')).sort()).toEqual(final?.outputs.map((o) => o.key).sort());
  });
});
