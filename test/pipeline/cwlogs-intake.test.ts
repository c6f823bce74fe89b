/**
 * The CloudWatch Logs intake end to end into a local lake (pipeline/formats/cwlogs.ts): the
 * Lambda path's payloads and the worker's Firehose objects become virtual objects by log stream,
 * routed by the log-group map, replaced (never duplicated) when delivered again.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCwlogsObjectName } from '../../parsers/index.js';
import { formatHooks, ingestSubscriptionPayload, processObject, type IntakeDeps } from '../../pipeline/index.js';
import { DEFAULT_LOG_GROUP_MAP, readPayload, validateLogGroupMap, type Payload } from '../../pipeline/formats/cwlogs-payload.js';
import { isPayloadObject } from '../../pipeline/formats/cwlogs.js';
import { ObjectError, TransientError } from '../../pipeline/run/errors.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { ObjectRef, ObjectSource, OpenedObject } from '../../pipeline/storage/storage.js';
import type { QueryRow } from '../../query/lake-query.js';
import { filesUnder, lakeRows, tempDir } from '../helpers/lake.js';

const ID = (n: number): string => `3757412960000000000000000000000000000000000000000000${String(n).padStart(4, '0')}`;
const T = Date.UTC(2024, 4, 1, 10, 0, 0);

function payload(over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/lambda/orders',
    logStream: '2024/05/01/[$LATEST]0f1e2d3c',
    subscriptionFilters: ['loglake'],
    logEvents: [
      { id: ID(1), timestamp: T, message: 'START RequestId: 8f6a Version: $LATEST\n' },
      { id: ID(2), timestamp: T + 500, message: 'Traceback (most recent call last):\n  File "/var/task/app.py", line 7\nKeyError: \'order\'' },
      { id: ID(3), timestamp: T + 900, message: 'END RequestId: 8f6a' },
    ],
    ...over,
  };
}
const CONTROL = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: T, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };
const cloudTrailEvent = (n: number): string =>
  JSON.stringify({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
    eventTime: `2024-05-01T10:00:0${n}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15',
    eventID: `e-${n}`,
    recipientAccountId: '111122223333',
  });
const asPayload = (p: Record<string, unknown>): Payload => {
  const r = readPayload(p);
  if (!('kind' in r)) throw new Error(r.detail);
  return r;
};

let lake: { path: string; cleanup: () => void };
beforeEach(() => {
  lake = tempDir('loglake-cwlogs-');
});
afterEach(() => lake.cleanup());

const deps = (over: Partial<IntakeDeps> = {}): IntakeDeps => ({
  sink: new LocalLakeSink(lake.path),
  options: resolveOptions(),
  map: DEFAULT_LOG_GROUP_MAP,
  site: { region: 'eu-west-1' },
  now: () => Date.UTC(2024, 4, 2),
  ...over,
});
const rows = (sql = 'SELECT * FROM events ORDER BY ordinal, record_id'): Promise<QueryRow[]> => lakeRows(lake.path, sql);
const errorRows = (): Promise<QueryRow[]> => lakeRows(lake.path, 'SELECT source, ordinal, reason, raw FROM errors ORDER BY object, ordinal');
const outputs = (): string[] => filesUnder(lake.path).filter((f) => f.startsWith('lake/') || f.startsWith('errors/'));

describe('Lambda path: one payload, one virtual object', () => {
  it('writes each event as a generic record named after its log stream, with account and region', async () => {
    const { reports } = await ingestSubscriptionPayload(asPayload(payload()), deps());
    expect(reports).toHaveLength(1);
    const m = (reports[0] as { manifest: Manifest }).manifest;
    expect(m).toMatchObject({ status: 'ok', bucket: '', source: 'cwlogs', parser_id: 'cwlogs', routed_by: 'rule', lines_in: 3, records: 3, rejected: 0 });
    expect(parseCwlogsObjectName(m.key)).toMatchObject({ region: 'eu-west-1', owner: '111122223333', logGroup: '/aws/lambda/orders', firstEventId: ID(1) });
    expect(m.outputs.map((o) => o.key)).toEqual([expect.stringMatching(/^lake\/source=cwlogs\/dt=2024-05-01\/111122223333_eu-west-1_[0-9a-f]{20}_0000\.parquet$/)]);
    const r = await rows();
    expect(r.map((x) => [x.object, x.account_id, x.region, x.category, x.outcome])).toEqual(Array(3).fill([m.key, '111122223333', 'eu-west-1', 'application_log', 'unknown']));
    const fields = Object.fromEntries((r[0]?.fields as Array<{ key: string; value: string }>).map((f) => [f.key, f.value]));
    expect(fields).toEqual({ event_id: ID(1), log_group: '/aws/lambda/orders', log_stream: '2024/05/01/[$LATEST]0f1e2d3c', owner: '111122223333' });
  });

  it('keeps a message with line breaks as one record, its text exact in raw', async () => {
    await ingestSubscriptionPayload(asPayload(payload()), deps());
    const r = await rows('SELECT raw FROM events WHERE ordinal = 2');
    expect((JSON.parse(String(r[0]?.raw)) as { message: string }).message).toBe('Traceback (most recent call last):\n  File "/var/task/app.py", line 7\nKeyError: \'order\'');
  });

  it('a redelivered payload replaces its rows: the same keys, the same rows, no duplicate', async () => {
    await ingestSubscriptionPayload(asPayload(payload()), deps());
    const keys = outputs();
    const first = await rows();
    await ingestSubscriptionPayload(asPayload(payload()), deps());
    expect(outputs()).toEqual(keys);
    expect(await rows()).toEqual(first);
    expect(filesUnder(lake.path).filter((f) => f.startsWith('manifests/'))).toHaveLength(1);
  });

  it('routes a log group by the map: CloudTrail events to the cloudtrail parser; an explicit entry wins over the built-in one', async () => {
    const group = 'aws-cloudtrail-logs-111122223333-0a1b2c3d';
    const ct = payload({ logGroup: group, logStream: '111122223333_CloudTrail_eu-west-1', logEvents: [1, 2].map((n) => ({ id: ID(10 + n), timestamp: T + n, message: cloudTrailEvent(n) })) });
    const { reports } = await ingestSubscriptionPayload(asPayload(ct), deps());
    expect(reports[0]?.manifest).toMatchObject({ source: 'cloudtrail', parser_id: 'cloudtrail', records: 2 });
    expect((await rows('SELECT source, actor, action, src_ip, account_id, region FROM events ORDER BY time')).map((x) => Object.values(x))).toEqual([
      ['cloudtrail', 'arn:aws:iam::111122223333:user/alice', 'GetObject', '198.51.100.7', '111122223333', 'eu-west-1'],
      ['cloudtrail', 'arn:aws:iam::111122223333:user/alice', 'GetObject', '198.51.100.7', '111122223333', 'eu-west-1'],
    ]);
    const generic = validateLogGroupMap({ logGroups: [{ prefix: 'aws-cloudtrail-logs-', format: 'cwlogs' }] }, 'test');
    const again = await ingestSubscriptionPayload(asPayload(ct), deps({ map: generic }));
    expect(again.reports[0]?.manifest).toMatchObject({ source: 'cwlogs', records: 2 });
  });

  it('reads an RDS PostgreSQL log group by the built-in map: a statement of several lines is one record', async () => {
    const pg = payload({
      logGroup: '/aws/rds/instance/orders-db/postgresql',
      logStream: 'orders-db.0',
      logEvents: [
        { id: ID(21), timestamp: T, message: '2024-05-01 10:00:00 UTC:10.0.0.5(54321):app@orders:[4711]:LOG:  statement: SELECT o.id\n\tFROM orders o\n\tWHERE o.customer_id = 42;' },
        { id: ID(22), timestamp: T + 1, message: '2024-05-01 10:00:00 UTC:10.0.0.5(54321):app@orders:[4711]:LOG:  duration: 12.345 ms' },
      ],
    });
    const { reports } = await ingestSubscriptionPayload(asPayload(pg), deps());
    const m = reports[0]?.manifest as Manifest;
    expect(m).toMatchObject({ source: 'rds', parser_id: 'rds-postgresql', lines_in: 2, records: 2, rejected: 0 });
    const r = await rows('SELECT actor, resource, action, src_ip, duration_ms, raw FROM events ORDER BY ordinal');
    // The instance comes from the log group name; a duration line names no statement: no action of its own.
    expect(r.map((x) => [x.actor, x.resource, x.action, x.src_ip])).toEqual([
      ['app', 'orders-db/orders', 'SELECT', '10.0.0.5'],
      ['app', 'orders-db/orders', null, '10.0.0.5'],
    ]);
    expect(String(r[0]?.raw)).toContain('\n\tWHERE o.customer_id = 42;');
    expect(r[1]?.duration_ms).toBe(12.345);
  });

  it('a mapped format that does not read a message rejects it, keeping it in errors/: nothing lost', async () => {
    const map = validateLogGroupMap({ logGroups: [{ name: '/aws/lambda/orders', format: 'cloudtrail' }] }, 'test');
    const { reports } = await ingestSubscriptionPayload(asPayload(payload()), deps({ map }));
    const m = reports[0]?.manifest as Manifest;
    expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
    expect(m.rejected).toBeGreaterThan(0);
    expect((await errorRows()).every((e) => e.source === 'cloudtrail')).toBe(true);
  });

  it('writes nothing for a CONTROL_MESSAGE', async () => {
    const out = await ingestSubscriptionPayload(asPayload(CONTROL), deps());
    expect(out.reports).toEqual([]);
    expect(filesUnder(lake.path)).toEqual([]);
  });
});

/** An object in memory that counts its opens. */
class MemorySource implements ObjectSource {
  opens = 0;
  constructor(
    public bytes: Buffer,
    public etag = '"v1"',
  ) {}

  async open(): Promise<OpenedObject> {
    this.opens++;
    const bytes = this.bytes;
    return {
      etag: this.etag,
      size: bytes.byteLength,
      body: (async function* (): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < bytes.byteLength; i += 100) yield bytes.subarray(i, i + 100);
      })(),
    };
  }
}

const FIREHOSE_KEY = 'firehose/2024/05/01/10/loglake-cwlogs-1-2024-05-01-10-00-00-0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const REF: ObjectRef = { bucket: 'delivery', key: FIREHOSE_KEY };
const members = (...payloads: unknown[]): Buffer => Buffer.concat(payloads.map((p) => gzipSync(JSON.stringify(p))));
const streamB = payload({ logGroup: '/ecs/web', logStream: 'web/app/5f0c', logEvents: [{ id: ID(20), timestamp: T + 50, message: 'GET /health 200' }] });
const streamA2 = payload({ logEvents: [{ id: ID(4), timestamp: T + 2000, message: 'REPORT RequestId: 8f6a Duration: 12 ms' }] });

async function runObject(source: MemorySource, extra: { rule?: () => null | { kind: 'pin'; format: 'cwlogs' | 'cloudtrail' }; flushChars?: number } = {}): Promise<Manifest> {
  const hooks = formatHooks({ cwlogs: { map: DEFAULT_LOG_GROUP_MAP, region: 'eu-west-1', ...(extra.flushChars !== undefined ? { flushChars: extra.flushChars } : {}) } });
  const { manifest } = await processObject(REF, {
    source,
    sink: new LocalLakeSink(lake.path),
    options: resolveOptions(),
    hooks,
    now: () => Date.UTC(2024, 4, 2),
    ...(extra.rule !== undefined ? { rule: extra.rule } : {}),
  });
  return manifest;
}

describe('Firehose path: an object of concatenated payloads, recognized by content', () => {
  it('splits the payloads into virtual objects by log stream, and the object manifest sums and lists them', async () => {
    const m = await runObject(new MemorySource(members(payload(), streamB, CONTROL, streamA2)));
    expect(m).toMatchObject({ status: 'ok', source: 'cwlogs', parser_id: 'cwlogs', routed_by: 'content', compression: 'gzip', lines_in: 6, records: 5, skipped: 1, skipped_by_reason: { control: 1 }, rejected: 0 });
    expect(m.outputs).toHaveLength(2);
    expect(m.outputs.reduce((n, o) => n + o.rows, 0)).toBe(5);
    const objects = await rows('SELECT object, count(*) AS n FROM events GROUP BY object ORDER BY n DESC');
    expect(objects.map((o) => [parseCwlogsObjectName(String(o.object))?.logStream, Number(o.n)])).toEqual([
      ['2024/05/01/[$LATEST]0f1e2d3c', 4],
      ['web/app/5f0c', 1],
    ]);
    // One manifest per virtual object, and the object's own.
    expect(filesUnder(lake.path).filter((f) => f.startsWith('manifests/'))).toHaveLength(3);
  });

  it('joins a MySQL slow query entry whose lines came in two payloads of the same stream into one record', async () => {
    const group = '/aws/rds/instance/shop-db/slowquery';
    const slow = (ids: number[], lines: string[]): Record<string, unknown> =>
      payload({ logGroup: group, logStream: 'shop-db', logEvents: lines.map((message, i) => ({ id: ID(ids[i] as number), timestamp: T + (ids[i] as number), message })) });
    const first = slow([31, 32], ['# Time: 2024-05-01T10:00:03.123456Z', '# User@Host: app[app] @  [10.0.0.5]  Id:    42']);
    const second = slow([33, 34, 35], ['# Query_time: 2.000123  Lock_time: 0.000050 Rows_sent: 1  Rows_examined: 100000', 'SET timestamp=1714557603;', 'SELECT o.id\nFROM orders o;']);
    const m = await runObject(new MemorySource(members(first, second)));
    // The `# Time:` line is a frame of its own that the parser counts as skipped (it dates the entries after it).
    expect(m).toMatchObject({ status: 'ok', lines_in: 2, records: 1, rejected: 0, skipped: 1 });
    const r = await rows('SELECT source, actor, action, resource, src_ip, duration_ms FROM events');
    expect(r.map((x) => Object.values(x))).toEqual([['rds', 'app', 'SELECT', 'shop-db', '10.0.0.5', 2000.123]]);
    // The Lambda path gets each payload alone: the entry is cut in two, every line still accounted for.
    const lambdaLake = tempDir('loglake-cwlogs-split-');
    try {
      const split = { sink: new LocalLakeSink(lambdaLake.path) };
      const a = (await ingestSubscriptionPayload(asPayload(first), deps(split))).reports[0]?.manifest as Manifest;
      const b = (await ingestSubscriptionPayload(asPayload(second), deps(split))).reports[0]?.manifest as Manifest;
      for (const x of [a, b]) expect(x.lines_in).toBe(x.records + x.rejected + x.skipped);
      expect(a.records + b.records).toBe(0);
      expect(a.rejected_by_reason).toEqual({ truncated_record: 1 });
      expect(b.rejected).toBe(b.lines_in);
    } finally {
      lambdaLake.cleanup();
    }
  });

  it('reads the same rows whether Firehose wrote gzip members, decompressed JSON (with or without newlines), or gzip over gzip', async () => {
    const forms = [
      members(payload(), streamB, CONTROL, streamA2),
      Buffer.from([payload(), streamB, CONTROL, streamA2].map((p) => JSON.stringify(p)).join('')),
      Buffer.from([payload(), streamB, CONTROL, streamA2].map((p) => JSON.stringify(p)).join('\n')),
      gzipSync(members(payload(), streamB, CONTROL, streamA2)),
      gzipSync(Buffer.from([payload(), streamB, CONTROL, streamA2].map((p) => JSON.stringify(p)).join('\n'))),
    ];
    let reference: QueryRow[] | null = null;
    for (const bytes of forms) {
      lake.cleanup();
      lake = tempDir('loglake-cwlogs-');
      const m = await runObject(new MemorySource(bytes));
      expect({ status: m.status, records: m.records, skipped: m.skipped }).toEqual({ status: 'ok', records: 5, skipped: 1 });
      const r = await rows('SELECT * EXCLUDE (ingested_at) FROM events ORDER BY ordinal, record_id');
      reference ??= r;
      expect(r).toEqual(reference);
    }
  });

  it('a second run of the object replaces its rows; a changed object leaves no stale output', async () => {
    const source = new MemorySource(members(payload(), streamB, streamA2));
    await runObject(source);
    const keys = outputs();
    await runObject(source);
    expect(outputs()).toEqual(keys);
    expect(Number((await rows('SELECT count(*) AS n FROM events'))[0]?.n)).toBe(5);
    source.bytes = members(payload());
    source.etag = '"v2"';
    const m = await runObject(source);
    expect(m.records).toBe(3);
    expect(outputs()).toEqual(m.outputs.map((o) => o.key));
    expect(Number((await rows('SELECT count(*) AS n FROM events'))[0]?.n)).toBe(3);
  });

  it('past the held-text budget it writes what it holds and starts new virtual objects, the same way every run', async () => {
    const source = new MemorySource(members(payload(), streamB, streamA2));
    const m = await runObject(source, { flushChars: 1 });
    expect(m.records).toBe(5);
    expect(m.outputs).toHaveLength(3);
    const keys = outputs();
    await runObject(source, { flushChars: 1 });
    expect(outputs()).toEqual(keys);
  });

  it('keeps the payloads before damage, and says damaged', async () => {
    const whole = members(payload(), streamB, streamA2);
    const cut = whole.subarray(0, whole.byteLength - 30);
    const m = await runObject(new MemorySource(cut));
    expect(m.status).toBe('damaged');
    expect(m.records).toBeGreaterThanOrEqual(4);
    expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
  });

  it('rejects what is not a payload in its own errors file', async () => {
    const bytes = Buffer.from([JSON.stringify(payload()), '{"messageType":"DATA_MESSAGE","owner":"1"}', 'garbage'].join('\n'));
    const m = await runObject(new MemorySource(bytes));
    expect(m).toMatchObject({ status: 'ok', records: 3, rejected: 2, rejected_by_reason: { missing_field: 1, invalid_json: 1 } });
    expect(m.errors_output).toMatch(/^errors\/source=cwlogs\/dt=2024-05-01\/[0-9a-f]{20}\.jsonl\.gz$/);
    expect((await errorRows()).map((e) => e.reason)).toEqual(['missing_field', 'invalid_json']);
  });

  it('leaves objects it does not claim to the usual routing', async () => {
    // A rule pinning another format wins.
    const pinned = await runObject(new MemorySource(members(payload())), { rule: () => ({ kind: 'pin', format: 'cloudtrail' }) });
    expect(pinned.parser_id).toBe('cloudtrail');
    // A rule pinning cwlogs still lets the content decide how.
    const mine = await runObject(new MemorySource(members(payload())), { rule: () => ({ kind: 'pin', format: 'cwlogs' }) });
    expect(mine).toMatchObject({ parser_id: 'cwlogs', routed_by: 'rule', records: 3 });
    // CloudWatch Logs envelopes of CloudTrail events: the CloudTrail parser has always read them.
    const ct = payload({ logGroup: 'CloudTrail/logs', logEvents: [{ id: ID(30), timestamp: T, message: cloudTrailEvent(1) }] });
    const trail = await runObject(new MemorySource(members(ct, payload())));
    expect(trail.parser_id).toBe('cloudtrail');
    // JSON that is no payload is not this path's.
    const other = await runObject(new MemorySource(Buffer.from('{"hello":"world"}')));
    expect(other).toMatchObject({ status: 'failed', reason: 'unknown_format' });
  });

  it('opens an object an extra time only when neither a rule nor a key pattern routes it', async () => {
    const source = new MemorySource(members(payload()));
    const base = { source, sink: new LocalLakeSink(lake.path), options: resolveOptions() };
    expect(await isPayloadObject({ bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz' }, base)).toBe(false);
    expect(await isPayloadObject(REF, { ...base, rule: () => ({ kind: 'ignore', name: 'x' }) })).toBe(false);
    expect(await isPayloadObject(REF, { ...base, resume: { ordinal: 1, part: 1 } })).toBe(false);
    expect(source.opens).toBe(0);
    expect(await isPayloadObject(REF, base)).toBe(true);
    expect(source.opens).toBe(1);
  });

  it('lets a transient error of its extra read through, so the message is retried rather than misrouted', async () => {
    const throttled: ObjectSource = {
      open: async () => {
        throw new TransientError('throttled', 'SlowDown');
      },
    };
    await expect(isPayloadObject(REF, { source: throttled, sink: new LocalLakeSink(lake.path), options: resolveOptions() })).rejects.toBeInstanceOf(TransientError);
    const gone: ObjectSource = {
      open: async () => {
        throw new ObjectError('unreadable', 'NoSuchKey');
      },
    };
    expect(await isPayloadObject(REF, { source: gone, sink: new LocalLakeSink(lake.path), options: resolveOptions() })).toBe(false);
  });
});
