/**
 * The manifest: one JSON document per source object recording what a run read and wrote.
 * It is the ledger that lets a re-run delete outputs it no longer produces, and the place where
 * `lines_in = records + rejected + skipped` is written down for every object.
 */
import type { RejectReason, SkipReason } from '../schema/index.js';
import type { Compression } from './decompress.js';

/** `partial`: a run stopped at its deadline; a continuation message carries on from `resume`. */
export type ObjectStatus = 'ok' | 'ignored' | 'failed' | 'partial';

/** Where a continuation resumes: frames up to `ordinal` are done, its outputs use part numbers from `part`. */
export interface ResumePoint {
  readonly ordinal: number;
  readonly part: number;
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
  /** Set on `partial` manifests: where the continuation picks up. */
  readonly resume?: ResumePoint | null;
  /** Outputs of an earlier run that a continued run has not replaced yet: deleted when it completes. */
  readonly superseded_outputs?: readonly string[];
  /** Errors files written by earlier runs of a continued object (this run's is `errors_output`). */
  readonly earlier_errors_outputs?: readonly string[];
}

/** Keys a manifest says its run wrote (data parts and the errors file). */
export function outputKeys(m: Pick<Manifest, 'outputs' | 'errors_output' | 'earlier_errors_outputs'>): string[] {
  const keys = m.outputs.map((o) => o.key);
  if (m.errors_output) keys.push(m.errors_output);
  if (m.earlier_errors_outputs) keys.push(...m.earlier_errors_outputs);
  return keys;
}

/** Parses a stored manifest, or returns null when it is absent or not one of ours. */
export function parseManifest(bytes: Uint8Array | null): Manifest | null {
  if (bytes === null) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof v === 'object' && v !== null && (v as { manifest_version?: unknown }).manifest_version === 1) return v as Manifest;
  } catch {
    // an unreadable old manifest only means we cannot clean up after it
  }
  return null;
}
