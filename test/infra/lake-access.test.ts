/**
 * The worker role and the replay role against what the worker and the replay function really do
 * on the central bucket.
 *
 * Three views must agree: the lake layout (`schema/lake-layout.ts`), the grants the synthesized
 * role carries, and the S3 calls the real handler makes, recorded on a local S3 server. The
 * worker ingests two versions of the sample Cost and Usage Report (staged, published, the old
 * version's files deleted), a rewritten report file (its rejected lines replaced) and a CloudTrail
 * trail with its digests, one log file after its digest (the integrity rows and pending entries); the replay
 * function starts a run that continues itself past its deadline, and polls as its schedule asks.
 * Each handler is configured from its synthesized function's own environment. A prefix a function
 * touches without a grant is an AccessDenied on AWS; a grant it never uses is one a bug could abuse.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { loadReplayConfig } from '../../functions/replay/config.js';
import { REPLAY_ENV } from '../../functions/replay/env-names.js';
import { createReplayHandler, type ReplayResponse } from '../../functions/replay/job.js';
import { newRunId } from '../../pipeline/replay/record.js';
import { ASSEMBLIES_PREFIX } from '../../pipeline/formats/billing-assemblies.js';
import { errorsKey, lakeKey, manifestKey } from '../../pipeline/run/identity.js';
import { LAKE_LAYOUT, LAKE_PREFIXES, lakeAreas, type LakeAccess } from '../../schema/lake-layout.js';
import { cloudtrailHistory, writeHistoryToS3 } from '../helpers/cloudtrail-digests.js';
import { lambdaContext, s3Event, sqsEvent } from '../helpers/notifications.js';
import { historyKeys, putHistory } from '../helpers/replay-history.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { localHandler } from '../helpers/worker.js';
import { actionsOf, flat, idOf, REPO, resourcesOf, roleStatements, synth, type CfnResource, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const SOURCE_BUCKET = 'acme-billing-reports';
const CUR_SOURCE = { bucket: SOURCE_BUCKET, prefixes: ['cur/'], format: 'auto' };
const TRAIL_BUCKET = 'acme-trail';
const TRAIL_SOURCE = { bucket: TRAIL_BUCKET, prefixes: ['AWSLogs/'], format: 'cloudtrail' };

/**
 * What S3 authorizes each access as, written from S3's documentation rather than taken from
 * `infra/`, so a wrong mapping there fails here. A write may be a multipart upload, which the
 * sink aborts when it fails; a copy's destination needs tag writes for the tags it carries (a
 * copy that carries none is a put).
 */
const IAM_OF: Readonly<Record<Exclude<LakeAccess, 'list'>, readonly string[]>> = {
  put: ['s3:PutObject', 's3:AbortMultipartUpload'],
  copy: ['s3:PutObject', 's3:PutObjectTagging'],
  get: ['s3:GetObject'],
  delete: ['s3:DeleteObject'],
};

/** The parts of an S3 command input the recorder reads. */
interface S3Input {
  readonly Bucket?: string;
  readonly Key?: string;
  readonly Prefix?: string;
  readonly CopySource?: string;
  readonly TaggingDirective?: string;
  readonly Tagging?: string;
  readonly Delete?: { readonly Objects?: ReadonlyArray<{ readonly Key?: string }> };
}

/** One access to one object (or a listing under a prefix) of one bucket. */
interface Access {
  readonly bucket: string;
  readonly key: string;
  readonly access: LakeAccess;
}

/** Every S3 call of the client while `on` is true, turned into accesses. */
class AccessRecorder {
  on = false;
  readonly accesses: Access[] = [];
  /** Commands the recorder does not know how to classify: a new kind of S3 call to think about. */
  readonly unknown: string[] = [];

  constructor(s3: LocalS3) {
    s3.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.on) return next(args);
        const command = String(context.commandName ?? '');
        const input = args.input as S3Input;
        try {
          const out = await next(args);
          this.record(command, input, false);
          return out;
        } catch (e) {
          this.record(command, input, isNotFound(e));
          throw e;
        }
      },
      { step: 'initialize', name: 'recordLakeAccess' },
    );
  }

  private record(command: string, input: S3Input, missing: boolean): void {
    const bucket = input.Bucket ?? '';
    const add = (key: string, access: LakeAccess): void => void this.accesses.push({ bucket, key, access });
    switch (command) {
      case 'PutObjectCommand':
      case 'CreateMultipartUploadCommand':
      case 'UploadPartCommand':
      case 'CompleteMultipartUploadCommand':
      case 'AbortMultipartUploadCommand':
        return add(input.Key ?? '', 'put');
      case 'CopyObjectCommand': {
        // A copy that replaces the tags with none writes no tags: S3 authorizes it as a PutObject.
        add(input.Key ?? '', input.TaggingDirective === 'REPLACE' && !input.Tagging ? 'put' : 'copy');
        // The copy reads its source: `bucket/key[?versionId=…]`, URL-encoded segment by segment.
        const source = decodeURIComponent((input.CopySource ?? '').replace(/\?.*$/, ''));
        const slash = source.indexOf('/');
        this.accesses.push({ bucket: source.slice(0, slash), key: source.slice(slash + 1), access: 'get' });
        return;
      }
      case 'GetObjectCommand':
      case 'HeadObjectCommand':
        add(input.Key ?? '', 'get');
        // A missing key answers 404 only to a caller allowed to list the bucket.
        if (missing) add(input.Key ?? '', 'list');
        return;
      case 'DeleteObjectCommand':
        return add(input.Key ?? '', 'delete');
      case 'DeleteObjectsCommand':
        for (const o of input.Delete?.Objects ?? []) add(o.Key ?? '', 'delete');
        return;
      case 'ListObjectsV2Command':
      case 'ListObjectsCommand':
        return add(input.Prefix ?? '', 'list');
      default:
        this.unknown.push(command);
    }
  }

  /** What happened under each top-level prefix of `bucket`: `{ 'lake/': ['delete', 'put'] }`. */
  byPrefix(bucket: string): Record<string, LakeAccess[]> {
    const out: Record<string, Set<LakeAccess>> = {};
    for (const a of this.accesses.filter((x) => x.bucket === bucket)) {
      const prefix = a.key.slice(0, a.key.indexOf('/') + 1);
      (out[prefix] ??= new Set()).add(a.access);
    }
    return Object.fromEntries(Object.entries(out).map(([p, set]) => [p, [...set].sort()]));
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return err.$metadata?.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
}

/** The layout as `{ prefix: sorted accesses }` of the worker (or the replay function), with or without the raw archive; prefixes it does not touch are left out. */
function layoutByPrefix(archiveRaw: boolean, user: 'worker' | 'replay' = 'worker'): Record<string, LakeAccess[]> {
  return Object.fromEntries(lakeAreas(archiveRaw).flatMap((a) => (a[user].length > 0 ? [[a.prefix, [...a[user]].sort()]] : [])));
}

/** `<action> <prefix>*` (or `<action> bucket`) of every S3 grant on the central bucket of the worker's (or the replay function's) role, sorted. */
function lakeGrants(s: Synth, user: 'worker' | 'replay' = 'worker'): string[] {
  const bucket = `<${idOf(s, s.stack.storage.bucket)}.Arn>`;
  return roleStatements(s, idOf(s, user === 'worker' ? s.stack.worker.role : s.stack.replay.role))
    .filter((st) => st.Effect === 'Allow')
    .flatMap((st) =>
      actionsOf(st)
        .filter((a) => a.startsWith('s3:'))
        .flatMap((action) =>
          resourcesOf(st)
            .filter((r) => r === bucket || r.startsWith(`${bucket}/`))
            .map((r) => `${action} ${r === bucket ? 'bucket' : r.slice(bucket.length + 1)}`),
        ),
    )
    .sort();
}

/** The grants that accesses by prefix need, in the form of {@link lakeGrants}. */
function grantsFor(byPrefix: Record<string, readonly LakeAccess[]>): string[] {
  const out = new Set<string>();
  for (const [prefix, accesses] of Object.entries(byPrefix)) {
    for (const access of accesses) {
      if (access === 'list') out.add('s3:ListBucket bucket');
      else for (const action of IAM_OF[access]) out.add(`${action} ${prefix}*`);
    }
  }
  return [...out].sort();
}

/** Actions the role allows on an object of a source bucket. */
function sourceActionsOn(s: Synth, bucket: string, key: string): string[] {
  return roleStatements(s, idOf(s, s.stack.worker.role))
    .filter((st) => st.Effect === 'Allow')
    .filter((st) => resourcesOf(st).some((r) => r.endsWith('*') && `arn:<AWS::Partition>:s3:::${bucket}/${key}`.startsWith(r.slice(0, -1))))
    .flatMap(actionsOf);
}

/** The function's `LOGLAKE_*` switches as the template sets them; names and URLs of resources are tokens there. */
function deployedSwitches(s: Synth): Record<string, string> {
  const fn = s.template.toJSON().Resources[idOf(s, s.stack.worker.function)] as CfnResource;
  const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  const skip = new Set<string>([INGEST_ENV.lakeBucket, INGEST_ENV.continuationQueueUrl]);
  return Object.fromEntries(
    Object.entries(vars).filter((e): e is [string, string] => e[0].startsWith('LOGLAKE_') && !skip.has(e[0]) && typeof e[1] === 'string'),
  );
}

const sample = (name: string): Buffer => readFileSync(new URL(`samples/billing/${name}`, REPO));

/**
 * Sends the worker what AWS delivers for a CUR with report versioning, twice, and an
 * "overwrite" report file rewritten once, through the handler built for `lake`.
 */
async function deliverBilling(s3: LocalS3, lake: string, env: Record<string, string>, recorder: AccessRecorder): Promise<void> {
  const handler = localHandler(s3, { lake, env });
  const deliver = async (key: string, body: string | Uint8Array): Promise<void> => {
    await s3.put(SOURCE_BUCKET, key, body);
    recorder.on = true;
    try {
      const response = await handler(sqsEvent(s3Event(SOURCE_BUCKET, [key])), lambdaContext());
      expect(response.batchItemFailures, key).toEqual([]);
    } finally {
      recorder.on = false;
    }
  };
  const manifestText = sample('acme-cur-Manifest.json').toString('utf8');
  const manifest = JSON.parse(manifestText) as { assemblyId: string; reportKeys: string[]; reportName: string };
  const dataKey = manifest.reportKeys[0] as string;
  const assemblyDir = dataKey.slice(0, dataKey.lastIndexOf('/'));
  const periodDir = assemblyDir.slice(0, assemblyDir.lastIndexOf('/'));
  const manifestName = `${manifest.reportName}-Manifest.json`;

  // Version 1: the data file first (staged), then its manifests (published).
  await deliver(dataKey, sample('acme-cur-00001.csv.gz'));
  await deliver(`${assemblyDir}/${manifestName}`, manifestText);
  await deliver(`${periodDir}/${manifestName}`, manifestText);

  // Version 2 under a new assembly id: manifest first, then the data file, which publishes it
  // and deletes the files of version 1.
  const next = `f${manifest.assemblyId.slice(1)}`;
  const nextText = manifestText.replaceAll(manifest.assemblyId, next);
  await deliver(`${assemblyDir.replace(manifest.assemblyId, next)}/${manifestName}`, nextText);
  await deliver(`${periodDir}/${manifestName}`, nextText);
  await deliver(dataKey.replace(manifest.assemblyId, next), sample('acme-cur-00001.csv.gz'));

  // An "overwrite" report file, first with a short row (a rejected line), then clean: the
  // rewrite replaces both its rows and its rejections.
  const overwritten = `${periodDir}/${manifest.reportName}-00002.csv`;
  await deliver(overwritten, sample('bad-short-row.csv'));
  await deliver(overwritten, gunzipSync(sample('acme-cur-00001.csv.gz')));
}

/**
 * Sends the worker a CloudTrail trail with integrity validation on (as the stack turns it on):
 * log files, one of them only after its digest, so the digests' rows are written, the late file
 * waits as a pending entry, the sweep lists them, and its arrival reads and deletes its entry.
 * ListPublicKeys cannot run here and is mocked.
 */
async function deliverTrail(s3: LocalS3, lake: string, env: Record<string, string>, recorder: AccessRecorder): Promise<void> {
  const hour = 3_600_000;
  const from = new Date(Math.floor(Date.now() / hour) * hour - 3 * hour).toISOString();
  const history = cloudtrailHistory({ bucket: TRAIL_BUCKET, trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'org-trail' }], from, hours: 2, logsPerHour: 1 });
  await writeHistoryToS3(history, s3, { createBucket: false });
  const cloudtrail = mockClient(CloudTrailClient);
  cloudtrail.on(ListPublicKeysCommand).resolves({ PublicKeyList: history.publicKeyList() });
  const handler = localHandler(s3, { lake, env });
  const late = history.logKeys[0] as string;
  try {
    for (const keys of [history.logKeys.slice(1), history.digestKeys, [late]]) {
      recorder.on = true;
      try {
        const response = await handler(sqsEvent(s3Event(TRAIL_BUCKET, keys)), lambdaContext());
        expect(response.batchItemFailures, keys.join()).toEqual([]);
      } finally {
        recorder.on = false;
      }
    }
  } finally {
    cloudtrail.restore();
  }
}

describe('the lake layout', () => {
  it('names one top-level key segment per area, none a prefix of another', () => {
    const prefixes = Object.values(LAKE_LAYOUT).map((a) => a.prefix);
    for (const p of prefixes) expect(p, p).toMatch(/^[a-z][a-z0-9-]*\/$/);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('is where the pipeline builds its keys', () => {
    expect(lakeKey('cloudtrail', '2024-05-01', '111122223333', 'eu-west-1', 'id', 0).startsWith(LAKE_PREFIXES.lake)).toBe(true);
    expect(errorsKey('cloudtrail', '2024-05-01', 'id').startsWith(LAKE_PREFIXES.errors)).toBe(true);
    expect(manifestKey('cloudtrail', 'id').startsWith(LAKE_PREFIXES.manifests)).toBe(true);
    expect(ASSEMBLIES_PREFIX.startsWith(LAKE_PREFIXES.assemblies)).toBe(true);
  });

  it('is documented in docs/deploy.md, prefix by prefix with what the worker and the replay job do there', () => {
    const doc = readFileSync(new URL('docs/deploy.md', REPO), 'utf8');
    for (const area of Object.values(LAKE_LAYOUT)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${area.prefix}\` |`));
      expect(row, area.prefix).toBeDefined();
      const [worker = '', replay = ''] = row?.split('|').slice(2, 4) ?? [];
      for (const access of area.worker) expect(worker, area.prefix).toContain(access);
      if (area.worker.length === 0) expect(worker.trim(), area.prefix).toBe('—');
      for (const access of area.replay) expect(replay, area.prefix).toContain(access);
      if (area.replay.length === 0) expect(replay.trim(), area.prefix).toBe('—');
    }
  });

  it('uses the raw archive prefix only with the archive on', () => {
    expect(lakeAreas(false).map((a) => a.prefix)).not.toContain(LAKE_PREFIXES.raw);
    expect(lakeAreas(true).map((a) => a.prefix)).toContain(LAKE_PREFIXES.raw);
  });
});

describe('the worker role on the central bucket, against the worker at work', () => {
  let s3: LocalS3;
  let recorder: AccessRecorder;
  beforeAll(async () => {
    s3 = await startLocalS3();
    recorder = new AccessRecorder(s3);
    await s3.createBucket(SOURCE_BUCKET);
    await s3.createBucket(TRAIL_BUCKET);
  });
  afterAll(async () => {
    await s3.stop();
  });

  for (const archiveRaw of [false, true]) {
    describe(archiveRaw ? 'with the raw archive' : 'without the raw archive', () => {
      const lake = archiveRaw ? 'lake-with-archive' : 'lake-without-archive';
      let s: Synth;
      let start: number;
      let observed: Record<string, LakeAccess[]>;
      beforeAll(async () => {
        s = synth({ sources: [CUR_SOURCE, TRAIL_SOURCE], lake: { archiveRaw } });
        await s3.createBucket(lake);
        start = recorder.accesses.length;
        await deliverBilling(s3, lake, deployedSwitches(s), recorder);
        await deliverTrail(s3, lake, deployedSwitches(s), recorder);
        observed = recorder.byPrefix(lake);
      }, SYNTH_TIMEOUT_MS);

      it('makes only S3 calls the recorder knows how to authorize', () => {
        expect(recorder.unknown).toEqual([]);
      });

      it('does on the central bucket exactly what the layout lists, prefix by prefix', () => {
        expect(observed).toEqual(layoutByPrefix(archiveRaw));
      });

      it('grants the role exactly what the layout lists, and nothing under any other prefix', () => {
        expect(lakeGrants(s)).toEqual(grantsFor(layoutByPrefix(archiveRaw)));
      });

      it('grants the role everything the worker did, and nothing it did not', () => {
        expect(lakeGrants(s)).toEqual(grantsFor(observed));
      });

      it('lets the role read every source object the worker read, with the tags a copy carries', () => {
        const reads = recorder.accesses.slice(start).filter((a) => a.bucket === SOURCE_BUCKET);
        expect(reads.length).toBeGreaterThan(0);
        const copied = new Set(recorder.accesses.slice(start).filter((a) => a.bucket === lake && a.access === 'copy').map((a) => a.key));
        expect(copied.size > 0).toBe(archiveRaw);
        for (const r of reads) {
          expect(r.access, r.key).toBe('get');
          expect(sourceActionsOn(s, r.bucket, r.key), r.key).toContain('s3:GetObject');
          if (archiveRaw) expect(sourceActionsOn(s, r.bucket, r.key), r.key).toContain('s3:GetObjectTagging');
        }
      });
    });
  }
});

/** Whether the role may list `bucket` under `prefix`: `ListBucket` on the bucket, with no `s3:prefix` condition or one it matches. */
function mayList(s: Synth, roleId: string, bucket: string, prefix: string): boolean {
  return roleStatements(s, roleId)
    .filter((st) => st.Effect === 'Allow' && actionsOf(st).includes('s3:ListBucket'))
    .filter((st) => resourcesOf(st).includes(`arn:<AWS::Partition>:s3:::${bucket}`))
    .some((st) => {
      const patterns = st.Condition?.StringLike?.['s3:prefix'];
      if (patterns === undefined) return Object.keys(st.Condition ?? {}).length === 0;
      return [patterns].flat().some((p) => typeof p === 'string' && p.endsWith('*') && !p.slice(0, -1).includes('*') && prefix.startsWith(p.slice(0, -1)));
    });
}

describe('the replay role on the central bucket and the sources, against the replay function at work', () => {
  const HISTORY = 'acme-polled-history';
  const LAKE = 'lake-of-replays';
  const source = { bucket: HISTORY, prefixes: ['AWSLogs/', 's3logs/'], format: 'auto', notification: 'poll', pollLookbackDays: 2 };
  let s3: LocalS3;
  let recorder: AccessRecorder;
  let s: Synth;
  let observed: Record<string, LakeAccess[]>;
  let enqueued = 0;
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const sqsMock = mockClient(sqs);

  beforeAll(async () => {
    s = synth({ sources: [source] });
    s3 = await startLocalS3();
    recorder = new AccessRecorder(s3);
    await s3.createBucket(LAKE);
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    await putHistory(s3, HISTORY, historyKeys({ from, days: 11, accounts: 2, orgAccounts: 1, regions: ['us-east-1'], every: 2 }));

    const control: string[] = [];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      enqueued += input.Entries.length;
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
    });
    sqsMock.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      control.push(input.MessageBody);
      return { MessageId: 'c' };
    });
    // The function's own switches as the template sets them; names and URLs of resources are tokens there.
    const fn = s.template.toJSON().Resources[idOf(s, s.stack.replay.function)] as CfnResource;
    const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const switches = Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[0].startsWith('LOGLAKE_') && typeof e[1] === 'string'));
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new Metrics({ namespace: 'Loglake', serviceName: 'loglake-test' });
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    const handler = createReplayHandler({
      config: loadReplayConfig({
        ...switches,
        [REPLAY_ENV.lakeBucket]: LAKE,
        [REPLAY_ENV.replayQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/replay',
        [REPLAY_ENV.controlQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/replay-control',
        [REPLAY_ENV.s3Endpoint]: s3.endpoint,
      }),
      s3: s3.client,
      sqs,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
      producer: { chunkObjects: 3 },
    });
    // The poll exactly as the schedule sends it.
    const rule = s.resources('AWS::Events::Rule').find(([, r]) => r.Properties.ScheduleExpression !== undefined)?.[1];
    const poll = JSON.parse((rule?.Properties.Targets as Array<{ Input: string }>)[0]?.Input ?? 'null') as unknown;

    recorder.on = true;
    try {
      // A deployed run short of time continues itself through its control queue, then the schedule polls.
      const start = { loglake: 'replay-start', v: 1, run_id: newRunId(), params: { bucket: HISTORY, prefix: 'AWSLogs/', from, to: today } };
      const started = (await handler(start, lambdaContext(() => 5_000))) as ReplayResponse & { ok: true };
      expect(started.runs[0]?.continued).toBe(true);
      while (control.length > 0) expect(((await handler(sqsEvent(control.shift() as string), lambdaContext())) as SQSBatchResponse).batchItemFailures).toEqual([]);
      const polled = (await handler(poll, lambdaContext())) as ReplayResponse & { ok: true };
      expect(polled.runs.map((r) => [r.prefix, r.status])).toEqual([
        ['AWSLogs/', 'done'],
        ['s3logs/', 'done'],
      ]);
      expect((await handler(poll, lambdaContext())) as ReplayResponse).toMatchObject({ ok: true });
    } finally {
      recorder.on = false;
    }
    observed = recorder.byPrefix(LAKE);
  }, SYNTH_TIMEOUT_MS);

  afterAll(async () => {
    sqsMock.restore();
    await s3.stop();
  });

  it('enqueued objects, so it listed sources and read manifests', () => {
    expect(enqueued).toBeGreaterThan(10);
    expect(recorder.unknown).toEqual([]);
  });

  it('does on the central bucket exactly what the layout lists for the replay job, prefix by prefix', () => {
    expect(observed).toEqual(layoutByPrefix(false, 'replay'));
  });

  it('grants the replay role exactly what the layout lists, and nothing under any other prefix', () => {
    expect(lakeGrants(s, 'replay')).toEqual(grantsFor(layoutByPrefix(false, 'replay')));
    expect(lakeGrants(s, 'replay')).toEqual(grantsFor(observed));
  });

  it('never reads a source object, and may list every source prefix it listed', () => {
    const sourceCalls = recorder.accesses.filter((a) => a.bucket === HISTORY);
    expect(sourceCalls.length).toBeGreaterThan(0);
    for (const a of sourceCalls) {
      expect(a.access, a.key).toBe('list');
      expect(mayList(s, idOf(s, s.stack.replay.role), HISTORY, a.key), a.key).toBe(true);
    }
    expect(mayList(s, idOf(s, s.stack.replay.role), HISTORY, 'cf/')).toBe(false);
    expect(mayList(s, idOf(s, s.stack.replay.role), HISTORY, '')).toBe(false);
  });
});
