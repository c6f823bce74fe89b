/**
 * The `integrity` table: results of CloudTrail log file integrity validation, one row per
 * digest file and one per log file a digest lists. The worker (continuously) and
 * `loglake verify` (audits) produce the same rows; Glue and the DuckDB view derive from
 * `INTEGRITY_COLUMNS`.
 *
 * What is hashed (AWS, "Validating CloudTrail log file integrity — custom implementation"):
 * a digest's `logFiles[].hashValue` is the hex SHA-256 of the log file's **uncompressed**
 * content (the bytes after gunzip, not the `.json.gz` object as stored, so the object's ETag or
 * checksum is no substitute), and the digest's own hash in its signing string and in the next
 * digest's `previousDigestHashValue` is the hex SHA-256 of the digest file's uncompressed
 * content too. Whoever records a log file's hash while ingesting must hash the decompressed
 * stream, every byte, before any decoding to text.
 */
import type { ColumnType } from './columns.js';

/**
 * - `valid`: the digest's signature verifies (and its chain holds), or the log file's hash is
 *   the one its digest lists.
 * - `hash_mismatch`: a log file's content hashes to something other than what its digest lists.
 * - `missing_log`: a listed log file is still absent after the allowed delay.
 * - `not_yet_ingested`: a listed log file has not been seen yet (it may arrive after its digest).
 * - `signature_invalid`: the digest's RSA signature does not verify (digest edited, wrong key,
 *   missing signature metadata).
 * - `chain_broken`: the digest's `previousDigestHashValue` or `previousDigestSignature` does not
 *   match the previous digest it names.
 * - `digest_missing`: a gap in the hourly chain: the previous digest a digest names does not
 *   exist, or its time range does not meet this one's.
 * - `unknown_key`: no public key has the digest's `digestPublicKeyFingerprint`.
 */
export const INTEGRITY_STATUSES = [
  'valid',
  'hash_mismatch',
  'missing_log',
  'not_yet_ingested',
  'signature_invalid',
  'chain_broken',
  'digest_missing',
  'unknown_key',
] as const;

export type IntegrityStatus = (typeof INTEGRITY_STATUSES)[number];

/** Statuses that are findings of an audit (`not_yet_ingested` is a wait, `valid` is fine). */
export const INTEGRITY_FINDINGS: readonly IntegrityStatus[] = [
  'hash_mismatch',
  'missing_log',
  'signature_invalid',
  'chain_broken',
  'digest_missing',
  'unknown_key',
];

export const INTEGRITY_KINDS = ['digest', 'log'] as const;
export type IntegrityKind = (typeof INTEGRITY_KINDS)[number];

interface IntegrityColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly doc: string;
}

/** Columns of the `integrity` table, in file order. */
export const INTEGRITY_COLUMNS = [
  { name: 'trail', type: 'string', doc: 'trail name, from the digest object name' },
  { name: 'account', type: 'string', doc: 'AWS account id whose trail delivered the digest' },
  { name: 'region', type: 'string', doc: 'AWS region of the digest' },
  { name: 'digest_key', type: 'string', doc: 'S3 key of the digest file (`…/CloudTrail-Digest/…json.gz`)' },
  { name: 'log_key', type: 'string', doc: 'S3 key of the listed log file; null on a digest row' },
  { name: 'kind', type: 'string', doc: '`digest` or `log`' },
  { name: 'status', type: 'string', doc: 'one of `INTEGRITY_STATUSES` (see docs/integrity.md)' },
  { name: 'detail', type: 'string', doc: 'what differs, in words; null when valid' },
  {
    name: 'expected_hash',
    type: 'string',
    doc: 'hex SHA-256 the digest lists (log row) or the next digest expects (chain); SHA-256 of uncompressed content',
  },
  { name: 'actual_hash', type: 'string', doc: 'hex SHA-256 computed of the uncompressed content; null when not read' },
  { name: 'digest_end_time', type: 'timestamp', doc: 'the digest\'s `digestEndTime`' },
  { name: 'checked_at', type: 'timestamp', doc: 'when this result was computed' },
] as const satisfies readonly IntegrityColumnDef[];

export type IntegrityColumnName = (typeof INTEGRITY_COLUMNS)[number]['name'];

/** One row of the `integrity` table; times as epoch milliseconds (UTC), like the events table. */
export interface IntegrityRow {
  readonly trail: string;
  readonly account: string;
  readonly region: string;
  readonly digest_key: string;
  readonly log_key: string | null;
  readonly kind: IntegrityKind;
  readonly status: IntegrityStatus;
  readonly detail: string | null;
  readonly expected_hash: string | null;
  readonly actual_hash: string | null;
  readonly digest_end_time: number;
  readonly checked_at: number;
}
