/**
 * `loglake verify` against a history played by the test suite as CloudTrail (signed hourly
 * digests, a key rotation in the middle), in a local folder and in s3rver: a clean history is
 * valid, and each tampering is found with its status and nothing else is flagged.
 */
import { rmSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { main } from '../../cli/main.js';
import { loglake, MemoryOut, ROOT } from '../helpers/cli.js';
import { cloudtrailHistory, writeHistoryToFolder, writeHistoryToS3, type DigestHistory } from '../helpers/cloudtrail-digests.js';
import { tempDir } from '../helpers/lake.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

interface Finding {
  status: string;
  kind: string;
  digest_key: string;
  log_key: string | null;
  detail: string | null;
}
interface Report {
  summary: { digests: { listed: number; valid: number; invalid: number; missing: number }; logs: { listed: number; valid: number; invalid: number; missing: number } };
  findings: Finding[];
  public_key_loads: number;
}

const FROM = '2024-05-01';
// Digests are foldered by their end day: the last hour's digest ends at midnight of the 3rd.
const TO = '2024-05-03';
/** 2 trails x 48 hourly digests x 3 log files. */
const DIGESTS = 96;
const LOGS = 288;

const tmp = tempDir('loglake-verify-');
afterAll(() => tmp.cleanup());
let n = 0;

/** A fresh history in its own folder, with its keys file; `tamper` runs on the history before it is written. */
function folderWith(tamper: (h: DigestHistory, dir: string) => void = () => undefined): { h: DigestHistory; dir: string; keys: string } {
  const h = cloudtrailHistory({ hours: 48 });
  const dir = join(tmp.path, `h${n++}`);
  writeHistoryToFolder(h, dir);
  tamper(h, dir);
  const keys = join(dir, '..', `keys-${n}.json`);
  writeFileSync(keys, h.publicKeysJson());
  return { h, dir, keys };
}

async function verifyJson(...args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await loglake('verify', ...args, '--json');
  expect(r.stderr, r.stderr).not.toMatch(/Error|at /);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

/** The middle digest of the first trail, and its successor. */
const middle = (h: DigestHistory): { key: string; next: string; prev: string } => {
  const chain = [...h.chains.values()][0] as string[];
  return { prev: chain[19] as string, key: chain[20] as string, next: chain[21] as string };
};

/** Writes one digest of the history, and its metadata file, into the folder copy again. */
function rewrite(h: DigestHistory, dir: string, key: string): void {
  const o = h.objects.get(key);
  writeFileSync(join(dir, key), o?.body as Buffer);
  writeFileSync(join(dir, `${key}.metadata.json`), JSON.stringify(o?.metadata));
}

const only = (r: Report): Array<Pick<Finding, 'status' | 'kind' | 'digest_key' | 'log_key'>> => r.findings.map(({ status, kind, digest_key, log_key }) => ({ status, kind, digest_key, log_key }));

describe('loglake verify: a local copy', () => {
  it('a clean history over a key rotation is valid: every digest and log file, exit 0', async () => {
    const { h, dir, keys } = folderWith();
    const fingerprints = new Set(h.digestKeys.map((k) => h.digestJson(k).digestPublicKeyFingerprint));
    expect(fingerprints.size).toBe(2);
    const r = await loglake('verify', dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${DIGESTS}/${DIGESTS} digest files valid\n`);
    expect(r.stdout).toContain(`${LOGS}/${LOGS} log files valid\n`);
    expect(r.stdout).not.toContain('findings');
  });

  it('one byte of a log file changed: hash_mismatch for that log file only', async () => {
    const { h, dir, keys } = folderWith((hist, d) => {
      const key = hist.logKeys[100] as string;
      const raw = gunzipSync(readFileSync(join(d, key)));
      raw[20] = raw[20] === 0x41 ? 0x42 : 0x41;
      writeFileSync(join(d, key), gzipSync(raw));
    });
    const { code, report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(code).toBe(1);
    expect(only(report)).toEqual([{ status: 'hash_mismatch', kind: 'log', digest_key: expect.any(String), log_key: h.logKeys[100] }]);
    expect(report.summary.logs).toEqual({ listed: LOGS, valid: LOGS - 1, invalid: 1, missing: 0 });
  });

  it('a byte flipped in the stored gzip object: hash_mismatch (the content does not decompress)', async () => {
    const { h, dir, keys } = folderWith((hist, d) => {
      const path = join(d, hist.logKeys[7] as string);
      const b = readFileSync(path);
      b[b.length - 6] = (b[b.length - 6] as number) ^ 0xff;
      writeFileSync(path, b);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'hash_mismatch', kind: 'log', digest_key: expect.any(String), log_key: h.logKeys[7] }]);
  });

  it('a log file deleted: missing_log for it only', async () => {
    const { h, dir, keys } = folderWith((hist, d) => rmSync(join(d, hist.logKeys[200] as string)));
    const { code, report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(code).toBe(1);
    expect(only(report)).toEqual([{ status: 'missing_log', kind: 'log', digest_key: expect.any(String), log_key: h.logKeys[200] }]);
    expect(report.summary.logs).toEqual({ listed: LOGS, valid: LOGS - 1, invalid: 0, missing: 1 });
  });

  it('a digest deleted: digest_missing for it, named by its successor; nothing else', async () => {
    let gone = '';
    const { dir, keys } = folderWith((hist, d) => {
      gone = middle(hist).key;
      rmSync(join(d, gone));
      rmSync(join(d, `${gone}.metadata.json`));
    });
    const { code, report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(code).toBe(1);
    expect(only(report)).toEqual([{ status: 'digest_missing', kind: 'digest', digest_key: gone, log_key: null }]);
    expect(report.summary.digests).toEqual({ listed: DIGESTS - 1, valid: DIGESTS - 1, invalid: 0, missing: 1 });
  });

  it('a digest edited (a listed hash replaced, not re-signed): signature_invalid for it only, its log files unchecked', async () => {
    let edited = '';
    const { dir, keys } = folderWith((hist, d) => {
      edited = middle(hist).key;
      hist.rewriteDigest(edited, (j) => {
        const files = j.logFiles as Array<Record<string, unknown>>;
        (files[0] as Record<string, unknown>).hashValue = 'a'.repeat(64);
      });
      rewrite(hist, d, edited);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'signature_invalid', kind: 'digest', digest_key: edited, log_key: null }]);
    expect(report.findings[0]?.detail).toMatch(/does not verify.*its 3 log files are not checked/);
    expect(report.summary.logs.listed).toBe(LOGS - 3);
  });

  it('a damaged digest (not gzip, not JSON): signature_invalid naming the damage, its successor not flagged', async () => {
    let damaged = '';
    const { dir, keys } = folderWith((hist, d) => {
      damaged = middle(hist).key;
      writeFileSync(join(d, damaged), gzipSync('{"awsAccountId": "1111'));
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'signature_invalid', kind: 'digest', digest_key: damaged, log_key: null }]);
    expect(report.findings[0]?.detail).toMatch(/^damaged digest: .*not JSON/);
  });

  it('a digest signed by a key CloudTrail never published under its fingerprint: signature_invalid for it only', async () => {
    let forged = '';
    const { dir, keys } = folderWith((hist, d) => {
      forged = middle(hist).key;
      hist.rewriteDigest(forged, () => undefined, { resign: true, key: hist.strangerKey });
      rewrite(hist, d, forged);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'signature_invalid', kind: 'digest', digest_key: forged, log_key: null }]);
  });

  it('a digest naming an unknown key fingerprint: unknown_key for it only', async () => {
    let forged = '';
    const { dir, keys } = folderWith((hist, d) => {
      forged = middle(hist).key;
      hist.rewriteDigest(forged, (j) => (j.digestPublicKeyFingerprint = hist.strangerKey.fingerprint), { resign: true, key: hist.strangerKey });
      rewrite(hist, d, forged);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'unknown_key', kind: 'digest', digest_key: forged, log_key: null }]);
  });

  it("a digest whose previousDigestHashValue does not match its predecessor (signed by CloudTrail's key): chain_broken for it only", async () => {
    let broken = '';
    const { dir, keys } = folderWith((hist, d) => {
      broken = middle(hist).key;
      hist.rewriteDigest(broken, (j) => (j.previousDigestHashValue = 'b'.repeat(64)), { resign: true, rechain: true });
      writeHistoryToFolder(hist, d);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'chain_broken', kind: 'digest', digest_key: broken, log_key: null }]);
  });

  it('a digest whose start leaves an hour uncovered after its predecessor: digest_missing (gap) only', async () => {
    let shifted = '';
    const { dir, keys } = folderWith((hist, d) => {
      shifted = middle(hist).key;
      hist.rewriteDigest(shifted, (j) => (j.digestStartTime = new Date(Date.parse(String(j.digestStartTime)) + 3_600_000).toISOString().replace('.000Z', 'Z')), { resign: true, rechain: true });
      writeHistoryToFolder(hist, d);
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'digest_missing', kind: 'digest', digest_key: shifted, log_key: null }]);
  });

  it('without metadata files, signatures come from each successor; only the newest digest of each chain has none', async () => {
    const { h, dir, keys } = folderWith((hist, d) => {
      for (const k of hist.digestKeys) rmSync(join(d, `${k}.metadata.json`));
    });
    const { report } = await verifyJson(dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    const newest = [...h.chains.values()].map((c) => c[c.length - 1] as string).sort();
    expect(only(report).map((f) => [f.status, f.digest_key]).sort()).toEqual(newest.map((k) => ['signature_invalid', k]));
    expect(report.findings[0]?.detail).toContain('no signature metadata');
  });

  it('the chain is checked up to the edge of the range: the previous digest of the first one is read, and missing if deleted', async () => {
    let before = '';
    const { h, dir, keys } = folderWith((hist, d) => {
      // The last digest of 2024-05-01 (ends 23:00) of the first trail, just before a range starting 05-02.
      before = ([...hist.chains.values()][0] as string[])[22] as string;
      rmSync(join(d, before));
    });
    expect(h.digestJson(before).digestEndTime).toBe('2024-05-01T23:00:00Z');
    const { report } = await verifyJson(dir, '--from', '2024-05-02', '--to', TO, '--public-keys', keys);
    expect(only(report)).toEqual([{ status: 'digest_missing', kind: 'digest', digest_key: before, log_key: null }]);
    const clean = folderWith();
    const ok = await verifyJson(clean.dir, '--from', '2024-05-02', '--to', TO, '--public-keys', clean.keys);
    expect([ok.code, ok.report.summary.digests.listed]).toEqual([0, 50]);
  });

  it('text output lists every finding with its key and what differs; a progress line on a terminal only', async () => {
    const { h, dir, keys } = folderWith((hist, d) => rmSync(join(d, hist.logKeys[3] as string)));
    const plain = await loglake('verify', dir, '--from', FROM, '--to', TO, '--public-keys', keys);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain(`${LOGS - 1}/${LOGS} log files valid, 1/${LOGS} log files MISSING\n`);
    expect(plain.stdout).toMatch(new RegExp(`findings:\\n  missing_log  ${h.logKeys[3]} \\(digest .+\\): listed by the digest, not found\\n$`));
    expect(plain.stderr).toBe('');
    const stdout = new MemoryOut();
    const stderr = new MemoryOut(true);
    const code = await main(['verify', dir, '--from', FROM, '--to', TO, '--public-keys', keys], { stdout, stderr, stdin: Readable.from(['']), env: { ...process.env }, cwd: ROOT });
    expect(code).toBe(1);
    expect(stderr.text).toMatch(/^\r\x1b\[Kdigests \d+\/96 {2}log files \d+\/\d+/);
    expect(stderr.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('--trail, --account, --region and the range narrow what is verified', async () => {
    const { dir, keys } = folderWith();
    const trail = await verifyJson(dir, '--from', FROM, '--to', TO, '--trail', 'audit_trail', '--public-keys', keys);
    expect(trail.report.summary.digests.listed).toBe(DIGESTS / 2);
    const account = await verifyJson(dir, '--from', FROM, '--to', TO, '--account', '111122223333', '--public-keys', keys);
    expect(account.report.summary.digests.listed).toBe(DIGESTS / 2);
    const region = await verifyJson(dir, '--from', FROM, '--to', TO, '--region', 'us-east-1', '--public-keys', keys);
    expect(region.report.summary.digests.listed).toBe(DIGESTS / 2);
    // Digests are foldered by their end day: 2024-05-01 holds the 23 digests ending 01:00-23:00 per trail.
    const day = await verifyJson(dir, '--from', FROM, '--to', FROM, '--public-keys', keys);
    expect(day.report.summary.digests.listed).toBe(46);
    expect(day.code).toBe(0);
  });

  it('usage errors exit 2 with the cause; --help exits 0', async () => {
    const { dir, keys } = folderWith();
    expect((await loglake('verify', '--help')).stdout).toContain('usage: loglake verify');
    const noFrom = await loglake('verify', dir);
    expect([noFrom.code, noFrom.stderr]).toEqual([2, expect.stringContaining('--from YYYY-MM-DD is required')]);
    const flag = await loglake('verify', dir, '--from', FROM, '--bogus');
    expect([flag.code, flag.stderr]).toEqual([2, expect.stringContaining("Unknown option '--bogus'")]);
    const target = await loglake('verify', join(dir, 'nope'), '--from', FROM);
    expect([target.code, target.stderr]).toEqual([2, expect.stringContaining('is neither s3://bucket/prefix/ nor a folder')]);
    writeFileSync(join(tmp.path, 'bad-keys.json'), '{"Keys": []}');
    const bad = await loglake('verify', dir, '--from', FROM, '--public-keys', join(tmp.path, 'bad-keys.json'));
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('expected the output of "aws cloudtrail list-public-keys"')]);
    const conc = await loglake('verify', dir, '--from', FROM, '--public-keys', keys, '--concurrency', '0');
    expect([conc.code, conc.stderr]).toEqual([2, expect.stringContaining('--concurrency must be a positive integer')]);
    expect(existsSync(keys)).toBe(true);
  });
});

describe('loglake verify: S3 (s3rver), keys from ListPublicKeys', () => {
  const cloudtrail = mockClient(CloudTrailClient);
  let s3: LocalS3;
  let h: DigestHistory;
  beforeAll(async () => {
    s3 = await startLocalS3();
    h = cloudtrailHistory({ hours: 48, prefix: 'org/', bucket: 'trail-bucket' });
    await writeHistoryToS3(h, s3);
  }, 120_000);
  afterAll(async () => {
    cloudtrail.restore();
    await s3?.stop();
  });
  beforeEach(() => {
    cloudtrail.reset();
    // Two pages, one key each, as ListPublicKeys pages.
    const [a, b] = h.publicKeyList();
    cloudtrail.on(ListPublicKeysCommand).callsFake((input: { NextToken?: string }) => (input.NextToken === 'p2' ? { PublicKeyList: [b] } : { PublicKeyList: [a], NextToken: 'p2' }));
  });

  const verifyS3 = async (...args: string[]): Promise<{ code: number; report: Report }> => {
    const r = await loglake('verify', 's3://trail-bucket/org/', '--from', FROM, '--to', TO, '--endpoint', s3.endpoint, ...args, '--json');
    expect(r.stderr, r.stderr).toBe('');
    return { code: r.code, report: JSON.parse(r.stdout) as Report };
  };

  it('the clean history is valid; the keys of both regions come from ListPublicKeys, all pages, loaded once', async () => {
    const { code, report } = await verifyS3();
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ digests: { listed: DIGESTS, valid: DIGESTS }, logs: { listed: LOGS, valid: LOGS } });
    expect(report.public_key_loads).toBe(1);
    const calls = cloudtrail.commandCalls(ListPublicKeysCommand);
    // One listing per region (eu-west-1, us-east-1), two pages each.
    expect(calls.length).toBe(4);
    expect(calls.map((c) => c.args[0].input.NextToken ?? null).sort()).toEqual([null, null, 'p2', 'p2']);
  });

  it('tampered objects in S3 are each found with their status and nothing else is flagged', async () => {
    const chain = h.chains.get('444455556666/us-east-1/audit_trail') as string[];
    const deleted = chain[10] as string;
    const forged = chain[30] as string;
    const log = h.logKeys[5] as string;
    const raw = gunzipSync(h.objects.get(log)?.body as Buffer);
    raw[30] = (raw[30] as number) ^ 0x01;
    await s3.client.send(new PutObjectCommand({ Bucket: 'trail-bucket', Key: log, Body: gzipSync(raw) }));
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'trail-bucket', Key: deleted }));
    h.rewriteDigest(forged, () => undefined, { resign: true, key: h.strangerKey });
    const o = h.objects.get(forged);
    await s3.client.send(new PutObjectCommand({ Bucket: 'trail-bucket', Key: forged, Body: o?.body, Metadata: o?.metadata }));
    const { code, report } = await verifyS3();
    expect(code).toBe(1);
    expect(only(report).map((f) => [f.status, f.log_key ?? f.digest_key]).sort()).toEqual(
      [
        ['digest_missing', deleted],
        ['hash_mismatch', log],
        ['signature_invalid', forged],
      ].sort(),
    );
  });

  it('a bucket that does not exist: exit 1 with the cause', async () => {
    const r = await loglake('verify', 's3://no-such-bucket/', '--from', FROM, '--to', TO, '--endpoint', s3.endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/loglake verify: .*no-such-bucket/);
  });
});

describe('the helper writes what the tests read', () => {
  it('a folder copy holds every object and a metadata file beside each digest', () => {
    const { h, dir } = folderWith();
    const under = (p: string): number => readdirSync(p, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? under(join(p, e.name)) : 1), 0);
    expect(under(dir)).toBe(h.objects.size + h.digestKeys.length);
  });
});
