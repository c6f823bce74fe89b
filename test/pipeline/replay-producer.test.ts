/**
 * The replay producer against s3rver with generated history and an in-memory queue that can
 * refuse entries or fail calls: exactly the expected objects are enqueued, each once, in valid
 * batches; refused entries are retried; a run stopped by its budget, a failed send or a crash of
 * the queue resumes to every object exactly once; a cancel ends it; skip rules count per rule;
 * day and month windows enqueue the same objects; the record on disk is the one returned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, readRecord, requestCancel, resumeReplay, startReplay, windowsOf, type ProducerDeps } from '../../pipeline/replay/producer.js';
import { newRunId, parseRecord, replayRecordKey, type ReplayParams, type ReplayRecord } from '../../pipeline/replay/record.js';
import { decodeNotification } from '../../pipeline/messages/notifications.js';
import { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, packBatches, RateLimit, replayBody, sendBatch, type FailedEntry, type QueueEntry, type ReplayQueue } from '../../pipeline/replay/send.js';
import { S3ListPages } from '../../pipeline/replay/s3-pages.js';
import { parserById } from '../../pipeline/route/route.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { LakeQuery } from '../../query/lake-query.js';
import { REPLAY_COLUMNS } from '../../schema/index.js';
import { tempDir } from '../helpers/lake.js';
import { bodySize, expectedInRange, historyKeys, putHistory, type HistoryKey } from '../helpers/replay-history.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const BUCKET = 'producer-history';
const SHAPE = { from: '2023-05-20', days: 75, accounts: 3, orgAccounts: 1, regions: ['us-east-1', 'eu-west-1'], every: 1 };
const RANGE = { from: '2023-06-10', to: '2023-07-12' };
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/replay';

let s3: LocalS3;
let keys: HistoryKey[];
let expected: string[];
/** `expected` in the order a month-window run sends: window by window, keys in order within each. */
let ordered: string[];
const dirs: { cleanup: () => void }[] = [];

beforeAll(async () => {
  s3 = await startLocalS3();
  keys = historyKeys(SHAPE);
  await putHistory(s3, BUCKET, keys);
  const inRange = expectedInRange(keys, RANGE.from, RANGE.to);
  expected = inRange.map((e) => e.key).sort();
  ordered = windowsOf(RANGE, 'month').flatMap((w) => inRange.filter((e) => e.day >= w.from && e.day <= w.to).map((e) => e.key).sort());
}, 120_000);

afterAll(async () => {
  await s3.stop();
  for (const d of dirs) d.cleanup();
});

const lakeDirs = new WeakMap<LocalLakeSink, string>();
function lake(): LocalLakeSink {
  const d = tempDir('loglake-producer-');
  dirs.push(d);
  const sink = new LocalLakeSink(d.path);
  lakeDirs.set(sink, d.path);
  return sink;
}

/** An SQS stand-in: records every accepted body; `refuse` and `fail` script refusals and failed calls. */
class MemoryQueue implements ReplayQueue {
  readonly accepted: string[] = [];
  readonly calls: QueueEntry[][] = [];
  constructor(
    private readonly refuse: (entry: QueueEntry, call: number) => FailedEntry | null = () => null,
    private readonly fail: (call: number, entries: readonly QueueEntry[]) => boolean = () => false,
  ) {}
  async sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]> {
    const call = this.calls.length;
    this.calls.push([...entries]);
    await new Promise((r) => setImmediate(r));
    if (this.fail(call, entries)) throw new Error(`scripted failure of call ${call}`);
    const failed: FailedEntry[] = [];
    for (const e of entries) {
      const f = this.refuse(e, call);
      if (f) failed.push(f);
      else this.accepted.push(e.body);
    }
    return failed;
  }
  /** Keys of the accepted messages, in order. */
  keys(): string[] {
    return this.accepted.map((b) => (JSON.parse(b) as { objects: { key: string }[] }).objects[0]?.key ?? '');
  }
}

const params = (over: Partial<ReplayParams> = {}): ReplayParams => ({
  bucket: BUCKET,
  prefix: '',
  ...RANGE,
  source: null,
  account: null,
  region: null,
  force: false,
  parserOlderThan: null,
  rate: null,
  window: 'month',
  ...over,
});

const noSleep = { sleep: async (): Promise<void> => {}, random: () => 0 };

function deps(queue: ReplayQueue, sink: LocalLakeSink, over: Partial<ProducerDeps> = {}): ProducerDeps {
  return { pages: new S3ListPages(s3.client, BUCKET), lake: sink, queue, sendPolicy: noSleep, ...over };
}

const sortedCopy = (xs: readonly string[]): string[] => [...xs].sort();

describe('windowsOf', () => {
  it('cuts a range into calendar months or days, clipped to the range', () => {
    expect(windowsOf({ from: '2023-12-20', to: '2024-02-03' }, 'month')).toEqual([
      { from: '2023-12-20', to: '2023-12-31' },
      { from: '2024-01-01', to: '2024-01-31' },
      { from: '2024-02-01', to: '2024-02-03' },
    ]);
    expect(windowsOf({ from: '2024-02-28', to: '2024-03-01' }, 'day')).toEqual([
      { from: '2024-02-28', to: '2024-02-28' },
      { from: '2024-02-29', to: '2024-02-29' },
      { from: '2024-03-01', to: '2024-03-01' },
    ]);
    expect(windowsOf({ from: '2024-05-05', to: '2024-05-05' }, 'month')).toEqual([{ from: '2024-05-05', to: '2024-05-05' }]);
  });
});

describe('packBatches and sendBatch', () => {
  it('packs at most 10 entries and at most the byte limit per call, in order', () => {
    const items = Array.from({ length: 57 }, (_, i) => 'x'.repeat(100 + i));
    const batches = packBatches(items, (s) => s, 1000);
    expect(batches.flatMap((b) => b.items)).toEqual(items);
    for (const b of batches) {
      expect(b.items.length).toBeLessThanOrEqual(MAX_BATCH_ENTRIES);
      expect(b.bodies.reduce((n, s) => n + s.length, 0)).toBeLessThanOrEqual(1000);
    }
    // Each batch is full: adding the next item would break a limit.
    for (let i = 0; i + 1 < batches.length; i++) {
      const b = batches[i] as { bodies: string[] };
      const next = (batches[i + 1] as { bodies: string[] }).bodies[0] as string;
      expect(b.bodies.length === MAX_BATCH_ENTRIES || b.bodies.reduce((n, s) => n + s.length, 0) + next.length > 1000).toBe(true);
    }
    expect(packBatches(['a'.repeat(30)], (s) => s, 100)).toHaveLength(1);
    expect(() => packBatches(['a'.repeat(101)], (s) => s, 100)).toThrow(/exceeds the SQS limit of 100/);
    expect(MAX_BATCH_BYTES).toBe(262_144);
  });

  it('retries refused entries until accepted, and gives up on sender faults at once', async () => {
    const q = new MemoryQueue((e, call) => (call < 2 && e.id === '1' ? { id: e.id, code: 'InternalError', message: 'try again', senderFault: false } : e.id === '2' ? { id: e.id, code: 'InvalidMessageContents', message: 'bad', senderFault: true } : null));
    const r = await sendBatch(q, ['a', 'b', 'c', 'd'], noSleep);
    expect(q.accepted).toEqual(['a', 'd', 'b']);
    expect(r).toEqual({ failed: [{ index: 2, reason: 'InvalidMessageContents: bad' }], retried: 2, calls: 3 });
    expect(q.calls.map((c) => c.map((e) => e.body))).toEqual([['a', 'b', 'c', 'd'], ['b'], ['b']]);
  });

  it('retries a failed call with backoff and throws a TransientError when it keeps failing', async () => {
    const delays: number[] = [];
    const flaky = new MemoryQueue(undefined, (call) => call < 2);
    await sendBatch(flaky, ['a'], { sleep: async (ms) => void delays.push(ms), random: () => 0.5, baseDelayMs: 100 });
    expect(flaky.accepted).toEqual(['a']);
    expect(delays).toEqual([50, 100]);
    const dead = new MemoryQueue(undefined, () => true);
    await expect(sendBatch(dead, ['a'], { ...noSleep, attempts: 3 })).rejects.toMatchObject({ name: 'TransientError', message: /SendMessageBatch failed 3 times: scripted failure of call 2/ });
  });

  it('a replay message is one the worker decodes to its object (the run id rides along unread)', () => {
    const body = replayBody({ bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz', size: 1 }, '20261202T100000Z-aaaaaa');
    const n = decodeNotification(body, 'm-1');
    expect(n).toMatchObject({ kind: 'objects', shape: 'replay', objects: [{ bucket: 'b', key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz' }] });
    // The longest key S3 allows still fits ten to a batch.
    expect(Buffer.byteLength(replayBody({ bucket: 'b'.repeat(63), key: 'k'.repeat(1024), size: 1 }, '20261202T100000Z-aaaaaa')) * MAX_BATCH_ENTRIES).toBeLessThan(MAX_BATCH_BYTES);
  });

  it('RateLimit spaces objects to the rate', async () => {
    let clock = 0;
    const slept: number[] = [];
    const rate = new RateLimit(100, () => clock, async (ms) => {
      slept.push(ms);
      clock += ms;
    });
    for (let i = 0; i < 5; i++) await rate.take(10);
    expect(slept).toEqual([100, 100, 100, 100]);
    expect(clock).toBe(400);
  });
});

describe('replay producer over generated history', () => {
  it('has history in the range', () => {
    expect(expected.length).toBeGreaterThan(200);
  });

  it('enqueues exactly the objects of the range, once each, in valid batches, and records the run', async () => {
    const sink = lake();
    const q = new MemoryQueue();
    const runId = newRunId(Date.parse('2026-12-02T10:00:00Z'));
    const progress: number[] = [];
    const r = await startReplay(runId, 'queue', params(), QUEUE_URL, deps(q, sink, { onProgress: (rec) => progress.push(rec.enqueued.objects) }));
    expect(r.status).toBe('done');
    expect(q.keys()).toEqual(ordered); // windows in order, keys in order within each
    expect(new Set(q.keys()).size).toBe(expected.length);
    for (const call of q.calls) {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(call.reduce((n, e) => n + Buffer.byteLength(e.body), 0)).toBeLessThan(MAX_BATCH_BYTES);
    }
    expect(JSON.parse(q.accepted[0] as string)).toEqual({ loglake: 'replay', v: 1, objects: [{ bucket: BUCKET, key: ordered[0] }], run: runId });
    const bytes = expected.reduce((n, k) => n + bodySize(k), 0);
    expect({ listed: r.listed, enqueued: r.enqueued, skipped: r.skipped, windows: r.windows, cursor: r.cursor, errors_total: r.errors_total, invocations: r.invocations }).toEqual({
      listed: { objects: expected.length, bytes },
      enqueued: { objects: expected.length, bytes },
      skipped: { unchanged: 0, 'not-older-parser': 0 },
      windows: 2,
      cursor: { window: 2, after: null, sent_ahead: [] },
      errors_total: 0,
      invocations: 1,
    });
    expect(r.batches).toBe(q.calls.length);
    expect(progress[progress.length - 1]).toBe(expected.length);
    expect(progress.length).toBeGreaterThan(3);
    const stored = await sink.get(replayRecordKey(runId));
    expect(parseRecord(stored as Uint8Array, 'record')).toEqual(r);
    expect(String(stored).split('\n')).toHaveLength(2); // one document per line, as Athena's JSON SerDe reads

    expect(await readRecord(sink, runId)).toEqual(r);
    expect(r.ended_at).not.toBeNull();
  });

  it('day windows enqueue the same objects as month windows (a billing period is kept in one window)', async () => {
    const range = { from: '2023-06-27', to: '2023-07-04' };
    const week = expectedInRange(keys, range.from, range.to).map((e) => e.key).sort();
    expect(week.filter((k) => k.startsWith('billing/'))).toHaveLength(2);
    const byDay = new MemoryQueue();
    const r = await startReplay(newRunId(), 'queue', params({ ...range, window: 'day' }), QUEUE_URL, deps(byDay, lake()));
    expect(r.windows).toBe(8);
    expect(sortedCopy(byDay.keys())).toEqual(week);
    expect(r.enqueued.objects).toBe(week.length);
    const byMonth = new MemoryQueue();
    await startReplay(newRunId(), 'queue', params({ ...range, window: 'month' }), QUEUE_URL, deps(byMonth, lake()));
    expect(sortedCopy(byMonth.keys())).toEqual(week);
  });

  it('a run stopped by its budget between chunks resumes to every object exactly once', async () => {
    const sink = lake();
    const q = new MemoryQueue();
    const runId = newRunId();
    let chunks = 0;
    const budget = (limit: number): ProducerDeps => deps(q, sink, { chunkObjects: 37, onProgress: () => void chunks++, shouldYield: () => chunks >= limit });
    let r = await startReplay(runId, 'deployed', params(), QUEUE_URL, budget(4));
    expect(r.status).toBe('running');
    expect(q.keys().length).toBeGreaterThan(0);
    expect(q.keys().length).toBeLessThan(expected.length);
    let invocations = 1;
    while (r.status === 'running') {
      chunks = 0;
      r = await resumeReplay(runId, budget(5));
      invocations++;
      expect(invocations).toBeLessThan(100);
    }
    expect(r.status).toBe('done');
    expect(q.keys()).toEqual(ordered);
    expect(r.invocations).toBe(invocations);
    expect(r.listed.objects).toBe(expected.length);
    expect(r.enqueued.objects).toBe(expected.length);
  });

  it('a send that keeps failing ends the run failed; a resume sends every object exactly once, including those sent ahead of the failure', async () => {
    const sink = lake();
    const runId = newRunId();
    // The eighth batch fails every attempt; the batches in flight beside it succeed.
    let broken = true;
    const poisoned = ordered[70] as string;
    const q = new MemoryQueue(undefined, (_, entries) => broken && entries.some((e) => e.body.includes(poisoned)));
    const failed = await startReplay(runId, 'queue', params(), QUEUE_URL, deps(q, sink, { sendPolicy: { ...noSleep, attempts: 6 } }));
    expect(failed.status).toBe('failed');
    expect(failed.errors[0]?.message).toMatch(/SendMessageBatch failed 6 times/);
    const sentBefore = q.keys();
    expect(sentBefore.length).toBeGreaterThan(0);
    expect(failed.cursor.sent_ahead.length).toBeGreaterThan(0);
    expect(failed.enqueued.objects).toBe(sentBefore.length);
    broken = false;
    const done = await resumeReplay(runId, deps(q, sink));
    expect(done.status).toBe('done');
    expect(sortedCopy(q.keys())).toEqual(expected);
    expect(done.enqueued.objects).toBe(expected.length);
    expect(done.listed.objects).toBe(expected.length);
  });

  it('refused entries are retried and counted; a cancel marker ends the run, which cannot be resumed', async () => {
    const sink = lake();
    let refusals = 0;
    const q = new MemoryQueue((e, call) => (call % 5 === 0 && e.id === '0' && refusals++ < 50 ? { id: e.id, code: 'ServiceUnavailable', message: 'busy', senderFault: false } : null));
    const runId = newRunId();
    let chunks = 0;
    const r = await startReplay(runId, 'queue', params(), QUEUE_URL, deps(q, sink, {
      chunkObjects: 50,
      onProgress: () => {
        if (++chunks === 3) void requestCancel(sink, runId);
      },
    }));
    expect(r.status).toBe('cancelled');
    expect(r.retried_entries).toBeGreaterThan(0);
    expect(q.keys().length).toBe(r.enqueued.objects);
    expect(new Set(q.keys()).size).toBe(q.keys().length);
    expect(r.enqueued.objects).toBeLessThan(expected.length);
    await expect(resumeReplay(runId, deps(q, sink))).rejects.toThrow(/is cancelled; start a new run instead/);
    // Cancelled while stopped: the resume ends the record cancelled and refuses.
    let once = true;
    const stopped = await startReplay('20261202T120000Z-cccccc', 'queue', params(), QUEUE_URL, deps(q, sink, { chunkObjects: 50, shouldYield: () => once }));
    expect(stopped.status).toBe('running');
    await requestCancel(sink, stopped.run_id);
    once = false;
    await expect(resumeReplay(stopped.run_id, deps(q, sink))).rejects.toThrow(/was cancelled; start a new run instead/);
    expect((await readRecord(sink, stopped.run_id))?.status).toBe('cancelled');
    await expect(resumeReplay('20261202T000000Z-000000', deps(q, sink))).rejects.toThrow(/no replay run 20261202T000000Z-000000/);
  });

  it('skip-unchanged and parser-older-than select from the manifests and count per rule', async () => {
    const sink = lake();
    const ct = parserById('cloudtrail');
    const trails = expected.filter((k) => /\/CloudTrail\/.*\.json\.gz$/.test(k));
    const etags = new Map<string, string>();
    for (const k of trails) etags.set(k, `"${(await s3.client.send(new (await import('@aws-sdk/client-s3')).HeadObjectCommand({ Bucket: BUCKET, Key: k }))).ETag?.replaceAll('"', '')}"`);
    const current = trails.filter((_, i) => i % 3 === 0);
    const old = trails.filter((_, i) => i % 3 === 1);
    for (const [list, version] of [[current, `cloudtrail@${ct?.version}`], [old, 'cloudtrail@0']] as const) {
      for (const k of list) {
        const m = { manifest_version: 1, bucket: BUCKET, key: k, outputs: [], errors_output: null, status: 'ok', etag: etags.get(k), parser_id: 'cloudtrail', parser_version: version, routed_by: 'key', reason: null };
        await sink.put(manifestKey('cloudtrail', objectId({ bucket: BUCKET, key: k })), JSON.stringify(m));
      }
    }
    const q1 = new MemoryQueue();
    const r1 = await startReplay(newRunId(), 'queue', params(), QUEUE_URL, deps(q1, sink, { chunkObjects: 100 }));
    expect(r1.skipped).toEqual({ unchanged: current.length, 'not-older-parser': 0 });
    expect(q1.keys()).toEqual(ordered.filter((k) => !current.includes(k)));
    expect(r1.listed.objects).toBe(expected.length);

    const q2 = new MemoryQueue();
    const r2 = await startReplay(newRunId(), 'queue', params({ parserOlderThan: `cloudtrail@${ct?.version}` }), QUEUE_URL, deps(q2, sink, { chunkObjects: 100 }));
    expect(q2.keys()).toEqual(ordered.filter((k) => old.includes(k)));
    expect(r2.skipped).toEqual({ unchanged: 0, 'not-older-parser': expected.length - old.length });

    const q3 = new MemoryQueue();
    await startReplay(newRunId(), 'queue', params({ force: true }), QUEUE_URL, deps(q3, sink));
    expect(q3.keys()).toEqual(ordered);
  });

  it('filters by source, account and region like the dry run, and honours the rate', async () => {
    const q = new MemoryQueue();
    const r = await startReplay(newRunId(), 'queue', params({ source: 'alb' }), QUEUE_URL, deps(q, lake()));
    const albs = expected.filter((k) => keys.find((h) => h.key === k)?.source === 'alb');
    expect(albs.length).toBeGreaterThan(0);
    expect(q.keys()).toEqual(ordered.filter((k) => albs.includes(k)));
    expect(r.enqueued.objects).toBe(albs.length);

    let clock = 0;
    const slept: number[] = [];
    const rated = new MemoryQueue();
    await startReplay(newRunId(), 'queue', params({ source: 'alb', rate: 10 }), QUEUE_URL, deps(rated, lake(), {
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    }));
    // The first batch goes at once; every later one waits for the objects sent before it at 10/s.
    const inLastWindow = albs.filter((k) => /\/2023\/07\//.test(k)).length;
    const lastBatch = inLastWindow % 10 || 10;
    expect(slept.reduce((n, ms) => n + ms, 0)).toBe((albs.length - lastBatch) * 100);
  });

  it('a record that is not a replay record is refused with the reason', async () => {
    const sink = lake();
    await sink.put(replayRecordKey('20261202T000000Z-abcdef'), '{"v":1,"run_id":"x"}');
    await expect(readRecord(sink, '20261202T000000Z-abcdef')).rejects.toThrow(/is not a replay record: run_id: must be a run id/);
    const torn = parseRecord(Buffer.from('{"v":1,'), 'replays/x.json');
    expect(torn).toMatch(/^replays\/x.json is not JSON/);
  });

  it('every call decides at least one chunk before it yields; produce() continues a record read back', async () => {
    const sink = lake();
    const q = new MemoryQueue();
    const runId = newRunId();
    let stop = true;
    const first = await startReplay(runId, 'deployed', params(), QUEUE_URL, deps(q, sink, { shouldYield: () => stop, chunkObjects: 40 }));
    expect(first.status).toBe('running');
    expect(q.keys()).toEqual(ordered.slice(0, 40));
    expect(first.cursor).toEqual({ window: 0, after: ordered[39], sent_ahead: [] });
    stop = false;
    const record = (await readRecord(sink, runId)) as ReplayRecord;
    const done = await produce(record, deps(q, sink));
    expect(done.status).toBe('done');
    expect(q.keys()).toEqual(ordered);
  });

  it('run records are the replays view of DuckDB, every column typed as the Athena table declares', async () => {
    const sink = lake();
    const dir = lakeDirs.get(sink) as string;
    const empty = await LakeQuery.open(dir);
    try {
      const none = await empty.rows('SELECT * FROM replays');
      expect({ columns: none.columns, rows: none.rows }).toEqual({ columns: REPLAY_COLUMNS.map((c) => c.name), rows: [] });
    } finally {
      empty.close();
    }
    const done = await startReplay('20261202T100000Z-aaaaaa', 'queue', params({ source: 'alb' }), QUEUE_URL, deps(new MemoryQueue(), sink));
    const failed = await startReplay('20261202T110000Z-bbbbbb', 'queue', params({ rate: 2.5, window: 'day' }), QUEUE_URL, deps(new MemoryQueue(undefined, () => true), sink, { sendPolicy: { ...noSleep, attempts: 2 } }));
    expect(failed.status).toBe('failed');
    const q = await LakeQuery.open(dir);
    try {
      const { rows } = await q.rows(`SELECT run_id, mode, status, params->>'$.bucket' AS bucket, params->>'$.from' AS "from", (params->'$.rate')::DOUBLE AS rate, params->>'$.window' AS "window", (cursor->'$.window')::INTEGER AS cur,
        listed.objects::INTEGER AS listed, skipped['unchanged']::INTEGER AS unchanged, enqueued.objects::INTEGER AS enqueued, errors_total::INTEGER AS errors_total, json_array_length(errors)::INTEGER AS kept, errors->>'$[0].message' AS first_error, windows, invocations, ended_at IS NOT NULL AS ended
        FROM replays ORDER BY run_id`);
      const row = (r: ReplayRecord): Record<string, unknown> => ({
        run_id: r.run_id,
        mode: r.mode,
        status: r.status,
        bucket: r.params.bucket,
        from: r.params.from,
        rate: r.params.rate,
        window: r.params.window,
        cur: r.cursor.window,
        listed: r.listed.objects,
        unchanged: r.skipped.unchanged,
        enqueued: r.enqueued.objects,
        errors_total: r.errors_total,
        kept: r.errors.length,
        first_error: r.errors[0]?.message ?? null,
        windows: r.windows,
        invocations: r.invocations,
        ended: r.ended_at !== null,
      });
      expect(rows).toEqual([row(done), row(failed)]);
    } finally {
      q.close();
    }
  });
});
