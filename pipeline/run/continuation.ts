/**
 * Manifest bookkeeping for objects processed in several runs (DESIGN: failure model, an object
 * too big for one invocation). A run that stops at its deadline writes a `partial` manifest with
 * the point to resume from; the continuation checks that this is still the chain it belongs to,
 * sums its counts onto the partial ones, and only the run that completes the chain deletes the
 * outputs of older runs it did not rewrite, so readers never see an object half replaced.
 */
import { outputKeys, type Manifest, type PartitionOutput, type ResumePoint } from './manifest.js';

/** Manifest `reason` of a continuation that found its chain already completed, restarted or changed. */
export const SUPERSEDED_CONTINUATION = 'superseded_continuation';

/**
 * Why a continuation must not run, or null when `previous` is the partial manifest it continues.
 * Redelivered continuations and continuations of a chain a fresh run restarted land here.
 */
export function continuationMismatch(previous: Manifest | null, resume: ResumePoint): string | null {
  if (previous === null) return 'the object has no manifest, so there is no partial run to continue';
  if (previous.status !== 'partial' || previous.resume == null) {
    return `the object's manifest is ${previous.status}, not partial: the chain was completed or restarted`;
  }
  if (previous.resume.ordinal !== resume.ordinal || previous.resume.part !== resume.part) {
    return `the manifest resumes at ordinal ${previous.resume.ordinal} part ${previous.resume.part}, this message at ordinal ${resume.ordinal} part ${resume.part}`;
  }
  return null;
}

function sumCounts<K extends string>(a: Partial<Record<K, number>>, b: Partial<Record<K, number>>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = { ...a };
  for (const [k, v] of Object.entries(b) as Array<[K, number]>) out[k] = (out[k] ?? 0) + v;
  return out;
}

const byKey = (a: PartitionOutput, b: PartitionOutput): number => a.key.localeCompare(b.key);

/** This continuation run's manifest extended with what the partial runs before it recorded. */
function mergeContinued(m: Manifest, previous: Manifest): Manifest {
  const earlier = [...(previous.earlier_errors_outputs ?? []), ...(previous.errors_output ? [previous.errors_output] : [])];
  return {
    ...m,
    records: previous.records + m.records,
    rejected: previous.rejected + m.rejected,
    skipped: previous.skipped + m.skipped,
    rejected_by_reason: sumCounts(previous.rejected_by_reason, m.rejected_by_reason),
    skipped_by_reason: sumCounts(previous.skipped_by_reason, m.skipped_by_reason),
    invalid_utf8_lines: previous.invalid_utf8_lines + m.invalid_utf8_lines,
    schema_drift: (previous.schema_drift ?? 0) + (m.schema_drift ?? 0),
    outputs: [...previous.outputs, ...m.outputs].sort(byKey),
    earlier_errors_outputs: earlier,
    started_at: previous.started_at,
    duration_ms: previous.duration_ms + m.duration_ms,
  };
}

/** The manifest to write and the keys to delete once it is written. */
export interface SettledRun {
  readonly manifest: Manifest;
  readonly stale: readonly string[];
}

/**
 * Completes a run's manifest against the one it replaces. `resume` is where this run started
 * (continuations), `resumeAt` where the next one must start (this run stopped at its deadline).
 *
 * - failed: the previous outputs stay live and listed, nothing is deleted;
 * - partial: outputs the previous runs wrote and this chain has not rewritten are recorded as
 *   `superseded_outputs`, not deleted yet;
 * - ok / ignored: those outputs are deleted.
 */
export function settleRun(m: Manifest, previous: Manifest | null, resume: ResumePoint | null, resumeAt: ResumePoint | null): SettledRun {
  if (m.status === 'failed') {
    const carried = previous
      ? { earlier_errors_outputs: previous.earlier_errors_outputs ?? [], superseded_outputs: previous.superseded_outputs ?? [] }
      : {};
    return { manifest: { ...m, ...carried }, stale: [] };
  }
  const continued = resume !== null && previous !== null ? mergeContinued(m, previous) : m;
  const pending = resume !== null ? (previous?.superseded_outputs ?? []) : previous ? [...outputKeys(previous), ...(previous.superseded_outputs ?? [])] : [];
  const live = new Set(outputKeys(continued));
  const rest = [...new Set(pending)].filter((k) => !live.has(k));
  if (m.status === 'partial') {
    return { manifest: { ...continued, resume: resumeAt, superseded_outputs: rest }, stale: [] };
  }
  return { manifest: continued, stale: rest };
}
