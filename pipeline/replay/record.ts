/**
 * A replay run is a record: `replays/<run-id>.json` in the central bucket says what was asked
 * (the parameters), how far it got (a cursor: the window being worked and the last key decided
 * in it), what it counted (listed, skipped by rule, enqueued, bytes) and what went wrong. The
 * producer rewrites it after every chunk, so a run stopped anywhere — Ctrl-C, a Lambda deadline,
 * a failed send — continues from its record (`--resume`), and `loglake replay status` and Athena
 * read the same file. A cancel is a separate marker (`replay-control/<run-id>/cancel`) so the
 * producer's own rewrites can never erase it.
 */
import { randomBytes } from 'node:crypto';
import { Section, isRecord, problemsText, versionedDocument } from '../../schema/checks.js';
import { LAKE_LAYOUT } from '../../schema/lake-layout.js';
import type { SkipRule } from './skip.js';

/** What a replay was asked to do; everything needed to run it again from its record. */
export interface ReplayParams {
  readonly bucket: string;
  /** `''` or ending in `/`. */
  readonly prefix: string;
  readonly from: string;
  readonly to: string;
  readonly source: string | null;
  readonly account: string | null;
  readonly region: string | null;
  readonly force: boolean;
  /** `<parser-id>@<version>`, or null. */
  readonly parserOlderThan: string | null;
  /** Most objects enqueued per second; null for no limit. */
  readonly rate: number | null;
  /** How much of the range is listed at once: a month of a large organization may not fit in memory, a day does. */
  readonly window: 'day' | 'month';
}

export type ReplayStatus = 'running' | 'done' | 'cancelled' | 'failed';

/** Who produces the messages: the CLI (`queue`), the deployed replay function (`deployed`) or its schedule (`poll`). */
export type ReplayMode = 'queue' | 'deployed' | 'poll';

export interface Tally {
  objects: number;
  bytes: number;
}

export interface ReplayError {
  readonly at: string;
  /** The object the error is about, when it is about one. */
  readonly key: string | null;
  readonly message: string;
}

/** Errors kept in the record; `errors_total` counts them all. */
export const MAX_RECORDED_ERRORS = 50;

export interface ReplayRecord {
  readonly v: 1;
  readonly run_id: string;
  readonly mode: ReplayMode;
  readonly params: ReplayParams;
  /** Where the messages go. */
  readonly queue_url: string;
  status: ReplayStatus;
  readonly started_at: string;
  updated_at: string;
  ended_at: string | null;
  /** Windows of the range (days or months), worked in order. */
  readonly windows: number;
  /**
   * Where the run is: `window` is the index of the window being worked (`windows` when done);
   * every key of it up to `after` is decided (enqueued or skipped). `sent_ahead` are keys past
   * `after` whose messages were already sent when a send failed, so a resume does not send them twice.
   */
  cursor: { window: number; after: string | null; sent_ahead: string[] };
  listed: Tally;
  skipped: Record<SkipRule, number>;
  enqueued: Tally;
  /** SendMessageBatch calls, and entries sent again after SQS refused them. */
  batches: number;
  retried_entries: number;
  /** Prefixes listed whole and filtered by LastModified because no known layout fitted. */
  fallback_prefixes: string[];
  errors: ReplayError[];
  errors_total: number;
  /** Invocations (or CLI sessions) that worked on the run. */
  invocations: number;
}

/** Top-level prefix of run records; one JSON document per run, which Athena and DuckDB read as a table. */
export const REPLAYS_PREFIX = LAKE_LAYOUT.replays.prefix;
/** Top-level prefix of cancel markers, kept out of `replays/` so the table holds records only. */
export const REPLAY_CONTROL_PREFIX = LAKE_LAYOUT.replayControl.prefix;

export const replayRecordKey = (runId: string): string => `${REPLAYS_PREFIX}${runId}.json`;
export const replayCancelKey = (runId: string): string => `${REPLAY_CONTROL_PREFIX}${runId}/cancel`;

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** Whether `text` has the shape of a run id. */
export const isRunId = (text: string): boolean => RUN_ID.test(text);

/** A new run id: sortable by start time, unique enough for concurrent starts. */
export function newRunId(nowMs: number = Date.now()): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A fresh record for a run about to start. */
export function newRecord(runId: string, mode: ReplayMode, params: ReplayParams, queueUrl: string, windows: number, nowMs: number): ReplayRecord {
  const now = new Date(nowMs).toISOString();
  return {
    v: 1,
    run_id: runId,
    mode,
    params,
    queue_url: queueUrl,
    status: 'running',
    started_at: now,
    updated_at: now,
    ended_at: null,
    windows,
    cursor: { window: 0, after: null, sent_ahead: [] },
    listed: { objects: 0, bytes: 0 },
    skipped: { unchanged: 0, 'not-older-parser': 0 },
    enqueued: { objects: 0, bytes: 0 },
    batches: 0,
    retried_entries: 0,
    fallback_prefixes: [],
    errors: [],
    errors_total: 0,
    invocations: 0,
  };
}

/** Adds an error, keeping the first `MAX_RECORDED_ERRORS`. */
export function recordError(r: ReplayRecord, message: string, key: string | null, nowMs: number): void {
  r.errors_total++;
  if (r.errors.length < MAX_RECORDED_ERRORS) r.errors.push({ at: new Date(nowMs).toISOString(), key, message });
}

/** One line: Athena's JSON SerDe reads one document per line. */
export function serializeRecord(r: ReplayRecord): string {
  return `${JSON.stringify(r)}\n`;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads a stored record, or says what is wrong with it (a record is rewritten often; a torn or hand-edited one must not resume silently). */
export function parseRecord(bytes: Uint8Array, where: string): ReplayRecord | string {
  const doc = versionedDocument(bytes, where);
  if (typeof doc === 'string') return doc;
  const s = doc.section;
  s.string('run_id', '', RUN_ID, 'a run id');
  s.oneOf('mode', 'queue', ['queue', 'deployed', 'poll'] as const);
  s.oneOf('status', 'running', ['running', 'done', 'cancelled', 'failed'] as const);
  s.required('queue_url', 'the queue the run sends to');
  s.required('started_at', 'when the run started');
  s.int('windows', 0, 1);
  const p = new Section(s.raw('params'), { path: 'params', known: null, problems: s.problems });
  p.required('bucket', 'the bucket replayed');
  p.string('from', '', DAY, 'a day YYYY-MM-DD');
  p.string('to', '', DAY, 'a day YYYY-MM-DD');
  p.oneOf('window', 'month', ['day', 'month'] as const);
  const c = new Section(s.raw('cursor'), { path: 'cursor', known: null, problems: s.problems });
  c.int('window', 0, 0);
  if (!Array.isArray(c.raw('sent_ahead'))) c.problem('sent_ahead', 'must be an array of keys');
  for (const k of ['listed', 'enqueued', 'skipped']) if (!isRecord(s.raw(k))) s.problem(k, 'must be an object');
  if (!Array.isArray(s.raw('errors'))) s.problem('errors', 'must be an array');
  if (s.problems.length > 0) return `${where} is not a replay record: ${problemsText(s.problems)}`;
  return doc.value as ReplayRecord;
}
