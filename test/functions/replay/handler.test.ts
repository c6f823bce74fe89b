/**
 * The replay function's handler against a real S3 API (s3rver) holding a generated bucket
 * history, with SQS mocked: what it enqueues, the run record it keeps, how it continues itself
 * through its control queue when the deadline nears, how polls remember where they started,
 * and how it refuses what it cannot run.
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadReplayConfig } from '../../../functions/replay/config.js';
import { createReplayHandler, type ReplayHandler, type ReplayResponse } from '../../../functions/replay/job.js';
import { pollStateKey, type PollState } from '../../../functions/replay/poll.js';
import { newRunId, parseRecord, replayRecordKey, type ReplayRecord } from '../../../pipeline/index.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/notifications.js';
import { expectedInRange, historyKeys, putHistory, type HistoryKey } from '../../helpers/replay-history.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { capturedTelemetry, localHandler } from '../../helpers/worker.js';

const SOURCE = 'replay-fn-history';
const REPLAY_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/loglake-replay';
const CONTROL_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/loglake-replay-control';
const SHAPE = { from: '2024-01-01', days: 20, accounts: 3, orgAccounts: 1, regions: ['us-east-1', 'eu-west-1'], every: 2 } as const;

let s3: LocalS3;
let keys: HistoryKey[];
let lakes = 0;
let telemetry: ReturnType<typeof capturedTelemetry>;
const sqs = mockClient(SQSClient);
/** Replay messages sent, as `{ key, run }`, in order. */
let replayed: Array<{ key: string; run: string }>;
/** Bodies sent to the control queue, not yet handled. */
let control: string[];

beforeAll(async () => {
  s3 = await startLocalS3();
  keys = historyKeys(SHAPE);
  await putHistory(s3, SOURCE, keys);
});
afterAll(async () => {
  sqs.restore();
  await s3.stop();
});
beforeEach(() => {
  telemetry = capturedTelemetry();
  replayed = [];
  control = [];
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
    expect(input.QueueUrl).toBe(REPLAY_URL);
    for (const e of input.Entries) {
      const body = JSON.parse(e.MessageBody ?? '') as { loglake: string; v: number; objects: Array<{ bucket: string; key: string }>; run: string };
      expect(body).toMatchObject({ loglake: 'replay', v: 1 });
      expect(body.objects).toHaveLength(1);
      expect(body.objects[0]?.bucket).toBe(SOURCE);
      replayed.push({ key: body.objects[0]?.key as string, run: body.run });
    }
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })), Failed: [] };
  });
  sqs.on(SendMessageCommand).callsFake((input: { QueueUrl: string; MessageBody: string }) => {
    expect(input.QueueUrl).toBe(CONTROL_URL);
    control.push(input.MessageBody);
    return { MessageId: `c-${control.length}` };
  });
});
afterEach(() => {
  telemetry.restore();
});

async function newLake(): Promise<string> {
  const name = `replay-fn-lake-${++lakes}`;
  await s3.createBucket(name);
  return name;
}

interface Options {
  readonly now?: () => number;
  readonly chunkObjects?: number;
}

function handlerFor(lake: string, opts: Options = {}): ReplayHandler {
  const config = loadReplayConfig({
    LOGLAKE_LAKE_BUCKET: lake,
    LOGLAKE_REPLAY_QUEUE_URL: REPLAY_URL,
    LOGLAKE_CONTROL_QUEUE_URL: CONTROL_URL,
    LOGLAKE_S3_ENDPOINT: s3.endpoint,
  });
  return createReplayHandler({
    config,
    s3: s3.client,
    sqs: new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
    logger: telemetry.logger,
    metrics: telemetry.metrics,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    producer: { chunkObjects: opts.chunkObjects ?? 1000 },
  });
}

/** Plenty of time, and a context that is always inside the default 120 s margin. */
const ample = (): Context => lambdaContext(() => 900_000);
const late = (): Context => lambdaContext(() => 5_000);

async function record(lake: string, runId: string): Promise<ReplayRecord> {
  const bytes = await s3.get(lake, replayRecordKey(runId));
  expect(bytes, `record of ${runId}`).not.toBeNull();
  const r = parseRecord(bytes as Buffer, runId);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

/** Handles every pending control message as an SQS event, one per invocation, until none is left. */
async function drain(handler: ReplayHandler, context: () => Context): Promise<number> {
  let invocations = 0;
  while (control.length > 0) {
    const body = control.shift() as string;
    const response = (await handler(sqsEvent(body), context())) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([]);
    if (++invocations > 500) throw new Error('the run does not end');
  }
  return invocations;
}

/** The metric values of every EMF document captured so far, summed by name. */
function metricSums(): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const d of telemetry.documents) {
    const aws = d._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined;
    for (const m of aws?.CloudWatchMetrics?.[0]?.Metrics ?? []) sums[m.Name] = (sums[m.Name] ?? 0) + Number(d[m.Name]);
  }
  return sums;
}

const start = (runId: string, params: Record<string, unknown>): Record<string, unknown> => ({ loglake: 'replay-start', v: 1, run_id: runId, params: { bucket: SOURCE, ...params } });
const keysIn = (from: string, to: string, prefix = ''): string[] =>
  expectedInRange(keys, from, to)
    .map((k) => k.key)
    .filter((k) => k.startsWith(prefix))
    .sort();
const sorted = (list: readonly string[]): string[] => [...list].sort();

describe('replay function: replay-start', () => {
  it('enqueues exactly the objects the range lists, one message each, and writes the run record', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const response = (await handlerFor(lake)(start(runId, { from: '2024-01-03', to: '2024-01-08' }), ample())) as ReplayResponse;

    const expected = keysIn('2024-01-03', '2024-01-08');
    expect(expected.length).toBeGreaterThan(20);
    expect(sorted(replayed.map((r) => r.key))).toEqual(expected);
    expect(new Set(replayed.map((r) => r.run))).toEqual(new Set([runId]));
    expect(response).toEqual({
      ok: true,
      request: 'replay-start',
      runs: [{ run_id: runId, bucket: SOURCE, prefix: '', status: 'done', enqueued: expected.length, errors: 0, continued: false, note: null }],
    });
    const r = await record(lake, runId);
    expect(r).toMatchObject({ mode: 'deployed', status: 'done', queue_url: REPLAY_URL, invocations: 1, errors_total: 0 });
    expect(r.params).toMatchObject({ bucket: SOURCE, from: '2024-01-03', to: '2024-01-08', force: false });
    expect(r.listed.objects).toBe(expected.length);
    expect(r.enqueued.objects).toBe(expected.length);
    expect(control).toEqual([]);
    expect(metricSums()).toEqual({ ReplayEnqueued: expected.length, ReplayErrors: 0 });
  });

  it('takes a start delivered again as the same run, and enqueues nothing twice', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const handler = handlerFor(lake);
    const request = JSON.stringify(start(runId, { prefix: 's3logs/', from: '2024-01-01', to: '2024-01-20' }));
    expect(((await handler(sqsEvent(request), ample())) as SQSBatchResponse).batchItemFailures).toEqual([]);
    const first = replayed.length;
    expect(first).toBe(keysIn('2024-01-01', '2024-01-20', 's3logs/').length);
    const again = (await handler(JSON.parse(request), ample())) as ReplayResponse;
    expect(again).toMatchObject({ ok: true, runs: [{ run_id: runId, status: 'done', enqueued: 0, note: 'the run already ended done' }] });
    expect(replayed).toHaveLength(first);
  });
});

describe('replay function: the deadline', () => {
  it('yields inside the margin, continues through its control queue, and enqueues every object exactly once', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const handler = handlerFor(lake, { chunkObjects: 4 });
    const first = (await handler(start(runId, { from: '2024-01-02', to: '2024-01-12', window: 'day' }), late())) as ReplayResponse;

    // One chunk of progress, then the run stops and asks for its continuation.
    expect(first).toMatchObject({ ok: true, runs: [{ run_id: runId, status: 'running', continued: true }] });
    expect(control).toEqual([JSON.stringify({ loglake: 'replay-continue', v: 1, run_id: runId })]);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.length).toBeLessThanOrEqual(4);
    expect((await record(lake, runId)).status).toBe('running');

    // Every continuation is as short of time: each still makes progress, none sends twice.
    const invocations = await drain(handler, late);
    expect(invocations).toBeGreaterThan(3);
    const expected = keysIn('2024-01-02', '2024-01-12');
    expect(replayed.map((r) => r.key).sort()).toEqual(expected);
    expect(new Set(replayed.map((r) => r.key)).size).toBe(replayed.length);
    const r = await record(lake, runId);
    expect(r).toMatchObject({ status: 'done', invocations: invocations + 1, errors_total: 0 });
    expect(r.enqueued.objects).toBe(expected.length);
    expect(metricSums()).toEqual({ ReplayEnqueued: expected.length, ReplayErrors: 0 });
  });

  it('finishes in one continuation with time to spare', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const handler = handlerFor(lake, { chunkObjects: 4 });
    await handler(start(runId, { from: '2024-01-02', to: '2024-01-12', window: 'day' }), late());
    expect(await drain(handler, ample)).toBe(1);
    expect(sorted(replayed.map((r) => r.key))).toEqual(keysIn('2024-01-02', '2024-01-12'));
    expect(await record(lake, runId)).toMatchObject({ status: 'done', invocations: 2 });
  });

  it('ends a run cancelled between two invocations as cancelled', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const handler = handlerFor(lake, { chunkObjects: 4 });
    await handler(start(runId, { from: '2024-01-02', to: '2024-01-12', window: 'day' }), late());
    await s3.put(lake, `replay-control/${runId}/cancel`, '{}');
    const sent = replayed.length;
    expect(await drain(handler, ample)).toBe(1);
    expect(replayed).toHaveLength(sent);
    expect((await record(lake, runId)).status).toBe('cancelled');
  });
});

describe('replay function: replay-poll', () => {
  const DAY = 86_400_000;
  const at = (iso: string): number => Date.parse(iso);

  async function pollState(lake: string, prefix: string): Promise<PollState | null> {
    const bytes = await s3.get(lake, pollStateKey(SOURCE, prefix));
    return bytes === null ? null : (JSON.parse(bytes.toString('utf8')) as PollState);
  }

  it('polls each prefix from where its previous poll started, minus the lookback, skip-unchanged', async () => {
    const lake = await newLake();
    let now = at('2024-01-10T12:00:00Z');
    const handler = handlerFor(lake, { now: () => now });
    const poll = { loglake: 'replay-poll', v: 1, bucket: SOURCE, prefixes: ['AWSLogs/', 's3logs'], lookbackDays: 1 };

    // First poll: today and the lookback day.
    const first = (await handler(poll, ample())) as ReplayResponse & { ok: true };
    expect(first.runs.map((r) => [r.prefix, r.status, r.enqueued])).toEqual([
      ['AWSLogs/', 'done', keysIn('2024-01-09', '2024-01-10', 'AWSLogs/').length],
      ['s3logs/', 'done', keysIn('2024-01-09', '2024-01-10', 's3logs/').length],
    ]);
    expect(sorted(replayed.map((r) => r.key))).toEqual([...keysIn('2024-01-09', '2024-01-10', 'AWSLogs/'), ...keysIn('2024-01-09', '2024-01-10', 's3logs/')].sort());
    const state = await pollState(lake, 'AWSLogs/');
    expect(state).toMatchObject({ v: 1, bucket: SOURCE, prefix: 'AWSLogs/', run_id: first.runs[0]?.run_id, started_day: '2024-01-10', from: '2024-01-09' });
    const firstRecord = await record(lake, first.runs[0]?.run_id as string);
    expect(firstRecord).toMatchObject({ mode: 'poll', status: 'done' });
    expect(firstRecord.params).toMatchObject({ bucket: SOURCE, prefix: 'AWSLogs/', from: '2024-01-09', to: '2024-01-10', force: false, parserOlderThan: null, window: 'day' });

    // The worker runs what was enqueued; the CloudTrail digests among it are ignored by their key.
    const digests = replayed.filter((r) => r.key.includes('/CloudTrail-Digest/'));
    expect(digests.length).toBeGreaterThan(0);
    const worker = localHandler(s3, { lake });
    for (const d of digests) await worker(sqsEvent(JSON.stringify({ loglake: 'replay', v: 1, objects: [{ bucket: SOURCE, key: d.key }] })), ample());

    // Three days later: from the day the previous poll started, minus the lookback, to today;
    // the digests the lake holds from the same bytes are skipped.
    now = at('2024-01-13T00:05:00Z');
    replayed = [];
    const second = (await handler(poll, ample())) as ReplayResponse & { ok: true };
    const again = keysIn('2024-01-09', '2024-01-13', 'AWSLogs/');
    const secondRecord = await record(lake, second.runs[0]?.run_id as string);
    expect(secondRecord.params).toMatchObject({ from: '2024-01-09', to: '2024-01-13' });
    expect(secondRecord.skipped.unchanged).toBe(digests.length);
    expect(secondRecord.enqueued.objects).toBe(again.length - digests.length);
    expect(sorted(replayed.filter((r) => r.key.startsWith('AWSLogs/')).map((r) => r.key))).toEqual(again.filter((k) => !digests.some((d) => d.key === k)));
    expect(await pollState(lake, 'AWSLogs/')).toMatchObject({ run_id: second.runs[0]?.run_id, started_day: '2024-01-13', from: '2024-01-09' });
    expect(await pollState(lake, 's3logs/')).toMatchObject({ started_day: '2024-01-13', from: '2024-01-09' });
  });

  it('waits while the previous poll of a prefix still runs, then continues from where that one started', async () => {
    const lake = await newLake();
    let now = at('2024-01-14T08:00:00Z');
    const handler = handlerFor(lake, { now: () => now, chunkObjects: 2 });
    const poll = { loglake: 'replay-poll', v: 1, bucket: SOURCE, prefixes: ['AWSLogs/'], lookbackDays: 2 };

    const first = (await handler(poll, late())) as ReplayResponse & { ok: true };
    const runId = first.runs[0]?.run_id as string;
    expect(first.runs[0]).toMatchObject({ status: 'running', continued: true });

    now += 15 * 60_000;
    const waiting = (await handler(poll, ample())) as ReplayResponse & { ok: true };
    expect(waiting.runs).toEqual([
      { run_id: runId, bucket: SOURCE, prefix: 'AWSLogs/', status: 'running', enqueued: 0, errors: 0, continued: false, note: `the previous poll ${runId} is still running` },
    ]);
    expect((await pollState(lake, 'AWSLogs/'))?.run_id).toBe(runId);

    await drain(handler, ample);
    expect(sorted(replayed.map((r) => r.key))).toEqual(keysIn('2024-01-12', '2024-01-14', 'AWSLogs/'));
    now += DAY;
    const next = (await handler(poll, ample())) as ReplayResponse & { ok: true };
    expect((await record(lake, next.runs[0]?.run_id as string)).params).toMatchObject({ from: '2024-01-12', to: '2024-01-15' });
  });

  it('takes a poll whose record is an hour quiet for dead, and starts over its whole range', async () => {
    const lake = await newLake();
    let now = at('2024-01-10T08:00:00Z');
    const handler = handlerFor(lake, { now: () => now, chunkObjects: 2 });
    const poll = { loglake: 'replay-poll', v: 1, bucket: SOURCE, prefixes: ['s3logs/'], lookbackDays: 1 };
    expect(((await handler(poll, ample())) as ReplayResponse & { ok: true }).runs[0]?.status).toBe('done');

    // Six days later a poll covers 01-09..01-16, stops at the deadline, and its continuation is lost.
    now = at('2024-01-16T08:00:00Z');
    const lost = (await handler(poll, late())) as ReplayResponse & { ok: true };
    expect(lost.runs[0]?.status).toBe('running');
    expect(await pollState(lake, 's3logs/')).toMatchObject({ run_id: lost.runs[0]?.run_id, started_day: '2024-01-16', from: '2024-01-09' });
    control = [];

    // Within the hour the next poll waits; after it, one starts from where the lost one began.
    now += 30 * 60_000;
    expect(((await handler(poll, ample())) as ReplayResponse & { ok: true }).runs[0]?.note).toMatch(/still running/);
    now += 2 * DAY;
    const next = (await handler(poll, ample())) as ReplayResponse & { ok: true };
    expect(next.runs[0]).toMatchObject({ status: 'done', note: null });
    expect((await record(lake, next.runs[0]?.run_id as string)).params).toMatchObject({ from: '2024-01-09', to: '2024-01-18' });
  });
});

describe('replay function: requests it cannot run', () => {
  it('drops an invalid direct request with an error payload naming the problem', async () => {
    const handler = handlerFor(await newLake());
    const response = await handler({ loglake: 'replay-start', v: 1, run_id: 'yesterday', params: { from: '2024-13-01' } }, ample());
    expect(response).toEqual({
      ok: false,
      error: expect.stringMatching(/^invalid replay request: run_id: must be a run id .*got "yesterday"; params\.bucket: is required .*; params\.from: must be a day YYYY-MM-DD, got "2024-13-01"$/),
    });
    expect(replayed).toEqual([]);
    expect(metricSums()).toEqual({ ReplayEnqueued: 0, ReplayErrors: 1 });
    const logged = telemetry.documents.find((d) => d.message === 'invalid replay request, dropped');
    expect(logged?.level).toBe('ERROR');
  });

  it('fails the SQS record of an invalid request or an unknown run, so it ends in the dead-letter queue, and handles the others', async () => {
    const lake = await newLake();
    const handler = handlerFor(lake);
    const good = newRunId();
    const event = {
      Records: [
        sqsRecord('not json', 'bad-json'),
        sqsRecord(JSON.stringify({ loglake: 'replay-continue', v: 1, run_id: newRunId() }), 'unknown-run'),
        sqsRecord(JSON.stringify(start(good, { prefix: 'cf/', from: '2024-01-05', to: '2024-01-05' })), 'good'),
      ],
    };
    const response = (await handler(event, ample())) as SQSBatchResponse;
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad-json' }, { itemIdentifier: 'unknown-run' }]);
    expect(sorted(replayed.map((r) => r.key))).toEqual(keysIn('2024-01-05', '2024-01-05', 'cf/'));
    expect((await record(lake, good)).status).toBe('done');
    expect(metricSums().ReplayErrors).toBe(2);
    const errors = telemetry.documents.filter((d) => d.level === 'ERROR').map((d) => [d.message, d.messageId, d.code ?? null]);
    expect(errors).toEqual([
      ['invalid replay request', 'bad-json', null],
      ['replay request failed', 'unknown-run', 'no_such_run'],
    ]);
  });

  it('records a listing that fails (no such bucket) in a failed run and counts it as a replay error', async () => {
    const lake = await newLake();
    const runId = newRunId();
    const response = (await handlerFor(lake)({ ...start(runId, { from: '2024-01-05' }), params: { bucket: 'no-such-source', from: '2024-01-05' } }, ample())) as ReplayResponse & { ok: true };
    expect(response.runs[0]).toMatchObject({ status: 'failed', errors: 1, continued: false });
    const r = await record(lake, runId);
    expect(r.status).toBe('failed');
    expect(r.errors[0]?.message).toMatch(/^listing 2024-01-05\.\.2024-01-05: .*no-such-source/);
    expect(metricSums()).toEqual({ ReplayEnqueued: 0, ReplayErrors: 1 });
  });
});
