/**
 * Room `pipeline/integrity/`: CloudTrail log file integrity validation, pure (no AWS SDK, no
 * I/O; the callers bring bytes, metadata and keys). This file reads a digest file's JSON into
 * typed fields, named exactly as AWS writes them, and what a digest's object name says.
 */

/** One log file a digest lists. Event times are kept as written: AWS's examples hold malformed ones. */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of the log file's uncompressed content. */
  readonly hashValue: string;
  readonly hashAlgorithm: string;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
}

/** A CloudTrail digest file. `previousDigest*` are null on the first digest of a chain. */
export interface Digest {
  readonly awsAccountId: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm: string;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
  readonly previousDigestS3Bucket: string | null;
  readonly previousDigestS3Object: string | null;
  readonly previousDigestHashValue: string | null;
  readonly previousDigestHashAlgorithm: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
  /** `digestStartTime` and `digestEndTime` as epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
}

/** A digest that cannot be read: not JSON, a field missing or of the wrong type, a bad time. */
export class DigestError extends Error {
  override readonly name = 'DigestError';
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

type Json = Record<string, unknown>;

function field(o: Json, name: string, where: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw new DigestError(`${where}: "${name}" must be a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

function optional(o: Json, name: string, where: string): string | null {
  const v = o[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new DigestError(`${where}: "${name}" must be a string or null, got ${JSON.stringify(v)}`);
  return v;
}

function time(o: Json, name: string, where: string): { text: string; ms: number } {
  const text = field(o, name, where);
  const ms = Date.parse(text);
  if (!ISO_SECONDS.test(text) || !Number.isFinite(ms)) throw new DigestError(`${where}: "${name}" must be a UTC time like 2015-08-17T15:01:31Z, got ${JSON.stringify(text)}`);
  return { text, ms };
}

function logFile(v: unknown, i: number, where: string): DigestLogFile {
  const at = `${where}: logFiles[${i}]`;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DigestError(`${at} must be an object`);
  const o = v as Json;
  const hashValue = field(o, 'hashValue', at);
  if (!/^[0-9a-fA-F]{64}$/.test(hashValue)) throw new DigestError(`${at}: "hashValue" must be 64 hex digits (SHA-256), got ${JSON.stringify(hashValue)}`);
  return {
    s3Bucket: field(o, 's3Bucket', at),
    s3Object: field(o, 's3Object', at),
    hashValue: hashValue.toLowerCase(),
    hashAlgorithm: field(o, 'hashAlgorithm', at),
    newestEventTime: optional(o, 'newestEventTime', at),
    oldestEventTime: optional(o, 'oldestEventTime', at),
  };
}

/** Parses a digest file's (uncompressed) text; `where` names it in errors. */
export function parseDigest(text: string, where = 'digest'): Digest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DigestError(`${where}: not JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DigestError(`${where}: a digest is a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  const o = value as Json;
  const start = time(o, 'digestStartTime', where);
  const end = time(o, 'digestEndTime', where);
  if (!Array.isArray(o.logFiles)) throw new DigestError(`${where}: "logFiles" must be an array, got ${JSON.stringify(o.logFiles) ?? 'nothing'}`);
  const account = field(o, 'awsAccountId', where);
  if (!/^\d{12}$/.test(account)) throw new DigestError(`${where}: "awsAccountId" must be 12 digits, got ${JSON.stringify(account)}`);
  return {
    awsAccountId: account,
    digestStartTime: start.text,
    digestEndTime: end.text,
    digestS3Bucket: field(o, 'digestS3Bucket', where),
    digestS3Object: field(o, 'digestS3Object', where),
    digestPublicKeyFingerprint: field(o, 'digestPublicKeyFingerprint', where),
    digestSignatureAlgorithm: field(o, 'digestSignatureAlgorithm', where),
    newestEventTime: optional(o, 'newestEventTime', where),
    oldestEventTime: optional(o, 'oldestEventTime', where),
    previousDigestS3Bucket: optional(o, 'previousDigestS3Bucket', where),
    previousDigestS3Object: optional(o, 'previousDigestS3Object', where),
    previousDigestHashValue: optional(o, 'previousDigestHashValue', where)?.toLowerCase() ?? null,
    previousDigestHashAlgorithm: optional(o, 'previousDigestHashAlgorithm', where),
    previousDigestSignature: optional(o, 'previousDigestSignature', where),
    logFiles: o.logFiles.map((f, i) => logFile(f, i, where)),
    startMs: start.ms,
    endMs: end.ms,
  };
}

/** What a digest's object name says. */
export interface DigestKeyFacts {
  readonly account: string;
  readonly region: string;
  readonly trail: string;
  /** The digest's end time from its name, epoch ms. */
  readonly endMs: number;
  /** A `_backfill` digest, delivered late for log files the hourly one missed. */
  readonly backfill: boolean;
}

/**
 * `<account>_CloudTrail-Digest_<region>_<trail>_<region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`;
 * a trail name may hold underscores, so the region repeated after it anchors the split.
 */
const DIGEST_NAME = /^(\d{12})_CloudTrail-Digest_([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)_(.+)_\2_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(_backfill)?\.json\.gz$/;

/** The facts of a digest key (any prefix), or null when its name is not a CloudTrail digest name. */
export function digestKeyFacts(key: string): DigestKeyFacts | null {
  const m = DIGEST_NAME.exec(key.slice(key.lastIndexOf('/') + 1));
  if (!m) return null;
  const [, account, region, trail, y, mo, d, h, mi, s, backfill] = m as unknown as [string, string, string, string, string, string, string, string, string, string, string | undefined];
  const endMs = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (!Number.isFinite(endMs)) return null;
  return { account, region, trail, endMs, backfill: backfill !== undefined };
}
