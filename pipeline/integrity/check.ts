/**
 * One digest checked: its signature, its link to the previous digest, and the hash of every log
 * file it lists, as `integrity` rows (schema/integrity.ts). Pure: the caller brings the digest's
 * bytes hash and signature, the public key, what it found of the previous digest and a lookup of
 * the log files' hashes (the worker from manifests, `loglake verify` from downloads).
 *
 * A log file's hash is the SHA-256 of its uncompressed content: AWS computes `hashValue` that
 * way ("validate the log file ... compute the SHA-256 hash value of its uncompressed content"),
 * so a gzip object re-compressed with the same events still matches and the stored object's
 * ETag or checksum cannot stand in for it.
 *
 * Attribution, so that one tampering is one finding: the log files of a digest whose signature
 * does not verify are not checked (its hashes prove nothing), and a broken link to a previous
 * digest is reported only when that previous digest is itself authentic (an edited previous
 * digest is its own `signature_invalid`, not also its successor's `chain_broken`).
 */
import type { KeyObject } from 'node:crypto';
import type { IntegrityRow, IntegrityStatus } from '../../schema/index.js';
import { digestKeyFacts, type Digest, type DigestLogFile } from './digest.js';
import { verifyDigestSignature } from './signature.js';

/** What `logHash` returns, followed by the reason, for a log file whose content cannot be decoded. */
export const UNREADABLE_CONTENT = 'unreadable: ';

/** A digest as read: where it was found, its content's hash, and its object metadata. */
export interface DigestUnderCheck {
  /** S3 key it was read from (for a local copy, the key it was copied from). */
  readonly key: string;
  readonly digest: Digest;
  /** Hex SHA-256 of the digest file's uncompressed bytes. */
  readonly contentHash: string;
  /** Metadata `signature` (hex); null when the object has none. */
  readonly signature: string | null;
  /** Metadata `signing-algorithm`; null when absent (the digest's own field is used then). */
  readonly signingAlgorithm: string | null;
}

/** What the caller found of the digest that `previousDigestS3Object` names. */
export type PreviousDigest =
  /** The digest starts a chain (no previous named). */
  | { readonly state: 'none' }
  /** Named, and not there. */
  | { readonly state: 'missing' }
  /** Not looked at (the worker before the previous digest arrived): the link is not checked. */
  | { readonly state: 'unchecked' }
  | {
      readonly state: 'found';
      readonly contentHash: string;
      /** Its metadata signature. */
      readonly signature: string | null;
      /** Whether its own signature verified. */
      readonly authentic: boolean;
      readonly endMs: number;
    };

export interface CheckInput {
  /** The public key of `digestPublicKeyFingerprint`, or null when none is known. */
  readonly publicKey: KeyObject | null;
  readonly previous: PreviousDigest;
  /** The recorded hash of a listed log file, or null when it has not been seen. */
  readonly logHash: (bucket: string, key: string) => string | null;
  /** The age rule: whether an unseen log file counts as `missing_log` rather than `not_yet_ingested`. */
  readonly isMissing: (log: DigestLogFile, digest: Digest) => boolean;
  readonly checkedAt: number;
}

/** The result of one digest: its rows, and whether its signature verified. */
export interface DigestCheck {
  readonly rows: IntegrityRow[];
  readonly authentic: boolean;
}

const REGION_IN_KEY = /\/CloudTrail-Digest\/([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\//;

/** Whether a digest names itself where it was found (a local copy keeps the path from `AWSLogs/` on). */
function foundWhereItSays(d: DigestUnderCheck): boolean {
  return d.digest.digestS3Object === d.key || d.digest.digestS3Object.endsWith(`/${d.key}`) || d.key.endsWith(`/${d.digest.digestS3Object}`);
}

/** Why a digest is not authentic, or that it is (its signature verifies, where it was found). */
export type Authenticity = { readonly ok: true } | { readonly ok: false; readonly status: 'unknown_key' | 'signature_invalid'; readonly detail: string };

/** Whether `d` is authentic with `publicKey` (the key of its fingerprint, null when none is known). */
export function authenticate(d: DigestUnderCheck, publicKey: KeyObject | null): Authenticity {
  const { digest } = d;
  if (publicKey === null) return { ok: false, status: 'unknown_key', detail: `no public key has fingerprint ${digest.digestPublicKeyFingerprint}` };
  if (d.signature === null) return { ok: false, status: 'signature_invalid', detail: 'the digest object has no signature metadata' };
  const sig = verifyDigestSignature(digest, d.contentHash, d.signature, d.signingAlgorithm ?? digest.digestSignatureAlgorithm, publicKey);
  if (!sig.ok) return { ok: false, status: 'signature_invalid', detail: sig.reason };
  if (!foundWhereItSays(d)) return { ok: false, status: 'signature_invalid', detail: `found at ${d.key} but signed for ${digest.digestS3Object}` };
  return { ok: true };
}

export function checkDigest(d: DigestUnderCheck, input: CheckInput): DigestCheck {
  const { digest } = d;
  const facts = digestKeyFacts(d.key) ?? digestKeyFacts(digest.digestS3Object);
  const base = {
    trail: facts?.trail ?? 'unknown',
    account: digest.awsAccountId,
    region: facts?.region ?? REGION_IN_KEY.exec(`/${d.key}`)?.[1] ?? 'unknown',
    digest_key: d.key,
    digest_end_time: digest.endMs,
    checked_at: input.checkedAt,
  };
  const row = (status: IntegrityStatus, detail: string | null, extra: Partial<Pick<IntegrityRow, 'log_key' | 'kind' | 'expected_hash' | 'actual_hash' | 'digest_key'>> = {}): IntegrityRow => ({
    ...base,
    log_key: null,
    kind: 'digest',
    status,
    detail,
    expected_hash: null,
    actual_hash: d.contentHash,
    ...extra,
  });
  const auth = authenticate(d, input.publicKey);
  if (!auth.ok) {
    const unchecked = digest.logFiles.length > 0 ? `; its ${digest.logFiles.length} log files are not checked` : '';
    return { authentic: false, rows: [row(auth.status, `${auth.detail}${unchecked}`)] };
  }

  const rows: IntegrityRow[] = [];
  const prev = input.previous;
  let status: IntegrityStatus = 'valid';
  let detail: string | null = null;
  let expected: string | null = null;
  if (prev.state === 'missing') {
    rows.push(row('digest_missing', `named as the previous digest by ${d.key}, not found`, { digest_key: digest.previousDigestS3Object ?? '', expected_hash: digest.previousDigestHashValue, actual_hash: null, kind: 'digest' }));
  } else if (prev.state === 'found' && prev.authentic) {
    if (digest.previousDigestHashValue !== prev.contentHash) {
      status = 'chain_broken';
      detail = `previousDigestHashValue ${digest.previousDigestHashValue ?? 'null'} but ${digest.previousDigestS3Object ?? 'the previous digest'} hashes to ${prev.contentHash}`;
      expected = digest.previousDigestHashValue;
    } else if (digest.previousDigestSignature !== prev.signature) {
      status = 'chain_broken';
      detail = `previousDigestSignature differs from the signature of ${digest.previousDigestS3Object ?? 'the previous digest'}`;
    } else if (prev.endMs !== digest.startMs && facts?.backfill !== true) {
      // A backfill digest lists late log files of an hour already covered: its times need not meet.
      rows.push(row('digest_missing', `no digest covers ${new Date(Math.min(prev.endMs, digest.startMs)).toISOString()} to ${new Date(Math.max(prev.endMs, digest.startMs)).toISOString()}: the previous digest ends at ${new Date(prev.endMs).toISOString()}, this one starts at ${digest.digestStartTime}`));
    }
  }
  const own: IntegrityRow = { ...row(status, detail), ...(status === 'chain_broken' && expected !== null ? { expected_hash: expected, actual_hash: prev.state === 'found' ? prev.contentHash : null } : {}) };
  rows.unshift(own);

  for (const log of digest.logFiles) {
    const actual = input.logHash(log.s3Bucket, log.s3Object);
    const extra = { kind: 'log' as const, log_key: log.s3Object, expected_hash: log.hashValue, actual_hash: actual };
    if (actual === null) {
      const missing = input.isMissing(log, digest);
      rows.push(row(missing ? 'missing_log' : 'not_yet_ingested', missing ? 'listed by the digest, not found' : 'listed by the digest, not seen yet', extra));
    } else if (actual.startsWith(UNREADABLE_CONTENT)) {
      rows.push(row('hash_mismatch', `the content does not decompress (${actual.slice(UNREADABLE_CONTENT.length)}), the digest lists ${log.hashValue}`, { ...extra, actual_hash: null }));
    } else if (actual.toLowerCase() !== log.hashValue) {
      rows.push(row('hash_mismatch', `uncompressed content hashes to ${actual}, the digest lists ${log.hashValue}`, extra));
    } else rows.push(row('valid', null, extra));
  }
  return { authentic: true, rows };
}
