/**
 * The pure integrity library: digests parsed as AWS writes them (the corpus included), their
 * object names, the documented signing string and RSA verification, list-public-keys JSON and
 * the refreshing key store, hashing of uncompressed content, one digest checked into rows.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkDigest,
  DigestError,
  digestKeyFacts,
  hashUncompressed,
  MemoryPublicKeyStore,
  parseDigest,
  parsePublicKeyList,
  PublicKeyError,
  signingString,
  verifyDigestSignature,
  type DigestUnderCheck,
} from '../../pipeline/index.js';
import { INTEGRITY_COLUMNS, INTEGRITY_STATUSES } from '../../schema/index.js';
import { CORPUS, corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { cloudtrailHistory, signDigest, type DigestHistory } from '../helpers/cloudtrail-digests.js';

let h: DigestHistory;
beforeAll(() => {
  h = cloudtrailHistory({ hours: 4, rotateAtHour: 2, trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'my_trail.v2' }] });
});

const bytesOf = (key: string): Buffer => gunzipSync(h.objects.get(key)?.body as Buffer);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const underCheck = (key: string, over: Partial<DigestUnderCheck> = {}): DigestUnderCheck => ({
  key,
  digest: parseDigest(bytesOf(key).toString('utf8'), key),
  contentHash: sha(bytesOf(key)),
  signature: h.objects.get(key)?.metadata?.signature ?? null,
  signingAlgorithm: h.objects.get(key)?.metadata?.['signing-algorithm'] ?? null,
  ...over,
});

describe('digest files', () => {
  it('parse into the typed fields of AWS digest files; the first of a chain has null previous fields', () => {
    const [first, second] = h.digestKeys as [string, string];
    const d = parseDigest(bytesOf(first).toString('utf8'));
    expect(d).toMatchObject({ awsAccountId: '111122223333', digestStartTime: '2024-05-01T00:00:00Z', digestEndTime: '2024-05-01T01:00:00Z', digestS3Object: first, previousDigestSignature: null, previousDigestS3Object: null });
    expect(d.logFiles).toHaveLength(3);
    expect(d.endMs - d.startMs).toBe(3_600_000);
    expect(parseDigest(bytesOf(second).toString('utf8')).previousDigestS3Object).toBe(first);
  });

  it.each([
    ['not JSON', '{"awsAccountId": ', /d\.json\.gz: not JSON/],
    ['an array', '[]', /a digest is a JSON object, got an array/],
    ['no end time', JSON.stringify({ awsAccountId: '111122223333', digestStartTime: '2024-05-01T00:00:00Z' }), /"digestEndTime" must be a non-empty string, got nothing/],
    ['a bad time', JSON.stringify({ digestStartTime: '2024-05-01 00:00', digestEndTime: '2024-05-01T01:00:00Z' }), /"digestStartTime" must be a UTC time/],
  ])('a damaged digest (%s) is a DigestError naming the cause', (_name, text, message) => {
    expect(() => parseDigest(text, 'd.json.gz')).toThrow(DigestError);
    expect(() => parseDigest(text, 'd.json.gz')).toThrow(message);
  });

  it('a listed log file with a short hash is a DigestError naming the entry', () => {
    const json = h.digestJson(h.digestKeys[1] as string);
    (json.logFiles as Array<Record<string, unknown>>)[1] = { s3Bucket: 'b', s3Object: 'k', hashValue: 'abc', hashAlgorithm: 'SHA-256' };
    expect(() => parseDigest(JSON.stringify(json), 'd.json.gz')).toThrow(/^d\.json\.gz: logFiles\[1\]: "hashValue" must be 64 hex digits \(SHA-256\), got "abc"$/);
  });

  it('object names give account, region, trail (underscores and dots included), end time and backfill', () => {
    const key = h.digestKeys[0] as string;
    expect(digestKeyFacts(key)).toEqual({ account: '111122223333', region: 'eu-west-1', trail: 'my_trail.v2', endMs: Date.parse('2024-05-01T01:00:00Z'), backfill: false });
    expect(digestKeyFacts('p/AWSLogs/111122223333/CloudTrail-Digest/us-gov-west-1/2024/05/01/111122223333_CloudTrail-Digest_us-gov-west-1_t_us-gov-west-1_20240501T010000Z_backfill.json.gz')).toMatchObject({ region: 'us-gov-west-1', trail: 't', backfill: true });
    expect(digestKeyFacts('AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T0000Z_abc.json.gz')).toBeNull();
    expect(digestKeyFacts('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/10/21/digest.json.gz')).toBeNull();
  });

  describe.skipIf(!corpusPresent)(`the corpus digest files (${corpusPresent ? 'present' : corpusMissingReason})`, () => {
    requireCorpusInCi();
    const files = corpusPresent ? readdirSync(join(CORPUS, 'cloudtrail')).filter((f) => f.includes('digest')) : [];
    it('are there', () => expect(files.length).toBeGreaterThanOrEqual(3));
    it.each(files)('%s parses', (f) => {
      const d = parseDigest(readFileSync(join(CORPUS, 'cloudtrail', f), 'utf8'), f);
      expect(d.awsAccountId).toBe('111122223333');
      expect(d.endMs).toBeGreaterThan(d.startMs);
      for (const l of d.logFiles) expect(l.hashValue).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});

describe('signatures', () => {
  it('the signing string is end time, bucket/object, the content hash and the previous signature (null as "null")', () => {
    const d = underCheck(h.digestKeys[0] as string).digest;
    expect(signingString(d, 'ab'.repeat(32))).toBe(`2024-05-01T01:00:00Z\ntrail-bucket/${d.digestS3Object}\n${'ab'.repeat(32)}\nnull`);
    const second = underCheck(h.digestKeys[1] as string).digest;
    expect(signingString(second, 'cd').split('\n')[3]).toBe(second.previousDigestSignature);
  });

  it('verify with the published key of their fingerprint, across the rotation; fail for an edit, another key, another algorithm', () => {
    const [k1, k2] = h.keys as [typeof h.keys[0], typeof h.keys[0]];
    const old = underCheck(h.digestKeys[0] as string);
    const rotated = underCheck(h.digestKeys[3] as string);
    expect(old.digest.digestPublicKeyFingerprint).toBe(k1.fingerprint);
    expect(rotated.digest.digestPublicKeyFingerprint).toBe(k2.fingerprint);
    expect(verifyDigestSignature(old.digest, old.contentHash, old.signature as string, 'SHA256withRSA', k1.publicKey)).toEqual({ ok: true });
    expect(verifyDigestSignature(rotated.digest, rotated.contentHash, rotated.signature as string, 'SHA256withRSA', k2.publicKey)).toEqual({ ok: true });
    expect(verifyDigestSignature(rotated.digest, rotated.contentHash, rotated.signature as string, 'SHA256withRSA', k1.publicKey).ok).toBe(false);
    expect(verifyDigestSignature(old.digest, sha(Buffer.from('edited')), old.signature as string, 'SHA256withRSA', k1.publicKey).ok).toBe(false);
    expect(verifyDigestSignature(old.digest, old.contentHash, old.signature as string, 'SHA1withRSA', k1.publicKey)).toEqual({ ok: false, reason: 'signing algorithm "SHA1withRSA", expected SHA256withRSA' });
    expect(verifyDigestSignature(old.digest, old.contentHash, 'zz', 'SHA256withRSA', k1.publicKey)).toEqual({ ok: false, reason: 'the signature is not hex' });
  });
});

describe('public keys', () => {
  it('list-public-keys JSON parses into keys by fingerprint with their validity', () => {
    const keys = parsePublicKeyList(h.publicKeysJson());
    expect(keys.map((k) => k.fingerprint)).toEqual(h.keys.map((k) => k.fingerprint));
    expect(keys[0]?.validToMs).toBe(h.keys[0]?.validTo.getTime());
    expect(keys[0]?.key.asymmetricKeyType).toBe('rsa');
  });

  it.each([
    ['not JSON', 'nope', /keys\.json: not JSON/],
    ['another shape', '{"Keys": []}', /an object with a "PublicKeyList" array/],
    ['a value that is no key', '{"PublicKeyList": [{"Fingerprint": "ab", "Value": "AAAA"}]}', /PublicKeyList\[0\] \(ab\): not a DER PKCS #1 RSA public key/],
    ['no fingerprint', '{"PublicKeyList": [{"Value": "AAAA"}]}', /"Fingerprint" must be a non-empty string/],
  ])('a bad key list (%s) is a PublicKeyError naming the cause', (_n, text, message) => {
    expect(() => parsePublicKeyList(text, 'keys.json')).toThrow(PublicKeyError);
    expect(() => parsePublicKeyList(text, 'keys.json')).toThrow(message);
  });

  it('the store loads on an unknown fingerprint, once for concurrent lookups, and not again for a miss until retryAfterMs', async () => {
    const all = parsePublicKeyList(h.publicKeysJson());
    let calls = 0;
    let t = 0;
    const store = new MemoryPublicKeyStore([all[0] as (typeof all)[0]], async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return all;
    }, { retryAfterMs: 1000, now: () => t });
    expect(await store.keyFor(h.keys[0]?.fingerprint as string)).not.toBeNull();
    expect(calls).toBe(0);
    const [a, b] = await Promise.all([store.keyFor(h.keys[1]?.fingerprint as string), store.keyFor(h.keys[1]?.fingerprint as string)]);
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(calls).toBe(1);
    expect(await store.keyFor('forged')).toBeNull();
    expect(await store.keyFor('forged')).toBeNull();
    expect(calls).toBe(2);
    t = 1000;
    expect(await store.keyFor('forged')).toBeNull();
    expect(calls).toBe(3);
  });
});

describe('hashing and checking', () => {
  it('the hash of a log file is SHA-256 of its uncompressed content, streamed, gzip or not, multi-member included', async () => {
    const key = h.logKeys[0] as string;
    const raw = bytesOf(key);
    const listed = underCheck(h.digestKeys[0] as string).digest.logFiles[0]?.hashValue;
    expect(sha(raw)).toBe(listed);
    const body = h.objects.get(key)?.body as Buffer;
    const chunks = async function* (b: Buffer): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < b.length; i += 7) yield b.subarray(i, i + 7);
    };
    expect(await hashUncompressed(chunks(body))).toBe(listed);
    expect(await hashUncompressed(chunks(raw))).toBe(listed);
    const half = Math.floor(raw.length / 2);
    expect(await hashUncompressed(chunks(Buffer.concat([gzipSync(raw.subarray(0, half)), gzipSync(raw.subarray(half))])))).toBe(listed);
  });

  it('checkDigest: one row per digest and per listed log file, in the columns of the integrity table', () => {
    const [k0, k1] = h.digestKeys as [string, string];
    const prev = underCheck(k0);
    const d = underCheck(k1);
    const recorded = new Map(d.digest.logFiles.map((f, i) => [f.s3Object, i === 0 ? 'f'.repeat(64) : f.hashValue]));
    const rows = checkDigest(d, {
      publicKey: h.keys[0]?.publicKey ?? null,
      previous: { state: 'found', contentHash: prev.contentHash, signature: prev.signature, authentic: true, endMs: prev.digest.endMs },
      logHash: (_b, key) => (key === d.digest.logFiles[2]?.s3Object ? null : (recorded.get(key) ?? null)),
      isMissing: (_l, digest) => digest.endMs < Date.parse('2024-05-01T00:30:00Z'),
      checkedAt: 42,
    }).rows;
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ['digest', 'valid'],
      ['log', 'hash_mismatch'],
      ['log', 'valid'],
      ['log', 'not_yet_ingested'],
    ]);
    for (const r of rows) expect(Object.keys(r).sort()).toEqual(INTEGRITY_COLUMNS.map((c) => c.name).sort());
    expect(rows[0]).toMatchObject({ trail: 'my_trail.v2', account: '111122223333', region: 'eu-west-1', digest_key: k1, log_key: null, checked_at: 42, digest_end_time: Date.parse('2024-05-01T02:00:00Z') });
    expect(rows[1]).toMatchObject({ expected_hash: d.digest.logFiles[0]?.hashValue, actual_hash: 'f'.repeat(64) });
    expect(new Set(rows.map((r) => r.status)).size).toBeLessThanOrEqual(INTEGRITY_STATUSES.length);
  });

  it('checkDigest: the age rule turns an unseen log file into missing_log; an unauthentic previous digest is not its successor\'s finding', () => {
    const [k0, k1] = h.digestKeys as [string, string];
    const d = underCheck(k1);
    const rows = checkDigest(d, {
      publicKey: h.keys[0]?.publicKey ?? null,
      previous: { state: 'found', contentHash: 'edited', signature: 'x', authentic: false, endMs: 0 },
      logHash: () => null,
      isMissing: () => true,
      checkedAt: 1,
    }).rows;
    expect(rows.map((r) => r.status)).toEqual(['valid', 'missing_log', 'missing_log', 'missing_log']);
    const missing = checkDigest(d, { publicKey: h.keys[0]?.publicKey ?? null, previous: { state: 'missing' }, logHash: () => 'x', isMissing: () => false, checkedAt: 1 }).rows;
    expect(missing.filter((r) => r.status === 'digest_missing').map((r) => r.digest_key)).toEqual([k0]);
  });

  it('checkDigest: an hour left uncovered is digest_missing, except for a backfill digest (late log files of a covered hour)', () => {
    const [k0, k1] = h.digestKeys as [string, string];
    const prev = underCheck(k0);
    const shifted = (key: string): DigestUnderCheck => {
      const json = h.digestJson(k1);
      json.digestS3Object = key;
      json.digestStartTime = '2024-05-01T01:30:00Z';
      const bytes = Buffer.from(JSON.stringify(json));
      return { key, digest: parseDigest(bytes.toString('utf8')), contentHash: sha(bytes), signature: signDigest(json, bytes, h.keys[0] as (typeof h.keys)[0]), signingAlgorithm: 'SHA256withRSA' };
    };
    const input = { publicKey: h.keys[0]?.publicKey ?? null, previous: { state: 'found' as const, contentHash: prev.contentHash, signature: prev.signature, authentic: true, endMs: prev.digest.endMs }, logHash: () => null, isMissing: () => false, checkedAt: 1 };
    const hourly = checkDigest(shifted(k1), input).rows.filter((r) => r.kind === 'digest');
    expect(hourly.map((r) => r.status)).toEqual(['valid', 'digest_missing']);
    expect(hourly[1]?.detail).toContain('no digest covers 2024-05-01T01:00:00.000Z to 2024-05-01T01:30:00.000Z');
    const backfill = checkDigest(shifted(k1.replace('.json.gz', '_backfill.json.gz')), input).rows.filter((r) => r.kind === 'digest');
    expect(backfill.map((r) => r.status)).toEqual(['valid']);
  });
});
