/**
 * The RDS log exporter's handler against a real S3 API (s3rver), with RDS (a fake log file API,
 * `fake-rds.ts`) and SQS mocked: what it writes and announces on a first run, that a run with
 * nothing new writes nothing, that appended lines are fetched from the recorded marker, that a
 * deadline mid-file resumes exactly there, rotations (shrinking, replaced and renamed files), a
 * marker RDS refuses, a portion cut at 1 MB, messages that could not be sent, instances that do not
 * exist or may not be read. "Nothing lost or repeated" is checked the strict way: the objects
 * written for a file, concatenated in key order, are exactly the file's content.
 */
import { gunzipSync } from 'node:zlib';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadRdsExportConfig } from '../../../functions/rds-export/config.js';
import { RDS_EXPORT_ENV, RDS_EXPORT_METRICS } from '../../../functions/rds-export/env-names.js';
import { PROBE_LINES } from '../../../functions/rds-export/export.js';
import { createRdsExportHandler, shareOf, type RdsExportResponse } from '../../../functions/rds-export/job.js';
import { SdkRdsLogs } from '../../../functions/rds-export/rds.js';
import { fileNameSegments, parseState, RETIRED_KEEP_MS, stateKey, type InstanceState } from '../../../functions/rds-export/state.js';
import { lambdaContext } from '../../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { capturedTelemetry } from '../../helpers/worker.js';
import { FakeRds, logLines } from './fake-rds.js';
import { waitForPutsToLand } from './s3-landed.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/loglake-replay';
const T0 = Date.parse('2024-05-01T14:00:00Z');

let s3: LocalS3;
let lakes = 0;
const sqsClient = new SQSClient({ region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const sqs = mockClient(sqsClient);
/** Keys announced by replay messages, in order, with the bucket they name. */
let announced: Array<{ bucket: string; key: string }>;
/** When set, SendMessageBatch fails as a whole (the queue is unreachable). */
let sqsDown: boolean;
let rds: FakeRds;
let clock: number;
/** The EMF documents of the last run. */
let lastMetrics: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  s3 = await startLocalS3();
  waitForPutsToLand(s3);
});
afterAll(async () => {
  sqs.restore();
  await s3.stop();
});
beforeEach(() => {
  announced = [];
  sqsDown = false;
  clock = T0;
  rds = new FakeRds();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
    expect(input.QueueUrl).toBe(QUEUE_URL);
    if (sqsDown) throw Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    for (const e of input.Entries) {
      const body = JSON.parse(e.MessageBody ?? '') as unknown;
      expect(body).toEqual({ loglake: 'replay', v: 1, objects: [{ bucket: expect.any(String), key: expect.any(String) }] });
      announced.push((body as { objects: Array<{ bucket: string; key: string }> }).objects[0] as { bucket: string; key: string });
    }
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })), Failed: [] };
  });
});
afterEach(() => {
  rds.mock.restore();
});

async function newLake(): Promise<string> {
  const name = `rds-export-lake-${++lakes}`;
  await s3.createBucket(name);
  return name;
}

interface RunOptions {
  /** `LOGLAKE_RDS_INSTANCES`. @default one instance `db-1`, every file */
  readonly instances?: ReadonlyArray<{ identifier: string; logFiles?: string[] }>;
  readonly lines?: number;
  readonly objectBytes?: number;
  /** Remaining time of the invocation, asked before every download. */
  readonly remaining?: () => number;
  readonly env?: Record<string, string>;
}

/** Builds the handler as the deployed function would from its environment and runs one invocation. */
async function run(lake: string, opts: RunOptions = {}): Promise<RdsExportResponse> {
  const config = loadRdsExportConfig({
    [RDS_EXPORT_ENV.lakeBucket]: lake,
    [RDS_EXPORT_ENV.replayQueueUrl]: QUEUE_URL,
    [RDS_EXPORT_ENV.instances]: JSON.stringify(opts.instances ?? [{ identifier: 'db-1' }]),
    [RDS_EXPORT_ENV.account]: ACCOUNT,
    [RDS_EXPORT_ENV.region]: REGION,
    [RDS_EXPORT_ENV.linesPerPortion]: String(opts.lines ?? 7),
    [RDS_EXPORT_ENV.objectBytes]: String(opts.objectBytes ?? 2048),
    [RDS_EXPORT_ENV.s3Endpoint]: s3.endpoint,
    ...opts.env,
  });
  const telemetry = capturedTelemetry();
  try {
    const handler = createRdsExportHandler({
      config,
      s3: s3.client,
      sqs: sqsClient,
      rds: new SdkRdsLogs(rds.client),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: telemetry.metrics,
      now: () => clock,
      sendPolicy: { sleep: async () => undefined, attempts: 2 },
    });
    const response = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext(opts.remaining));
    lastMetrics = telemetry.documents.filter((d) => d._aws !== undefined);
    return response;
  } finally {
    telemetry.restore();
  }
}

const folderOf = (instance: string, file: string): string => `raw/rds/${ACCOUNT}/${REGION}/${instance}/${fileNameSegments(file)}/`;

/** Every object written for a log file name, in key order, decompressed. */
async function objectsOf(lake: string, instance: string, file: string): Promise<Array<{ key: string; text: string }>> {
  const keys = await s3.list(lake, folderOf(instance, file));
  return Promise.all(keys.map(async (key) => ({ key, text: gunzipSync((await s3.get(lake, key)) as Buffer).toString('utf8') })));
}

/** The content exported for a log file name, generation by generation. */
async function exported(lake: string, instance: string, file: string): Promise<string[]> {
  const byGen = new Map<string, string>();
  for (const o of await objectsOf(lake, instance, file)) {
    const gen = o.key.slice(folderOf(instance, file).length).split('/')[0] as string;
    byGen.set(gen, (byGen.get(gen) ?? '') + o.text);
  }
  return [...byGen.values()];
}

async function stateOf(lake: string, instance = 'db-1'): Promise<InstanceState> {
  const bytes = await s3.get(lake, stateKey(ACCOUNT, REGION, instance));
  expect(bytes, 'state object').not.toBeNull();
  const state = parseState(bytes as Buffer, 'state');
  if (typeof state === 'string') throw new Error(state);
  return state;
}

/** Every object under the instance's folder. */
const allObjects = (lake: string, instance = 'db-1'): Promise<string[]> => s3.list(lake, `raw/rds/${ACCOUNT}/${REGION}/${instance}/`);

/** Each written object announced exactly once, naming the lake bucket, and nothing else announced. */
async function expectAnnouncedOnce(lake: string): Promise<void> {
  const keys = await s3.list(lake, 'raw/');
  expect(announced.map((a) => a.bucket).every((b) => b === lake)).toBe(true);
  expect(announced.map((a) => a.key).sort()).toEqual(keys);
}

const metric = (name: string): number => lastMetrics.reduce((n, d) => n + (typeof d[name] === 'number' ? (d[name] as number) : 0), 0);

const PG_1 = 'error/postgresql.log.2024-05-01-12';
const PG_2 = 'error/postgresql.log.2024-05-01-13';
const SLOW = 'slowquery/mysql-slowquery.log';

describe('a first run', () => {
  it('downloads every portion of every selected file, writes gzipped objects, its state and one replay message per object', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 60), T0 - 3_600_000);
    rds.put('db-1', PG_2, logLines('b', 0, 25), T0 - 60_000);
    rds.put('db-1', 'error/mysql-error.log', 'duplicated in the running log\n', T0 - 60_000);
    rds.put('db-1', 'trace/alert_ORCL.log', 'not selected\n', T0 - 60_000);
    rds.put('db-1', 'empty/file.log', '', T0 - 60_000);
    const response = await run(lake, { instances: [{ identifier: 'db-1', logFiles: ['error/', 'empty/'] }] });

    expect(response.instances).toEqual([expect.objectContaining({ instance: 'db-1', status: 'done', files: 3, error: null })]);
    expect(await exported(lake, 'db-1', PG_1)).toEqual([rds.content('db-1', PG_1)]);
    expect(await exported(lake, 'db-1', PG_2)).toEqual([rds.content('db-1', PG_2)]);
    // Several objects for the larger file, each named by generation and sequence.
    const keys = (await objectsOf(lake, 'db-1', PG_1)).map((o) => o.key.slice(folderOf('db-1', PG_1).length));
    expect(keys.length).toBeGreaterThan(2);
    expect(keys.every((k, i) => new RegExp(`^\\d{10}/${String(i + 1).padStart(6, '0')}\\.log\\.gz$`).test(k))).toBe(true);
    // The duplicate error log, the unselected file and the empty file wrote nothing.
    expect((await allObjects(lake)).filter((k) => !k.includes('/error/postgresql.log.'))).toEqual([]);
    await expectAnnouncedOnce(lake);
    expect(announced.length).toBe((await allObjects(lake)).length);

    const state = await stateOf(lake);
    expect(state).toMatchObject({ instance: 'db-1', account: ACCOUNT, region: REGION, pending: [], retired: [] });
    expect(Object.keys(state.files).sort()).toEqual(['empty/file.log', PG_1, PG_2]);
    expect(state.files[PG_1]).toMatchObject({ complete: true, skip: 0, bytes: Buffer.byteLength(rds.content('db-1', PG_1)), size: Buffer.byteLength(rds.content('db-1', PG_1)), seq: keys.length });
    expect(state.files['empty/file.log']).toMatchObject({ complete: true, bytes: 0, seq: 0, fingerprint: null });
    expect(metric(RDS_EXPORT_METRICS.objects)).toBe(announced.length);
    expect(metric(RDS_EXPORT_METRICS.errors)).toBe(0);
    // Every download of a file continues where the previous one ended.
    for (const file of [PG_1, PG_2]) {
      const calls = rds.callsOf(file);
      expect(calls[0]?.marker).toBe('0');
      expect(new Set(calls.map((c) => c.marker)).size).toBe(calls.length);
    }
  });

  it('writes nothing on a second run when nothing changed, and does not download at all', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 30), T0 - 60_000);
    await run(lake);
    const objects = await allObjects(lake);
    const messages = announced.length;
    const before = rds.downloads.length;
    clock += 15 * 60_000;
    const response = await run(lake);
    expect(response.instances[0]).toMatchObject({ status: 'done', objects: 0, messages: 0 });
    expect(rds.downloads.length).toBe(before);
    expect(await allObjects(lake)).toEqual(objects);
    expect(announced.length).toBe(messages);
    // The state is rewritten all the same, so the lake's retention never expires it.
    expect((await stateOf(lake)).updated_at).toBe(new Date(clock).toISOString());
  });
});

describe('appended lines', () => {
  it('are fetched from the recorded marker only, after a small probe of the beginning', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_2, logLines('b', 0, 20), T0 - 60_000);
    await run(lake);
    const marker = (await stateOf(lake)).files[PG_2]?.marker as string;
    const firstObjects = await objectsOf(lake, 'db-1', PG_2);
    rds.downloads.length = 0;
    rds.append('db-1', PG_2, logLines('b', 20, 13), T0);
    clock += 15 * 60_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', retired: 0 });
    const calls = rds.callsOf(PG_2);
    // One probe of the beginning (does the file still begin with what was exported?), then the new lines.
    expect(calls[0]).toMatchObject({ marker: '0', lines: PROBE_LINES });
    expect(calls[1]?.marker).toBe(marker);
    expect(calls.slice(1).every((c) => c.marker !== '0')).toBe(true);
    const objects = await objectsOf(lake, 'db-1', PG_2);
    expect(objects.slice(0, firstObjects.length)).toEqual(firstObjects);
    expect(objects.slice(firstObjects.length).map((o) => o.text).join('')).toBe(logLines('b', 20, 13));
    expect(await exported(lake, 'db-1', PG_2)).toEqual([rds.content('db-1', PG_2)]);
    await expectAnnouncedOnce(lake);
  });
});

describe('the deadline', () => {
  it('stops mid-file with the margin, and the next run resumes exactly where it stopped', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 90), T0 - 3_600_000);
    rds.put('db-1', PG_2, logLines('b', 0, 40), T0 - 60_000);
    // Some downloads in, less than the 30 s margin is left.
    let asked = 0;
    const remaining = (): number => (++asked > 10 ? 10_000 : 600_000);
    const first = await run(lake, { remaining, objectBytes: 1500 });
    expect(first.instances[0]).toMatchObject({ status: 'stopped' });
    const state = await stateOf(lake);
    expect(state.files[PG_1]?.complete).toBe(false);
    expect(state.pending).toEqual([]);
    const written = await allObjects(lake);
    expect(written.length).toBeGreaterThan(0);
    await expectAnnouncedOnce(lake);
    const stoppedAt = state.files[PG_1]?.marker;

    clock += 15 * 60_000;
    const second = await run(lake, { objectBytes: 1500 });
    expect(second.instances[0]).toMatchObject({ status: 'done' });
    expect(rds.callsOf(PG_1).filter((c) => c.marker === stoppedAt)).toHaveLength(1);
    expect(await exported(lake, 'db-1', PG_1)).toEqual([rds.content('db-1', PG_1)]);
    expect(await exported(lake, 'db-1', PG_2)).toEqual([rds.content('db-1', PG_2)]);
    await expectAnnouncedOnce(lake);
  });

  it('gives each instance a fair share of the time left, time unused passing to the next', () => {
    expect(shareOf(630_000, 30_000, 0, 3)).toBe(30_000 + 400_000);
    expect(shareOf(630_000, 30_000, 2, 3)).toBe(30_000);
    expect(shareOf(20_000, 30_000, 0, 2)).toBe(30_000);
  });
});

describe('rotation', () => {
  it('a live file that shrank: the new content from its beginning, and the rest of the old one from where it was renamed to', async () => {
    const lake = await newLake();
    const rotated = 'slowquery/mysql-slowquery.log.2024-05-01.13';
    rds.put('db-1', SLOW, logLines('slow-13', 0, 30), T0 - 60_000);
    await run(lake);
    // At the hour the live file is renamed with 12 more lines, and a new live file starts.
    rds.append('db-1', SLOW, logLines('slow-13', 30, 12), T0);
    rds.rename('db-1', SLOW, rotated);
    rds.put('db-1', SLOW, logLines('slow-14', 0, 8), T0 + 60_000);
    clock += 15 * 60_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', retired: 1, renamed: 1 });
    // The first content stays as written; the live file's new content is a new generation.
    expect(await exported(lake, 'db-1', SLOW)).toEqual([logLines('slow-13', 0, 30), logLines('slow-14', 0, 8)]);
    // Under the rotated name only what was not yet exported.
    expect(await exported(lake, 'db-1', rotated)).toEqual([logLines('slow-13', 30, 12)]);
    expect((await stateOf(lake)).files[rotated]).toMatchObject({ renamed_from: SLOW, bytes: Buffer.byteLength(logLines('slow-13', 0, 42)), complete: true });
    await expectAnnouncedOnce(lake);
  });

  it('a name reused for a new, longer content (hour-of-day names): the new content whole, the old one untouched', async () => {
    const lake = await newLake();
    const hourly = 'slowquery/mysql-slowquery.log.13';
    rds.put('db-1', hourly, logLines('day-1', 0, 10), T0 - 86_400_000);
    await run(lake);
    const before = await objectsOf(lake, 'db-1', hourly);
    rds.put('db-1', hourly, logLines('day-2', 0, 30), T0);
    clock += 86_400_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', retired: 1, renamed: 0 });
    expect(await exported(lake, 'db-1', hourly)).toEqual([logLines('day-1', 0, 10), logLines('day-2', 0, 30)]);
    expect((await objectsOf(lake, 'db-1', hourly)).slice(0, before.length)).toEqual(before);
    await expectAnnouncedOnce(lake);
  });

  it('names that shift at each rotation (audit/server_audit.log → .1 → .2) export every line once', async () => {
    const lake = await newLake();
    const [live, one, two] = ['audit/server_audit.log', 'audit/server_audit.log.1', 'audit/server_audit.log.2'];
    rds.put('db-1', one, logLines('audit-1', 0, 20), T0 - 7_200_000);
    rds.put('db-1', live, logLines('audit-2', 0, 15), T0 - 60_000);
    await run(lake);
    // Rotation: .1 becomes .2, the live file (5 lines longer) becomes .1, a new live file starts.
    rds.append('db-1', live, logLines('audit-2', 15, 5), T0);
    rds.rename('db-1', one, two);
    rds.rename('db-1', live, one);
    rds.put('db-1', live, logLines('audit-3', 0, 9), T0 + 60_000);
    clock += 15 * 60_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', renamed: 2 });
    const all = (
      await Promise.all([live, one, two].map(async (f) => (await exported(lake, 'db-1', f)).join('')))
    ).join('');
    const expected = [logLines('audit-1', 0, 20), logLines('audit-2', 0, 20), logLines('audit-3', 0, 9)];
    expect(all.length).toBe(expected.join('').length);
    for (const text of expected) for (const line of text.split('\n').filter(Boolean)) expect(all.split(`${line}\n`).length - 1, line).toBe(1);
    expect(await exported(lake, 'db-1', two)).toEqual([]);
    expect(await exported(lake, 'db-1', one)).toEqual([logLines('audit-1', 0, 20), logLines('audit-2', 15, 5)]);
    await expectAnnouncedOnce(lake);
  });

  it('forgets a content that left its name after two days', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 5), T0 - 60_000);
    await run(lake);
    rds.remove('db-1', PG_1);
    clock += 60_000;
    await run(lake);
    expect((await stateOf(lake)).retired.map((r) => r.name)).toEqual([PG_1]);
    expect((await stateOf(lake)).files).toEqual({});
    clock += RETIRED_KEEP_MS + 60_000;
    await run(lake);
    expect((await stateOf(lake)).retired).toEqual([]);
  });
});

describe('a marker RDS refuses', () => {
  it('on the same content: read again from the beginning, the bytes already exported skipped', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_2, logLines('b', 0, 20), T0 - 60_000);
    await run(lake);
    rds.append('db-1', PG_2, logLines('b', 20, 16), T0);
    rds.refuseNextMarker.add(PG_2);
    clock += 15 * 60_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', restarted: 1, retired: 0 });
    expect(await exported(lake, 'db-1', PG_2)).toEqual([rds.content('db-1', PG_2)]);
    expect((await stateOf(lake)).files[PG_2]).toMatchObject({ skip: 0, complete: true, bytes: Buffer.byteLength(rds.content('db-1', PG_2)) });
    await expectAnnouncedOnce(lake);
  });

  it('on a content replaced in place: a new generation from the beginning, nothing of the old one again', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 40), T0 - 60_000);
    // The deadline stops the first run part-way.
    let asked = 0;
    await run(lake, { remaining: () => (++asked > 4 ? 1_000 : 600_000) });
    const partial = await stateOf(lake);
    expect(partial.files[PG_1]?.complete).toBe(false);
    // Same name, size and time, other bytes (a restore, say): the listing cannot tell, the marker can.
    const replacement = logLines('z', 0, 40);
    expect(replacement.length).toBe(rds.content('db-1', PG_1).length);
    const exportedBefore = (await exported(lake, 'db-1', PG_1))[0] as string;
    rds.put('db-1', PG_1, replacement, T0 - 60_000);
    clock += 15 * 60_000;
    const response = await run(lake);

    expect(response.instances[0]).toMatchObject({ status: 'done', retired: 1, restarted: 0 });
    expect(await exported(lake, 'db-1', PG_1)).toEqual([exportedBefore, replacement]);
    await expectAnnouncedOnce(lake);
  });
});

describe('RDS limits and failures', () => {
  it('asks again with fewer lines when RDS cuts a portion at 1 MB, so nothing is lost', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 40), T0 - 60_000);
    // Portions over ~3 lines are cut here, as RDS cuts them over 1 MB.
    rds.truncateOver = 300;
    await run(lake, { lines: 16 });
    expect(await exported(lake, 'db-1', PG_1)).toEqual([rds.content('db-1', PG_1)]);
    expect(new Set(rds.callsOf(PG_1).map((c) => c.lines))).toEqual(new Set([16, 8, 4, 2]));
  });

  it('keeps messages it could not send pending in the state, and sends them first next run', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 30), T0 - 60_000);
    sqsDown = true;
    const first = await run(lake);
    expect(first.instances[0]).toMatchObject({ status: 'failed', error: expect.objectContaining({ code: 'service_unavailable' }) });
    const state = await stateOf(lake);
    expect(state.pending.length).toBeGreaterThan(0);
    expect(state.pending.sort()).toEqual(await allObjects(lake));
    expect(metric(RDS_EXPORT_METRICS.errors)).toBe(1);

    sqsDown = false;
    clock += 15 * 60_000;
    const second = await run(lake);
    expect(second.instances[0]).toMatchObject({ status: 'done', objects: 0, messages: state.pending.length });
    expect((await stateOf(lake)).pending).toEqual([]);
    await expectAnnouncedOnce(lake);
  });

  it('writes the same keys again after a run that died before saving its state, so nothing is doubled', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 30), T0 - 60_000);
    // Every state write fails in the first run, as if it died after writing the objects.
    let failStates = true;
    s3.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (failStates && context.commandName === 'PutObjectCommand' && input.Key?.startsWith('rds-export/')) {
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failStateWrites' },
    );
    try {
      const first = await run(lake);
      expect(first.instances[0]?.status).toBe('failed');
    } finally {
      failStates = false;
      s3.client.middlewareStack.remove('failStateWrites');
    }
    const orphans = await allObjects(lake);
    expect(orphans.length).toBe(1);
    expect(announced).toEqual([]);
    const second = await run(lake);
    expect(second.instances[0]?.status).toBe('done');
    expect(await allObjects(lake)).toEqual(expect.arrayContaining(orphans));
    expect(await exported(lake, 'db-1', PG_1)).toEqual([rds.content('db-1', PG_1)]);
    await expectAnnouncedOnce(lake);
  });

  it('reports an instance that does not exist and one it may not read with clear errors, and exports the others', async () => {
    const lake = await newLake();
    rds.put('db-ok', PG_1, logLines('a', 0, 10), T0 - 60_000);
    rds.put('db-denied', PG_1, logLines('x', 0, 10), T0 - 60_000);
    rds.denied.add('db-denied');
    const response = await run(lake, { instances: [{ identifier: 'db-gone' }, { identifier: 'db-denied' }, { identifier: 'db-ok' }] });

    expect(response.instances.map((r) => [r.instance, r.status, r.error?.code ?? null])).toEqual([
      ['db-gone', 'failed', 'instance_not_found'],
      ['db-denied', 'failed', 'access_denied'],
      ['db-ok', 'done', null],
    ]);
    expect(response.instances[0]?.error?.message).toMatch(/db-gone: no such DB instance in this account and region/);
    expect(response.instances[1]?.error?.message).toMatch(/DescribeDBLogFiles of db-denied: access denied/);
    expect(await exported(lake, 'db-ok', PG_1)).toEqual([rds.content('db-ok', PG_1)]);
    expect(metric(RDS_EXPORT_METRICS.errors)).toBe(2);
    await expectAnnouncedOnce(lake);
  });

  it('refuses to start over from an unreadable state, which would export everything again', async () => {
    const lake = await newLake();
    rds.put('db-1', PG_1, logLines('a', 0, 10), T0 - 60_000);
    await s3.put(lake, stateKey(ACCOUNT, REGION, 'db-1'), '{"v":1,"files":[]}');
    const response = await run(lake);
    expect(response.instances[0]).toMatchObject({ status: 'failed', error: { code: 'invalid_state', message: expect.stringMatching(/is not an RDS export state: .*removing it exports again everything/) } });
    expect(await allObjects(lake)).toEqual([]);
  });
});

describe('the configuration', () => {
  const base = {
    [RDS_EXPORT_ENV.lakeBucket]: 'lake',
    [RDS_EXPORT_ENV.replayQueueUrl]: QUEUE_URL,
    [RDS_EXPORT_ENV.instances]: '[{"identifier":"db-1"}]',
    [RDS_EXPORT_ENV.account]: ACCOUNT,
    [RDS_EXPORT_ENV.region]: REGION,
  };

  it('has defaults for everything but the bucket, the queue, the instances, the account and the region', () => {
    expect(loadRdsExportConfig(base)).toEqual({
      lakeBucket: 'lake',
      replayQueueUrl: QUEUE_URL,
      instances: [{ identifier: 'db-1', logFiles: [''] }],
      account: ACCOUNT,
      region: REGION,
      deadlineMarginMs: 30_000,
      linesPerPortion: 1000,
      objectBytes: 8 * 1024 * 1024,
      s3Endpoint: null,
    });
  });

  it('names every missing or wrong variable at once', () => {
    expect(() => loadRdsExportConfig({})).toThrow(
      /LOGLAKE_LAKE_BUCKET: is required.*LOGLAKE_REPLAY_QUEUE_URL: is required.*LOGLAKE_RDS_INSTANCES: is required.*LOGLAKE_RDS_ACCOUNT: is required.*LOGLAKE_RDS_REGION: is required/,
    );
    expect(() => loadRdsExportConfig({ ...base, [RDS_EXPORT_ENV.account]: '123', [RDS_EXPORT_ENV.linesPerPortion]: '20000', LOGLAKE_RDS_TYPO: 'x' })).toThrow(
      /LOGLAKE_RDS_TYPO: unknown environment variable.*LOGLAKE_RDS_ACCOUNT: must be a 12-digit AWS account id.*LOGLAKE_RDS_LINES_PER_PORTION: must be an integer from 1 to 10000/,
    );
  });

  it('refuses instances that are not JSON, bad identifiers, duplicates and pattern prefixes', () => {
    const bad = (instances: string): string => {
      try {
        loadRdsExportConfig({ ...base, [RDS_EXPORT_ENV.instances]: instances });
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad('db-1')).toMatch(/LOGLAKE_RDS_INSTANCES: must be JSON/);
    expect(bad('[]')).toMatch(/LOGLAKE_RDS_INSTANCES: must be a non-empty array of instances/);
    expect(bad('[{"identifier":"DB_1"}]')).toMatch(/LOGLAKE_RDS_INSTANCES\[0\]\.identifier: must be a DB instance identifier/);
    expect(bad('[{"identifier":"db--1"}]')).toMatch(/identifier: must be a DB instance identifier/);
    expect(bad('[{"identifier":"db-1"},{"identifier":"db-1"}]')).toMatch(/LOGLAKE_RDS_INSTANCES\[1\]\.identifier: "db-1" is listed twice/);
    expect(bad('[{"identifier":"db-1","logFiles":["error/*"]}]')).toMatch(/logFiles\[0\]: must not contain \* or \?/);
    expect(bad('[{"identifier":"db-1","logFiles":[]}]')).toMatch(/logFiles: must be a non-empty array/);
    expect(bad('[{"identifier":"db-1","region":"us-east-1"}]')).toMatch(/LOGLAKE_RDS_INSTANCES\[0\]\.region: unknown key/);
  });
});
