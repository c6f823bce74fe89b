/**
 * The worker role against what the worker really does on the central bucket.
 *
 * Three views must agree: the lake layout (`schema/lake-layout.ts`), the grants the synthesized
 * role carries, and the S3 calls the real ingest handler makes, recorded on a local S3 server
 * while it ingests two versions of the sample Cost and Usage Report (staged, published, the old
 * version's files deleted) and a rewritten report file (its rejected lines replaced), with the
 * handler configured from the synthesized function's own environment. A prefix the worker
 * touches without a grant is an AccessDenied on AWS; a grant the worker never uses is one a
 * bug could abuse.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { ASSEMBLIES_PREFIX } from '../../pipeline/formats/billing-assemblies.js';
import { errorsKey, lakeKey, manifestKey } from '../../pipeline/run/identity.js';
import { LAKE_LAYOUT, LAKE_PREFIXES, lakeAreas, type LakeAccess } from '../../schema/lake-layout.js';
import { lambdaContext, s3Event, sqsEvent } from '../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { localHandler } from '../helpers/worker.js';
import { actionsOf, flat, idOf, REPO, resourcesOf, roleStatements, synth, type CfnResource, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const SOURCE_BUCKET = 'acme-billing-reports';
const CUR_SOURCE = { bucket: SOURCE_BUCKET, prefixes: ['cur/'], format: 'auto' };

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

/** The layout as `{ prefix: sorted accesses }` for a deployment with or without the raw archive. */
function layoutByPrefix(archiveRaw: boolean): Record<string, LakeAccess[]> {
  return Object.fromEntries(lakeAreas(archiveRaw).map((a) => [a.prefix, [...a.worker].sort()]));
}

/** `<action> <prefix>*` (or `<action> bucket`) of every S3 grant on the central bucket, sorted. */
function lakeGrants(s: Synth): string[] {
  const bucket = `<${idOf(s, s.stack.storage.bucket)}.Arn>`;
  return roleStatements(s, idOf(s, s.stack.worker.role))
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

  it('is documented in docs/deploy.md, prefix by prefix with what the worker does there', () => {
    const doc = readFileSync(new URL('docs/deploy.md', REPO), 'utf8');
    for (const area of Object.values(LAKE_LAYOUT)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${area.prefix}\` |`));
      expect(row, area.prefix).toBeDefined();
      const worker = row?.split('|')[2] ?? '';
      for (const access of area.worker) expect(worker, area.prefix).toContain(access);
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
        s = synth({ sources: [CUR_SOURCE], lake: { archiveRaw } });
        await s3.createBucket(lake);
        start = recorder.accesses.length;
        await deliverBilling(s3, lake, deployedSwitches(s), recorder);
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
