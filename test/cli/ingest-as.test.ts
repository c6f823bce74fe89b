/**
 * `loglake ingest DIR --as s3://bucket/prefix/`: local copies keep their S3 identity. The same
 * files from two folders give the same lake; that lake equals what `processObject` gives for the
 * objects read from S3 (s3rver), row by row; the manifest ETag is the one S3 reports for a
 * single-part upload, so `loglake replay` skips what was ingested locally; bad values exit 2.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { processObject, resolveOptions } from '../../pipeline/index.js';
import { S3Source } from '../../pipeline/aws.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { loglake, MemoryOut, ROOT, type Run } from '../helpers/cli.js';
import { filesUnder, lakeRows, tempDir } from '../helpers/lake.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const BUCKET = 'acme-synced-logs';
const PREFIX = 'history/';
const CT = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1010Z_Q2xvdWRUcmFpbDAx.json.gz';
const DIGEST = 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20240501T110000Z.json.gz';
const ALB = 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.shop-frontend.6a2b8c3d4e5f6071_20240501T1205Z_198.51.100.10_4k2j9x7q.log.gz';
const CF = 'E2EXAMPLE1WEB.2024-05-01-12.a1b2c3d4.gz';

/** Path under the synced folder (and under PREFIX in the bucket) → sample file. */
const FILES: Record<string, string> = {
  [CT]: `samples/cloudtrail/${CT}`,
  [DIGEST]: `samples/cloudtrail/${DIGEST}`,
  [ALB]: `samples/alb/${ALB}`,
  [`cf/${CF}`]: `samples/cloudfront/cf-logs/${CF}`,
  'misc/alb-bad-lines.log': 'samples/alb/bad-lines.log',
  'misc/trail-truncated.json': 'samples/cloudtrail/truncated.json',
};
/** A file no parser knows: a failed manifest, also in the S3 run. */
const NOTES = 'misc/notes.txt';
const ALL = [...Object.keys(FILES), NOTES];

const ROWS = 'SELECT * EXCLUDE (ingested_at) FROM events ORDER BY record_id';
const ERRORS = 'SELECT * FROM errors ORDER BY object, ordinal';
/** Manifest fields that say when a run happened, or when the copy was written, rather than what it read. */
const TIMING = ['started_at', 'finished_at', 'duration_ms', 'object_last_modified'] as const;

let s3: LocalS3;
const dirs: { cleanup: () => void }[] = [];
function temp(): string {
  const d = tempDir('loglake-ingest-as-');
  dirs.push(d);
  return d.path;
}

/** A folder holding the files at their paths, as `aws s3 sync s3://BUCKET/PREFIX folder` leaves them. */
function syncedFolder(): string {
  const folder = temp();
  for (const [rel, sample] of Object.entries(FILES)) {
    mkdirSync(dirname(join(folder, rel)), { recursive: true });
    copyFileSync(join(ROOT, sample), join(folder, rel));
  }
  writeFileSync(join(folder, NOTES), 'nothing any parser knows\n');
  return folder;
}

/**
 * Every manifest of a lake by relative path, without its timing fields and output sizes (each
 * Parquet file holds its run's `ingested_at`, which may compress a byte shorter or longer).
 */
function manifests(lake: string): Record<string, Partial<Manifest>> {
  const out: Record<string, Partial<Manifest>> = {};
  for (const f of filesUnder(join(lake, 'manifests'))) {
    const m = JSON.parse(readFileSync(join(lake, 'manifests', f), 'utf8')) as Record<string, unknown>;
    for (const t of TIMING) delete m[t];
    m.outputs = (m.outputs as Record<string, unknown>[]).map(({ bytes: _bytes, ...rest }) => rest);
    out[f] = m as Partial<Manifest>;
  }
  return out;
}

async function ingestAs(folder: string, lake: string, ...more: string[]): Promise<Run> {
  return loglake('ingest', folder, '--as', `s3://${BUCKET}/${PREFIX}`, '--out', lake, ...more);
}

let folderA: string;
let folderB: string;
let lakeA: string;
let lakeB: string;
/** The lake `processObject` writes for the objects read from S3. */
let lakeS3: string;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  folderA = syncedFolder();
  folderB = syncedFolder();
  for (const rel of ALL) await s3.put(BUCKET, PREFIX + rel, readFileSync(join(folderA, rel)));
  lakeA = temp();
  lakeB = temp();
  lakeS3 = temp();
  // One object fails (no format matches notes.txt): exit 1, as without --as.
  expect((await ingestAs(folderA, lakeA)).code).toBe(1);
  expect((await ingestAs(folderB, lakeB)).code).toBe(1);
  const deps = { source: new S3Source(s3.client), sink: new LocalLakeSink(lakeS3), options: resolveOptions({}) };
  for (const rel of ALL) await processObject({ bucket: BUCKET, key: PREFIX + rel }, deps);
});

afterAll(async () => {
  await s3?.stop();
  for (const d of dirs) d.cleanup();
});

describe('loglake ingest --as', () => {
  it('names each file as its S3 object: manifest, object column and record ids', async () => {
    const ct = manifests(lakeA)[`cloudtrail/${objectId({ bucket: BUCKET, key: PREFIX + CT })}.json`];
    expect(ct).toMatchObject({ object: `s3://${BUCKET}/${PREFIX}${CT}`, bucket: BUCKET, key: PREFIX + CT, routed_by: 'key', status: 'ok' });
    const objects = await lakeRows(lakeA, 'SELECT DISTINCT object FROM events ORDER BY object');
    expect(objects.map((o) => o.object)).toEqual(['misc/alb-bad-lines.log', 'misc/trail-truncated.json', ALB, CT, `cf/${CF}`].map((k) => `s3://${BUCKET}/${PREFIX}${k}`).sort());
    const ids = await lakeRows(lakeA, `SELECT record_id FROM events WHERE object = 's3://${BUCKET}/${PREFIX}${CT}' ORDER BY ordinal LIMIT 1`);
    expect(ids[0]?.record_id).toBe(`${objectId({ bucket: BUCKET, key: PREFIX + CT })}-1`);
  });

  it('the same files in two folders give identical lakes', async () => {
    expect(filesUnder(lakeB)).toEqual(filesUnder(lakeA));
    expect(await lakeRows(lakeB, ROWS)).toEqual(await lakeRows(lakeA, ROWS));
    expect(await lakeRows(lakeB, ERRORS)).toEqual(await lakeRows(lakeA, ERRORS));
    expect(manifests(lakeB)).toEqual(manifests(lakeA));
  });

  it('gives what processObject gives for the objects read from S3: keys, rows, rejects, manifests', async () => {
    expect(filesUnder(lakeA)).toEqual(filesUnder(lakeS3));
    const rows = await lakeRows(lakeS3, ROWS);
    expect(rows.length).toBeGreaterThan(20);
    expect(await lakeRows(lakeA, ROWS)).toEqual(rows);
    const errors = await lakeRows(lakeS3, ERRORS);
    expect(errors.length).toBeGreaterThan(0);
    expect(await lakeRows(lakeA, ERRORS)).toEqual(errors);
    // ETags included: every object was read to its end, each is a single-part upload.
    expect(manifests(lakeA)).toEqual(manifests(lakeS3));
  });

  it('records as etag the ETag S3 reports for a single-part upload (the quoted MD5)', async () => {
    const m = manifests(lakeA);
    for (const rel of [CT, 'misc/alb-bad-lines.log']) {
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: PREFIX + rel }));
      const id = objectId({ bucket: BUCKET, key: PREFIX + rel });
      const manifest = Object.entries(m).find(([path]) => path.endsWith(`/${id}.json`))?.[1];
      expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(manifest?.etag).toBe(head.ETag);
    }
  });

  it('replaces, never duplicates: again from another folder, then from S3, into one lake', async () => {
    const lake = temp();
    await ingestAs(folderA, lake);
    const files = filesUnder(lake);
    const rows = await lakeRows(lake, ROWS);
    await ingestAs(folderB, lake);
    expect(filesUnder(lake)).toEqual(files);
    const deps = { source: new S3Source(s3.client), sink: new LocalLakeSink(lake), options: resolveOptions({}) };
    for (const rel of ALL) await processObject({ bucket: BUCKET, key: PREFIX + rel }, deps);
    expect(filesUnder(lake)).toEqual(files);
    expect(await lakeRows(lake, ROWS)).toEqual(rows);
  });

  it('lets `loglake replay` skip what was ingested locally as unchanged', async () => {
    const stdout = new MemoryOut();
    const stderr = new MemoryOut();
    const args = ['replay', `s3://${BUCKET}/${PREFIX}AWSLogs/`, '--from', '2024-05-01', '--to', '2024-05-01', '--lake', lakeA, '--endpoint', s3.endpoint, '--json'];
    const code = await main(args, { stdout, stderr, stdin: Readable.from(['']), env: { ...process.env }, cwd: ROOT });
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text) as { listed: { objects: number }; toReplay: { objects: number }; skipped: Record<string, number> };
    expect(report.listed.objects).toBe(3);
    expect(report.toReplay.objects).toBe(0);
    expect(report.skipped.unchanged).toBe(3);
  });

  it('a single file is named <prefix><its name>, as in the folder run', async () => {
    const lake = temp();
    const r = await loglake('ingest', join(folderB, 'misc', 'alb-bad-lines.log'), '--as', `s3://${BUCKET}/${PREFIX}misc`, '--out', lake, '--json');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as Manifest;
    expect(m).toMatchObject({ bucket: BUCKET, key: `${PREFIX}misc/alb-bad-lines.log`, object_id: objectId({ bucket: BUCKET, key: `${PREFIX}misc/alb-bad-lines.log` }) });
    expect(filesUnder(lake).filter((f) => !f.startsWith('manifests/'))).toEqual(filesUnder(lakeA).filter((f) => f.includes(m.object_id) && !f.startsWith('manifests/')));
  });

  it('routing rules see the S3 bucket and key, as in the worker', async () => {
    const lake = temp();
    const rules = join(temp(), 'rules.json');
    writeFileSync(rules, JSON.stringify({ rules: [{ bucket: BUCKET, prefix: `${PREFIX}misc/`, ignore: true }] }));
    const r = await ingestAs(folderB, lake, '--rules', rules, '--json');
    expect(r.code).toBe(0);
    const byKey = new Map((r.stdout.trim().split('\n').map((l) => JSON.parse(l)) as Manifest[]).map((m) => [m.key, m]));
    expect(byKey.get(`${PREFIX}${NOTES}`)).toMatchObject({ status: 'ignored', reason: 'ignored-by-rule', routed_by: 'rule' });
    expect(byKey.get(`${PREFIX}${CT}`)).toMatchObject({ status: 'ok', routed_by: 'key' });
  });

  it('without --as a file is still named by its path, with no etag', async () => {
    const lake = temp();
    const file = join(folderA, 'misc', 'alb-bad-lines.log');
    const r = await loglake('ingest', file, '--out', lake, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ object: file, bucket: '', key: file, etag: null, object_id: objectId({ bucket: '', key: file }) });
    expect(filesUnder(lake)).toContain(manifestKey('alb', objectId({ bucket: '', key: file })));
  });
});

describe('loglake ingest --as: bad values and combinations', () => {
  it.each([
    [['--as', 'acme-logs/history/'], /--as: expected s3:\/\/<bucket>\/ or s3:\/\/<bucket>\/<prefix>\/, got "acme-logs\/history\/"/],
    [['--as', 'https://acme-logs/'], /--as: expected s3:\/\/<bucket>\//],
    [['--as', 's3:///history/'], /--as: the bucket is missing in "s3:\/\/\/history\/"/],
    [['--as', 's3://Acme_Logs/'], /--as: "Acme_Logs" is not an S3 bucket name: only lowercase letters, digits, dots and hyphens/],
    [['--as', 's3://ab/'], /--as: "ab" is not an S3 bucket name: 2 characters; a bucket name has 3 to 63/],
    [['--as', `s3://${'a'.repeat(64)}/`], /is not an S3 bucket name: 64 characters/],
    [['--as', 's3://-acme/'], /it must begin and end with a letter or digit/],
    [['--as', 's3://acme..logs/'], /it has two adjacent dots/],
    [['--as', 's3://192.168.5.4/'], /it is formatted as an IP address/],
    [['--as', 's3://xn--acme/'], /S3 reserves the start "xn--"/],
    [['--as', 's3://logs-ab12cd-s3alias/'], /S3 reserves the end "-s3alias" for access point names/],
    [['--as', `s3://${BUCKET}/`, 'samples/alb'], /--as s3:\/\/acme-synced-logs\/ takes exactly one folder \(or file\), got 2 inputs/],
  ])('%j → exit 2', async (args, message) => {
    const r = await loglake('ingest', 'samples/cloudtrail', '--out', join(temp(), 'lake'), ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });

  it('a missing input → exit 2', async () => {
    const r = await loglake('ingest', 'no/such/folder', '--as', `s3://${BUCKET}/`, '--out', join(temp(), 'lake'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^loglake ingest: input "no\/such\/folder" does not exist/);
  });

  it('no input → exit 2', async () => {
    const r = await loglake('ingest', '--as', `s3://${BUCKET}/`, '--out', join(temp(), 'lake'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^loglake ingest: no input/);
  });

  it('--help names the option', async () => {
    const r = await loglake('ingest', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--as s3://<bucket>/<prefix>/');
  });
});
