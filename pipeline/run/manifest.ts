/**
 * The manifest: one JSON document per source object recording what a run read and wrote.
 * It is the ledger that lets a re-run delete outputs it no longer produces, and the place where
 * `lines_in = records + rejected + skipped` is written down for every object.
 */
import { Section, problemsText, show } from '../../schema/checks.js';
import type { RejectReason, SkipReason } from '../../schema/index.js';
import type { Compression } from '../decode/decompress.js';

/**
 * `partial`: a run stopped at its deadline; a continuation message carries on from `resume`.
 * `damaged`: the compressed stream broke part-way; every frame decoded before the break is
 * kept, the frame it cut is rejected as `damaged_input`, and `damage` says what was left
 * unread. Not retried: an S3 object never changes, so neither does its damage.
 */
export type ObjectStatus = 'ok' | 'ignored' | 'failed' | 'partial' | 'damaged';

/** Where the records of a run stand, as of that run. */
export interface Publication {
  readonly state: 'live' | 'staged' | 'discarded';
  /** Why, in words: what it waits for, or what was published or dropped. */
  readonly why: string;
}

/** Where and how a compressed stream broke. */
export interface Damage {
  /** `truncated_gzip`, `corrupt_gzip` or `corrupt_archive`. */
  readonly reason: string;
  readonly detail: string;
  /** Compressed bytes of the object never read because decoding stopped; null when the size is unknown. */
  readonly compressed_bytes_unread: number | null;
}

/** Where a continuation resumes: frames up to `ordinal` are done, its outputs use part numbers from `part`. */
export interface ResumePoint {
  readonly ordinal: number;
  readonly part: number;
  /**
   * Day of the object's first record, when a run before this point had one: the partition of
   * the object's rejected lines, whichever run writes them, as in one uninterrupted run.
   */
  readonly first_dt?: string | null;
}

export interface PartitionOutput {
  readonly source: string;
  readonly dt: string;
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface Manifest {
  readonly manifest_version: 1;
  readonly object: string;
  readonly object_id: string;
  readonly bucket: string;
  readonly key: string;
  readonly version_id: string | null;
  readonly etag: string | null;
  readonly source: string | null;
  /** The parser that read the object (`billing-cur`, `alb`, …); continuations pin it. */
  readonly parser_id?: string | null;
  readonly parser_version: string | null;
  /** How the format was chosen: a user rule, the key pattern, or content sniffing. */
  readonly routed_by: 'rule' | 'key' | 'content' | null;
  readonly status: ObjectStatus;
  /** Why an object was ignored (e.g. `cloudtrail-digest`) or failed (an error code). */
  readonly reason: string | null;
  readonly error: string | null;
  readonly compression: Compression | null;
  readonly entries: number;
  readonly bytes_in: number;
  readonly bytes_decompressed: number;
  readonly lines_in: number;
  readonly records: number;
  readonly rejected: number;
  readonly skipped: number;
  readonly rejected_by_reason: Partial<Record<RejectReason, number>>;
  readonly skipped_by_reason: Partial<Record<SkipReason, number>>;
  readonly invalid_utf8_lines: number;
  readonly outputs: readonly PartitionOutput[];
  readonly errors_output: string | null;
  readonly started_at: string;
  readonly finished_at: string;
  readonly duration_ms: number;
  /** Last-modified time of the object read, when the store said; the start of ingest lag. */
  readonly object_last_modified?: string | null;
  /** Frames whose parser met fields its format version does not know (`ParseContext.drift`). */
  readonly schema_drift?: number;
  /** Values that did not fit their typed column and were kept in `fields` (`_invalid.<column>`), by column. */
  readonly invalid_values?: Readonly<Record<string, number>>;
  /**
   * Whether this run's records are queryable, for objects whose output waits for others (CUR
   * report versions): `staged` until the assembly completes, `discarded` when an older assembly
   * completed after a newer one went live. Absent: live as soon as written.
   */
  readonly publication?: Publication;
  /** Set on `damaged` manifests. */
  readonly damage?: Damage | null;
  /** Set on `partial` manifests: where the continuation picks up. */
  readonly resume?: ResumePoint | null;
  /** Outputs of an earlier run that a continued run has not replaced yet: deleted when it completes. */
  readonly superseded_outputs?: readonly string[];
  /**
   * Errors files written by earlier runs of a continued object, or by the virtual objects a
   * CloudWatch Logs payload object was split into (this run's own is `errors_output`).
   */
  readonly earlier_errors_outputs?: readonly string[];
  /**
   * CloudTrail log objects only: hex SHA-256 of the uncompressed content, the hash a CloudTrail
   * digest lists for the file (`run/content-hash.ts`); integrity validation compares it without
   * reading the file again. Null when this run did not read every byte (`sha256_unavailable` says why).
   */
  readonly sha256?: string | null;
  /** Why `sha256` is null: a partial run (the completing continuation records it), damage, failure. */
  readonly sha256_unavailable?: string | null;
}

/**
 * The stored text of a manifest: one line, because the `objects` table reads `manifests/` with
 * Athena's JSON SerDe, which takes one document per line.
 */
export function serializeManifest(m: Manifest): string {
  return `${JSON.stringify(m)}\n`;
}

/** Keys a manifest says its run wrote (data parts and the errors file). */
export function outputKeys(m: Pick<Manifest, 'outputs' | 'errors_output' | 'earlier_errors_outputs'>): string[] {
  const keys = m.outputs.map((o) => o.key);
  if (m.errors_output) keys.push(m.errors_output);
  if (m.earlier_errors_outputs) keys.push(...m.earlier_errors_outputs);
  return keys;
}

/**
 * Why a stored document is not a manifest this code can rely on, or null when it is one. Only
 * what re-runs and continuations read is checked: the outputs they delete or keep, and the
 * resume point; fields this code does not read are left alone.
 */
export function manifestProblem(v: unknown): string | null {
  const m = new Section(v, { shape: 'a JSON object' });
  if (v === null || v === undefined) m.problem('', `must be a JSON object, got ${show(v)}`);
  if (!m.isObject) return problemsText(m.problems);
  if (m.raw('manifest_version') !== 1) m.problem('manifest_version', `must be 1, got ${show(m.raw('manifest_version'))}`);
  m.required('outputs', 'the keys the run wrote');
  for (const o of m.sections('outputs', null).filter((o) => o.isObject)) {
    for (const k of ['source', 'dt', 'key']) if (o.required(k, 'a string')) o.string(k, '');
    for (const k of ['rows', 'bytes']) if (o.required(k, 'a number')) o.number(k, 0);
  }
  m.optionalString('errors_output', undefined, 'a key');
  for (const k of ['earlier_errors_outputs', 'superseded_outputs']) m.strings(k, [], undefined, 'a list of keys');
  if (m.required('status', 'ok, failed, …')) m.string('status', '');
  const r = m.section('resume', null, '{ordinal, part}');
  if (m.has('resume')) for (const k of ['ordinal', 'part']) if (r.required(k, 'a number')) r.number(k, 0);
  return m.problems.length === 0 ? null : problemsText(m.problems);
}

/**
 * Parses a stored manifest, or returns null when it is absent, unreadable or not one this code
 * wrote: an unusable old manifest only means a re-run cannot clean up after it, never a crash.
 */
export function parseManifest(bytes: Uint8Array | null): Manifest | null {
  if (bytes === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return null;
  }
  return manifestProblem(v) === null ? (v as Manifest) : null;
}
