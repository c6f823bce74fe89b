/**
 * Plays CloudTrail with log file integrity validation on: gzipped log files and hourly digest
 * files per account, region and trail, chained and signed exactly as AWS does (SHA256withRSA over
 * the documented signing string, the hex signature in the object metadata `signature`, the
 * algorithm in `signing-algorithm`), with a key rotation in the middle. The public keys come back
 * as the JSON `aws cloudtrail list-public-keys` prints and as the SDK's `PublicKeyList`.
 *
 * A history lives in memory (`objects`) and is written to a local folder (a copy of the bucket
 * prefix, each digest's metadata beside it in `<name>.metadata.json`) or to s3rver.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync as gunzip, gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalS3 } from './s3.js';
import { ctEvent, trailOf } from './cloudtrail.js';
import { prng } from './prng.js';

export interface TrailSpec {
  readonly account: string;
  readonly region: string;
  readonly trail: string;
}

export interface SigningKey {
  readonly fingerprint: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** DER of the PKCS #1 RSAPublicKey, what `Value` holds. */
  readonly der: Buffer;
  readonly validFrom: Date;
  readonly validTo: Date;
}

export interface StoredObject {
  readonly key: string;
  body: Buffer;
  metadata?: Record<string, string>;
}

export interface HistoryOptions {
  readonly bucket?: string;
  /** `''` or ending in `/`. */
  readonly prefix?: string;
  readonly trails?: readonly TrailSpec[];
  /** Start of the first digest hour, e.g. `2024-05-01T00:00:00Z`. */
  readonly from?: string;
  readonly hours?: number;
  readonly logsPerHour?: number;
  readonly eventsPerLog?: number;
  /** Digests of this hour and later are signed with the second key. */
  readonly rotateAtHour?: number;
  readonly seed?: number;
}

export interface DigestHistory {
  readonly bucket: string;
  readonly prefix: string;
  readonly trails: readonly TrailSpec[];
  /** Every object by key. */
  readonly objects: Map<string, StoredObject>;
  /** Digest keys per trail (`account/region/trail`), oldest first. */
  readonly chains: Map<string, string[]>;
  readonly logKeys: string[];
  readonly digestKeys: string[];
  /** Both signing keys, the older first. */
  readonly keys: readonly SigningKey[];
  /** A key CloudTrail never published: signatures by it must not verify. */
  readonly strangerKey: SigningKey;
  /** `aws cloudtrail list-public-keys` output for the published keys. */
  publicKeysJson(): string;
  /** The SDK's `ListPublicKeys` answer items. */
  publicKeyList(): { Value: Uint8Array; ValidityStartTime: Date; ValidityEndTime: Date; Fingerprint: string }[];
  /** The digest's JSON (uncompressed). */
  digestJson(key: string): Record<string, unknown>;
  /**
   * Replaces a digest's content with `edit` applied to its JSON; `resign` signs the new content
   * with `key` (default: the key that signed it), otherwise the old signature stays. `rechain`
   * (with `resign`) also makes every later digest of its chain name the new content's hash and
   * signature, re-signed, as CloudTrail would have: the change is then this digest's alone.
   */
  rewriteDigest(key: string, edit: (json: Record<string, unknown>) => void, opts?: { resign?: boolean; key?: SigningKey; rechain?: boolean }): void;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function makeKey(validFrom: Date, validTo: Date): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  return { fingerprint: createHash('md5').update(der).digest('hex'), privateKey, publicKey, der, validFrom, validTo };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const compact = (ms: number): string => iso(ms).replace(/[-:]/g, '');
const dayPath = (ms: number): string => iso(ms).slice(0, 10).replaceAll('-', '/');

/** Signs a digest's uncompressed bytes as CloudTrail does: hex SHA256withRSA over the signing string. */
export function signDigest(json: Record<string, unknown>, bytes: Buffer, key: SigningKey): string {
  const text = `${String(json.digestEndTime)}\n${String(json.digestS3Bucket)}/${String(json.digestS3Object)}\n${createHash('sha256').update(bytes).digest('hex')}\n${json.previousDigestSignature === null ? 'null' : String(json.previousDigestSignature)}`;
  return sign('sha256', Buffer.from(text, 'utf8'), key.privateKey).toString('hex');
}

export const DEFAULT_TRAILS: readonly TrailSpec[] = [
  { account: '111122223333', region: 'eu-west-1', trail: 'org-trail' },
  { account: '444455556666', region: 'us-east-1', trail: 'audit_trail' },
];

export function cloudtrailHistory(opts: HistoryOptions = {}): DigestHistory {
  const bucket = opts.bucket ?? 'trail-bucket';
  const prefix = opts.prefix ?? '';
  const trails = opts.trails ?? DEFAULT_TRAILS;
  const from = Date.parse(opts.from ?? '2024-05-01T00:00:00Z');
  const hours = opts.hours ?? 48;
  const rotateAt = opts.rotateAtHour ?? Math.floor(hours / 2);
  const random = prng(opts.seed ?? 16);
  const rotation = new Date(from + rotateAt * HOUR_MS);
  const keys = [makeKey(new Date(from - 30 * DAY_MS), rotation), makeKey(rotation, new Date(from + 365 * DAY_MS))] as const;
  const strangerKey = makeKey(new Date(from - 30 * DAY_MS), new Date(from + 365 * DAY_MS));
  const objects = new Map<string, StoredObject>();
  const chains = new Map<string, string[]>();
  const logKeys: string[] = [];
  const digestKeys: string[] = [];
  const signerOf = new Map<string, SigningKey>();
  const logsPerHour = opts.logsPerHour ?? 3;
  const eventsPerLog = opts.eventsPerLog ?? 4;
  let n = 0;

  const put = (key: string, json: Record<string, unknown>, k: SigningKey): void => {
    const bytes = Buffer.from(JSON.stringify(json));
    objects.set(key, { key, body: gzipSync(bytes), metadata: { signature: signDigest(json, bytes, k), 'signing-algorithm': 'SHA256withRSA' } });
    signerOf.set(key, k);
  };

  for (const t of trails) {
    const chain: string[] = [];
    let previous: { key: string; hash: string; signature: string } | null = null;
    for (let h = 0; h < hours; h++) {
      const start = from + h * HOUR_MS;
      const end = start + HOUR_MS;
      const logFiles: Record<string, unknown>[] = [];
      for (let i = 0; i < logsPerHour; i++) {
        const at = start + Math.floor(((i + 0.5) / logsPerHour) * HOUR_MS);
        const unique = Math.floor(random() * 2 ** 52).toString(16).padStart(16, '0').slice(0, 16);
        const key = `${prefix}AWSLogs/${t.account}/CloudTrail/${t.region}/${dayPath(at)}/${t.account}_CloudTrail_${t.region}_${compact(at).slice(0, 13)}Z_${unique}.json.gz`;
        const events = Array.from({ length: eventsPerLog }, (_, j) => ctEvent(n++, iso(at - j * 1000), { awsRegion: t.region, recipientAccountId: t.account }));
        const raw = Buffer.from(trailOf(events));
        objects.set(key, { key, body: gzipSync(raw) });
        logKeys.push(key);
        logFiles.push({
          s3Bucket: bucket,
          s3Object: key,
          hashValue: createHash('sha256').update(raw).digest('hex'),
          hashAlgorithm: 'SHA-256',
          newestEventTime: iso(at),
          oldestEventTime: iso(at - (eventsPerLog - 1) * 1000),
        });
      }
      const key = `${prefix}AWSLogs/${t.account}/CloudTrail-Digest/${t.region}/${dayPath(end)}/${t.account}_CloudTrail-Digest_${t.region}_${t.trail}_${t.region}_${compact(end)}.json.gz`;
      const json: Record<string, unknown> = {
        awsAccountId: t.account,
        digestStartTime: iso(start),
        digestEndTime: iso(end),
        digestS3Bucket: bucket,
        digestS3Object: key,
        digestPublicKeyFingerprint: (h >= rotateAt ? keys[1] : keys[0]).fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        newestEventTime: logFiles.length > 0 ? iso(end - 1000) : null,
        oldestEventTime: logFiles.length > 0 ? iso(start) : null,
        previousDigestS3Bucket: previous === null ? null : bucket,
        previousDigestS3Object: previous?.key ?? null,
        previousDigestHashValue: previous?.hash ?? null,
        previousDigestHashAlgorithm: previous === null ? null : 'SHA-256',
        previousDigestSignature: previous?.signature ?? null,
        logFiles,
      };
      put(key, json, h >= rotateAt ? keys[1] : keys[0]);
      const bytes = Buffer.from(JSON.stringify(json));
      previous = { key, hash: createHash('sha256').update(bytes).digest('hex'), signature: objects.get(key)?.metadata?.signature as string };
      chain.push(key);
      digestKeys.push(key);
    }
    chains.set(`${t.account}/${t.region}/${t.trail}`, chain);
  }

  const history: DigestHistory = {
    bucket,
    prefix,
    trails,
    objects,
    chains,
    logKeys,
    digestKeys,
    keys,
    strangerKey,
    publicKeysJson: () =>
      JSON.stringify(
        {
          PublicKeyList: keys.map((k) => ({
            Value: k.der.toString('base64'),
            ValidityStartTime: k.validFrom.toISOString().replace('.000Z', '+00:00'),
            ValidityEndTime: k.validTo.toISOString().replace('.000Z', '+00:00'),
            Fingerprint: k.fingerprint,
          })),
        },
        null,
        4,
      ),
    publicKeyList: () => keys.map((k) => ({ Value: new Uint8Array(k.der), ValidityStartTime: k.validFrom, ValidityEndTime: k.validTo, Fingerprint: k.fingerprint })),
    digestJson(key) {
      const o = objects.get(key);
      if (o === undefined) throw new Error(`no digest ${key}`);
      return JSON.parse(gunzip(o.body).toString('utf8')) as Record<string, unknown>;
    },
    rewriteDigest(key, edit, o = {}) {
      const obj = objects.get(key);
      if (obj === undefined) throw new Error(`no digest ${key}`);
      const json = history.digestJson(key);
      edit(json);
      const bytes = Buffer.from(JSON.stringify(json));
      obj.body = gzipSync(bytes);
      if (o.resign === true) obj.metadata = { signature: signDigest(json, bytes, o.key ?? (signerOf.get(key) as SigningKey)), 'signing-algorithm': 'SHA256withRSA' };
      if (o.rechain !== true) return;
      const chain = [...chains.values()].find((c) => c.includes(key)) as string[];
      const next = chain[chain.indexOf(key) + 1];
      if (next === undefined) return;
      const signature = obj.metadata?.signature as string;
      history.rewriteDigest(next, (j) => {
        j.previousDigestHashValue = createHash('sha256').update(bytes).digest('hex');
        j.previousDigestSignature = signature;
      }, { resign: true, rechain: true });
    },
  };
  return history;
}

/** Writes the history under `dir` as a copy of the bucket prefix; digest metadata beside each digest. */
export function writeHistoryToFolder(history: DigestHistory, dir: string): void {
  for (const o of history.objects.values()) {
    const path = join(dir, o.key.slice(history.prefix.length));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, o.body);
    if (o.metadata !== undefined) writeFileSync(`${path}.metadata.json`, JSON.stringify(o.metadata));
  }
}

/** Writes the history into s3rver (the bucket is created), digest metadata as S3 user metadata. */
export async function writeHistoryToS3(history: DigestHistory, s3: LocalS3, opts: { createBucket?: boolean } = {}): Promise<void> {
  if (opts.createBucket !== false) await s3.createBucket(history.bucket);
  const all = [...history.objects.values()];
  for (let i = 0; i < all.length; i += 16) {
    await Promise.all(
      all.slice(i, i + 16).map((o) => s3.client.send(new PutObjectCommand({ Bucket: history.bucket, Key: o.key, Body: o.body, ...(o.metadata !== undefined ? { Metadata: o.metadata } : {}) }))),
    );
  }
}
