/**
 * `loglake replay` against s3rver: dry-run figures, skip-unchanged and `--parser-older-than`
 * selection from the manifests, `--local` giving the rows `loglake ingest` gives for the same
 * files, a second replay leaving the lake unchanged, and every bad-input case.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { estimateReplay } from '../../pipeline/replay/estimate.js';
import { parserById } from '../../pipeline/route/route.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import { loglake, MemoryOut, ROOT, type Run } from '../helpers/cli.js';
import { filesUnder, lakeRows, tempDir } from '../helpers/lake.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const BUCKET = 'replay-src';
const CT = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1010Z_Q2xvdWRUcmFpbDAx.json.gz';
const DIGEST = 'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20240501T110000Z.json.gz';
const ALB = 'AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.shop-frontend.6a2b8c3d4e5f6071_20240501T1205Z_198.51.100.10_4k2j9x7q.log.gz';
const ACCESS = 'logs/2024-05-01-12-15-27-5B4A8C2F9E1D3A7B';
const CF = 'E2EXAMPLE1WEB.2024-05-01-12.a1b2c3d4.gz';

/** Objects in the bucket (key → local sample file). */
const OBJECTS: Record<string, string> = {
  [CT]: `samples/cloudtrail/${CT}`,
  [DIGEST]: `samples/cloudtrail/${DIGEST}`,
  [ALB]: `samples/alb/${ALB}`,
  [`s3logs/${ACCESS.slice(5)}`]: `samples/s3access/${ACCESS}`,
  [`cf/${CF}`]: `samples/cloudfront/cf-logs/${CF}`,
};
/** Out of the range 2024-05-01..2024-05-07. */
const OUTSIDE = {
  [CT.replace('2024/05/01', '2024/04/20')]: `samples/cloudtrail/${CT}`,
  's3logs/2024-05-09-00-00-00-5B4A8C2F9E1D3A7B': `samples/s3access/${ACCESS}`,
  [`cf/${CF.replace('2024-05-01', '2023-12-31')}`]: `samples/cloudfront/cf-logs/${CF}`,
};
const FROM = '2024-05-01';
const TO = '2024-05-07';
const size = (file: string): number => statSync(join(ROOT, file)).size;

let s3: LocalS3;
const dirs: { cleanup: () => void }[] = [];
function temp(): string {
  const d = tempDir('loglake-replay-');
  dirs.push(d);
  return d.path;
}

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  for (const [key, file] of Object.entries({ ...OBJECTS, ...OUTSIDE })) await s3.put(BUCKET, key, readFileSync(join(ROOT, file)));
});

afterAll(async () => {
  await s3.stop();
  for (const d of dirs) d.cleanup();
});

/** `loglake replay …` against the local server, with `env` over the process environment. */
async function replay(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = new MemoryOut();
  const stderr = new MemoryOut();
  const code = await main(['replay', ...args, '--endpoint', s3.endpoint], { stdout, stderr, stdin: Readable.from(['']), env: { ...process.env, ...env }, cwd: ROOT });
  return { code, stdout: stdout.text, stderr: stderr.text, writes: stdout.writes };
}

interface Tally {
  objects: number;
  bytes: number;
}
interface Report {
  listed: Tally;
  toReplay: Tally;
  skipped: Record<string, number>;
  bySource: Record<string, Tally>;
  byAccountRegion: Record<string, Tally>;
  byMonth: Record<string, Tally>;
  fallbackPrefixes: string[];
  replayed?: number;
  failed?: number;
}

async function json(args: string[]): Promise<Report> {
  const r = await replay([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

const ROW_SQL = 'SELECT * EXCLUDE (object, record_id, ingested_at) FROM events ORDER BY source, time, ordinal, raw';

/** Every file of a lake with its size and modification time. */
function snapshot(lake: string): string[] {
  return filesUnder(lake)
    .filter((f) => !f.includes('.tmp'))
    .sort()
    .map((f) => {
      const s = statSync(join(lake, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    });
}

describe('loglake replay --dry-run', () => {
  it('prints exact figures per source, account/region and month (the default mode)', async () => {
    const r = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO]);
    const bytes = (keys: string[]): number => keys.reduce((n, k) => n + size(OBJECTS[k] as string), 0);
    const all = Object.keys(OBJECTS);
    expect(r.listed).toEqual({ objects: 5, bytes: bytes(all) });
    expect(r.toReplay).toEqual(r.listed);
    expect(r.skipped).toEqual({ unchanged: 0, 'not-older-parser': 0 });
    expect(r.bySource).toEqual({
      alb: { objects: 1, bytes: bytes([ALB]) },
      cloudfront: { objects: 1, bytes: bytes([`cf/${CF}`]) },
      cloudtrail: { objects: 1, bytes: bytes([CT]) },
      'cloudtrail-digest': { objects: 1, bytes: bytes([DIGEST]) },
      s3access: { objects: 1, bytes: bytes([`s3logs/${ACCESS.slice(5)}`]) },
    });
    expect(r.byAccountRegion).toEqual({
      '-/-': { objects: 2, bytes: bytes([`cf/${CF}`, `s3logs/${ACCESS.slice(5)}`]) },
      '111122223333/eu-west-1': { objects: 2, bytes: bytes([CT, DIGEST]) },
      '111122223333/us-east-1': { objects: 1, bytes: bytes([ALB]) },
    });
    expect(r.byMonth).toEqual({ '2024-05': r.listed });
    expect(r.fallbackPrefixes).toEqual([]);
  });

  it('prints a readable table without --json, and filters by source', async () => {
    const r = await replay([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--source', 'cloudtrail']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`s3://${BUCKET}/ ${FROM}..${TO}: 2 objects listed`);
    expect(r.stdout).toMatch(/by source:\n {2}cloudtrail +1 objects/);
    expect(r.stdout).toContain('cloudtrail-digest');
    expect(r.stdout).toContain('skipped: none');
    expect(r.stdout).toMatch(/\nestimate \(deployed worker, 1024 MB, 2 at once; see docs\/replay.md\): 0:00 wall, 0:00 of worker time, cost < \$0.01 \(Lambda < \$0.01, SQS < \$0.01, S3 requests < \$0.01\)\n$/);
  });

  it('estimates worker time and cost for the objects to replay, with the memory and concurrency given', async () => {
    const r = (await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--memory', '1769', '--concurrency', '4'])) as unknown as { toReplay: Tally; estimate: unknown };
    expect(r.estimate).toEqual(estimateReplay({ ...r.toReplay, memoryMb: 1769, concurrency: 4 }));
  });
});

describe('loglake replay --local', () => {
  let lake: string;

  beforeAll(async () => {
    lake = temp();
    const r = await replay([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--local', '--out', lake]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/replayed 5 objects into .*: \d+ records, 0 failed/);
  });

  it('gives the rows `loglake ingest` gives for the same files', async () => {
    const ingested = temp();
    const r = await loglake('ingest', ...Object.values(OBJECTS), '--out', ingested);
    expect(r.code).toBe(0);
    const expected = await lakeRows(ingested, ROW_SQL);
    expect(expected.length).toBeGreaterThan(5);
    expect(await lakeRows(lake, ROW_SQL)).toEqual(expected);
    const objects = await lakeRows(lake, 'SELECT DISTINCT object FROM events ORDER BY object');
    expect(objects.map((o) => o.object)).toEqual([ALB, CT, `cf/${CF}`, `s3logs/${ACCESS.slice(5)}`].map((k) => `s3://${BUCKET}/${k}`).sort());
  });

  it('skips what the lake holds unchanged, so replaying twice leaves the lake as it was', async () => {
    const before = snapshot(lake);
    const again = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--local', '--out', lake]);
    expect(again.skipped).toEqual({ unchanged: 5, 'not-older-parser': 0 });
    expect(again.replayed).toBe(0);
    expect(snapshot(lake)).toEqual(before);
  });

  it('--force replays all and rewrites the same keys with the same rows', async () => {
    const files = filesUnder(lake).sort();
    const rows = await lakeRows(lake, ROW_SQL);
    const forced = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--local', '--out', lake, '--force']);
    expect(forced.skipped).toEqual({ unchanged: 0, 'not-older-parser': 0 });
    expect(forced.replayed).toBe(5);
    expect(filesUnder(lake).sort()).toEqual(files);
    expect(await lakeRows(lake, ROW_SQL)).toEqual(rows);
  });

  it('a changed object (new ETag) is replayed, the others skipped', async () => {
    const other = temp();
    await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--local', '--out', other]);
    await s3.put(BUCKET, ALB, readFileSync(join(ROOT, `samples/alb/${ALB}`)).subarray(0)); // same bytes: same ETag
    expect((await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--lake', other])).toReplay.objects).toBe(0);
    const access = `s3logs/${ACCESS.slice(5)}`;
    await s3.put(BUCKET, access, Buffer.concat([readFileSync(join(ROOT, `samples/s3access/${ACCESS}`)), Buffer.from('\n')]));
    const r = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--lake', other]);
    expect(r.skipped).toEqual({ unchanged: 4, 'not-older-parser': 0 });
    expect(Object.keys(r.bySource)).toEqual(['s3access']);
  });

  it('--parser-older-than selects exactly the objects an older parser version wrote', async () => {
    const other = temp();
    await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--local', '--out', other]);
    const ct = parserById('cloudtrail');
    const version = (ct?.version ?? 1) + 1;
    // As if the lake had been written before a cloudtrail fix bumped the version.
    const path = join(other, manifestKey('cloudtrail', objectId({ bucket: BUCKET, key: CT })));
    const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(m.parser_version).toBe(`cloudtrail@${ct?.version}`);
    const r = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--lake', other, '--parser-older-than', `cloudtrail@${version}`]);
    expect(r.toReplay.objects).toBe(1);
    expect(r.bySource).toEqual({ cloudtrail: { objects: 1, bytes: size(OBJECTS[CT] as string) } });
    expect(r.skipped).toEqual({ unchanged: 0, 'not-older-parser': 4 });
    // The current version wrote it: nothing is older than that.
    const none = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--lake', other, '--parser-older-than', `cloudtrail@${ct?.version}`]);
    expect(none.toReplay.objects).toBe(0);
    writeFileSync(path, JSON.stringify({ ...m, parser_version: 'cloudtrail@0' }));
    const older = await json([`s3://${BUCKET}/`, '--from', FROM, '--to', TO, '--lake', other, '--parser-older-than', `cloudtrail@${ct?.version}`]);
    expect(older.toReplay.objects).toBe(1);
  });
});

describe('loglake replay --local: an object that fails', () => {
  it('gets a failed manifest, the others are replayed, exit 1', async () => {
    const bucket = 'replay-mixed';
    await s3.createBucket(bucket);
    await s3.put(bucket, 'misc/notes.txt', 'nothing any parser knows\n');
    await s3.put(bucket, 'misc/E2EXAMPLE1WEB.2024-05-01-12.a1b2c3d4.gz', readFileSync(join(ROOT, `samples/cloudfront/cf-logs/${CF}`)));
    const today = new Date().toISOString().slice(0, 10);
    const lake = temp();
    const r = await replay([`s3://${bucket}/misc/`, '--from', '2024-05-01', '--to', today, '--local', '--out', lake]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^loglake replay: s3:\/\/replay-mixed\/misc\/notes.txt: /);
    expect(r.stdout).toContain('no known layout, listed whole and filtered by LastModified: misc/');
    expect(r.stdout).toMatch(/replayed 1 objects into .*, 1 failed/);
    const manifests = filesUnder(join(lake, 'manifests')).sort();
    expect(manifests.map((m) => m.split('/')[0])).toEqual(['cloudfront', 'unknown']);
  });
});

describe('loglake replay: bad input', () => {
  const base = [`s3://${BUCKET}/`, '--from', FROM];
  it.each([
    [['--from', FROM], /an s3:\/\/bucket\/prefix\/ to replay is required/],
    [['s3:///logs/', '--from', FROM], /the bucket is missing/],
    [['logs/', '--from', FROM], /expected s3:\/\/bucket\/prefix\//],
    [[`s3://${BUCKET}/`], /--from YYYY-MM-DD is required/],
    [[...base, '--to', '2024-04-30'], /--to 2024-04-30 is before --from 2024-05-01: the range is empty/],
    [[`s3://${BUCKET}/`, '--from', '2024-02-30'], /--from must be a day YYYY-MM-DD, got "2024-02-30"/],
    [[`s3://${BUCKET}/`, '--from', '2024-5-1'], /--from must be a day YYYY-MM-DD/],
    [[...base, '--to', 'yesterday'], /--to must be a day YYYY-MM-DD/],
    [[`s3://${BUCKET}/`, '--from', '2999-01-01'], /--from 2999-01-01 is after today .*: the range is empty/],
    [[...base, '--source', 'netflow'], /unknown source "netflow"; known: alb, billing, cloudfront, cloudtrail, config, .*\bs3access\b.*\bvpcflow\b/],
    [[...base, '--parser-older-than', 'cloudtrail'], /--parser-older-than: expected <parser-id>@<version>/],
    [[...base, '--parser-older-than', 'nope@2', '--lake', '/tmp'], /unknown parser "nope"/],
    [[...base, '--parser-older-than', 'cloudtrail@2'], /--parser-older-than needs the manifests/],
    [[...base, '--local'], /--local needs --out/],
    [[...base, '--queue', 'https://sqs.example/q'], /--queue needs --lake s3:\/\/<central-bucket>/],
    [[...base, '--deployed'], /--deployed needs --stack <name>/],
    [[...base, '--queue', 'https://sqs.example/q', '--stack', 'loglake'], /--queue and --stack exclude each other/],
    [[...base, '--local', '--out', '/tmp/x', '--queue', 'https://sqs.example/q'], /--local and --queue\/--stack exclude each other/],
    [[...base, '--dry-run', '--deployed', '--stack', 's'], /--dry-run and --deployed exclude each other/],
    [[...base, '--resume', '20261202T000000Z-abcdef'], /--resume needs --queue, --stack or --deployed/],
    [['--resume', 'nope', '--stack', 's'], /--resume: "nope" is not a run id/],
    [[...base, '--resume', '20261202T000000Z-abcdef', '--stack', 's'], /--resume takes the range and filters from the run record; leave out the s3:\/\/ target/],
    [['--resume', '20261202T000000Z-abcdef', '--stack', 's', '--from', FROM], /leave out --from/],
    [[...base, '--queue', 'https://sqs.example/q', '--lake', 's3://lake', '--rate', '0'], /--rate must be a positive number/],
    [[...base, '--queue', 'https://sqs.example/q', '--lake', 's3://lake', '--window', 'week'], /--window must be day or month/],
    [[...base, '--account', '12345'], /--account must be a 12-digit account id/],
    [[...base, '--memory', '-5'], /--memory must be a positive integer/],
    [[...base, '--deployed', '--stack', 's', '--lake', 's3://x'], /--deployed uses the stack's central bucket/],
  ])('%j → exit 2', async (args, message) => {
    const r = await replay(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(message);
  });

  it('a bucket that does not exist → exit 1 with the cause', async () => {
    const r = await replay(['s3://no-such-bucket/', '--from', FROM]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^loglake replay: listing s3:\/\/no-such-bucket\/: .*NoSuchBucket/);
  });

  it('access denied → exit 1 with the cause', async () => {
    const r = await replay([`s3://${BUCKET}/`, '--from', FROM], { AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^loglake replay: listing s3:\/\/replay-src\/: access denied \(InvalidAccessKeyId, HTTP 403\)/);
  });
});
