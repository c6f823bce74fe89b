/**
 * Polling a source that sends no notifications: every scheduled `replay-poll` runs a replay of
 * each prefix over the days since the previous poll of that prefix started (minus the lookback,
 * for objects delivered late into an older day folder), skip-unchanged, so only what the lake
 * does not hold yet is enqueued.
 *
 * Where the previous poll started is a small state object per bucket and prefix,
 * `replay-control/poll/<bucket>/<sha256 of the prefix>.json`, written when a poll starts. A
 * poll whose run did not end `done` (it failed, was cancelled, or died) leaves its range to the
 * next one, which starts at the earlier of the two; a poll whose run is still working (its record
 * rewritten within {@link POLL_STALE_MS}) makes the next poll of that prefix wait, so two runs
 * never list and enqueue the same days at once.
 */
import { createHash } from 'node:crypto';
import { isDay, isRunId, type LakeSink, type ReplayRecord } from '../../pipeline/index.js';
import { problemsText, versionedDocument } from '../../schema/checks.js';
import { LAKE_PREFIXES } from '../../schema/lake-layout.js';

/** Where poll states live in the central bucket. */
export const POLL_STATE_PREFIX = `${LAKE_PREFIXES.replayControl}poll/`;

/**
 * A poll whose run is `running` but whose record was not rewritten for this long is taken for
 * dead (its continuation lost): the next poll starts a new run over its range too.
 */
export const POLL_STALE_MS = 60 * 60_000;

const DAY_MS = 86_400_000;

/** The state object of one polled bucket and prefix: its name is the SHA-256 of the prefix, so any prefix makes a valid key. */
export function pollStateKey(bucket: string, prefix: string): string {
  return `${POLL_STATE_PREFIX}${bucket}/${createHash('sha256').update(prefix).digest('hex')}.json`;
}

/** What the previous poll of a bucket and prefix did. */
export interface PollState {
  readonly v: 1;
  readonly bucket: string;
  readonly prefix: string;
  /** Its run (`replays/<run-id>.json`). */
  readonly run_id: string;
  readonly started_at: string;
  /** The UTC day it started on. */
  readonly started_day: string;
  /** The first day its run lists. */
  readonly from: string;
}

/** The UTC day of a time. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `day` moved by `n` days. */
export const addDays = (day: string, n: number): string => dayOf(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);

/** Reads a state object, or says what is wrong with it. */
export function parsePollState(bytes: Uint8Array, where: string): PollState | string {
  const doc = versionedDocument(bytes, where);
  if (typeof doc === 'string') return doc;
  const s = doc.section;
  s.required('bucket', 'the polled bucket');
  s.string('prefix', '');
  const runId = s.string('run_id', '');
  if (!isRunId(runId)) s.problem('run_id', `must be a run id, got ${JSON.stringify(runId)}`);
  s.required('started_at', 'when the poll started');
  for (const k of ['started_day', 'from']) if (!isDay(s.string(k, ''))) s.problem(k, `must be a day YYYY-MM-DD, got ${JSON.stringify(s.raw(k))}`);
  if (s.problems.length > 0) return `${where} is not a poll state: ${problemsText(s.problems)}`;
  return doc.value as PollState;
}

/** The state of a bucket and prefix: null when it was never polled, a string when the object is unreadable. */
export async function readPollState(lake: LakeSink, bucket: string, prefix: string): Promise<PollState | string | null> {
  const key = pollStateKey(bucket, prefix);
  const bytes = await lake.get(key);
  return bytes === null ? null : parsePollState(bytes, lake.describe(key));
}

export async function writePollState(lake: LakeSink, state: PollState): Promise<void> {
  await lake.put(pollStateKey(state.bucket, state.prefix), `${JSON.stringify(state, null, 1)}\n`);
}

/** What one poll of a prefix does: run over a range, or wait for the previous poll's run. */
export type PollPlan =
  | { readonly kind: 'run'; readonly from: string; readonly to: string }
  | { readonly kind: 'wait'; readonly runId: string; readonly reason: string };

/**
 * Decides a poll from the previous poll's state and run record (null when there is none):
 * from the day the previous poll started minus `lookbackDays` (today minus `lookbackDays` for a
 * first poll), or from where the previous run began when it did not finish; to today.
 */
export function planPoll(state: PollState | null, previous: ReplayRecord | null, nowMs: number, lookbackDays: number): PollPlan {
  const today = dayOf(nowMs);
  if (state === null) return { kind: 'run', from: addDays(today, -lookbackDays), to: today };
  if (previous !== null && previous.status === 'running') {
    const quietMs = nowMs - Date.parse(previous.updated_at);
    if (quietMs < POLL_STALE_MS) return { kind: 'wait', runId: previous.run_id, reason: `the previous poll ${previous.run_id} is still running` };
  }
  let from = addDays(state.started_day, -lookbackDays);
  if (previous?.status !== 'done' && state.from < from) from = state.from;
  return { kind: 'run', from: from > today ? today : from, to: today };
}
