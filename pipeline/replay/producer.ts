/**
 * The replay producer: works a run's range window by window (a day or a month), lists each window
 * (`list.ts`), decides each object in key order in chunks (`skip.ts`), sends a message per object
 * to replay (`send.ts`) and rewrites the run record (`record.ts`) after every chunk. Between chunks
 * it stops when asked — a cancel marker ends the run, `shouldYield` (a Lambda deadline, Ctrl-C)
 * leaves it running for the next invocation or `--resume` — and a send that keeps failing ends
 * it `failed` with the cursor at the last key decided, so every object is enqueued exactly once
 * across any number of stops.
 */
import { LoglakeError } from '../run/errors.js';
import type { LakeSink } from '../storage/storage.js';
import { DEFAULT_REGISTRY, type Registry } from '../route/route.js';
import { listRange, type Candidate, type DayRange, type ListPages } from './list.js';
import { newRecord, parseRecord, recordError, replayCancelKey, replayRecordKey, serializeRecord, type ReplayMode, type ReplayParams, type ReplayRecord } from './record.js';
import { packBatches, RateLimit, replayBody, sendBatch, type ReplayQueue, type SendPolicy } from './send.js';
import { parseParserVersion, selectForReplay } from './skip.js';

/** Objects decided between two record writes and stop checks. */
export const CHUNK_OBJECTS = 1000;
/** `SendMessageBatch` calls in flight. */
export const SEND_CONCURRENCY = 4;
/** Manifest GETs in flight while deciding a chunk: S3 serves thousands of GETs a second per prefix, one GET takes ~10-20 ms. */
export const MANIFEST_CONCURRENCY = 32;

/** The windows of a range, in order: each day, or each calendar month clipped to the range. */
export function windowsOf(range: DayRange, size: 'day' | 'month'): DayRange[] {
  const out: DayRange[] = [];
  let t = Date.parse(`${range.from}T00:00:00Z`);
  const end = Date.parse(`${range.to}T00:00:00Z`);
  while (t <= end) {
    const d = new Date(t);
    const from = d.toISOString().slice(0, 10);
    const next = size === 'day' ? t + 86_400_000 : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const last = Math.min(next - 86_400_000, end);
    out.push({ from, to: new Date(last).toISOString().slice(0, 10) });
    t = next;
  }
  return out;
}

export interface ProducerDeps {
  /** Lists the replayed bucket. */
  readonly pages: ListPages;
  /** The central bucket: manifests for the skip rules, the run record, cancel markers. */
  readonly lake: LakeSink;
  readonly queue: ReplayQueue;
  readonly registry?: Registry;
  /** True when this invocation must stop and leave the run to the next (a deadline, a signal). */
  readonly shouldYield?: () => boolean;
  /** Called after every record write. */
  readonly onProgress?: (record: Readonly<ReplayRecord>) => void;
  readonly now?: () => number;
  readonly chunkObjects?: number;
  readonly sendConcurrency?: number;
  readonly sendPolicy?: SendPolicy;
  /** For `RateLimit`; @default real time */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Thrown for a run that cannot be started or resumed as asked. */
export class ReplayRunError extends LoglakeError<'no_such_run' | 'not_resumable' | 'invalid_record'> {
  override readonly name = 'ReplayRunError';
}

/** Reads a run's record, or null when there is none. */
export async function readRecord(lake: LakeSink, runId: string): Promise<ReplayRecord | null> {
  const bytes = await lake.get(replayRecordKey(runId));
  if (bytes === null) return null;
  const r = parseRecord(bytes, lake.describe(replayRecordKey(runId)));
  if (typeof r === 'string') throw new ReplayRunError('invalid_record', r);
  return r;
}

/** Asks a running replay to stop at its next chunk. */
export async function requestCancel(lake: LakeSink, runId: string, nowMs: number = Date.now()): Promise<void> {
  await lake.put(replayCancelKey(runId), JSON.stringify({ requested_at: new Date(nowMs).toISOString() }));
}

/** Creates the record of a new run (written before anything is sent) and works it. */
export async function startReplay(runId: string, mode: ReplayMode, params: ReplayParams, queueUrl: string, deps: ProducerDeps): Promise<ReplayRecord> {
  const now = deps.now ?? Date.now;
  const record = newRecord(runId, mode, params, queueUrl, windowsOf(params, params.window).length, now());
  return produce(record, deps);
}

/** Continues a run from its record; a run that ended `done` or `cancelled` is not resumable. */
export async function resumeReplay(runId: string, deps: ProducerDeps): Promise<ReplayRecord> {
  const record = await readRecord(deps.lake, runId);
  if (record === null) throw new ReplayRunError('no_such_run', `no replay run ${runId}: ${deps.lake.describe(replayRecordKey(runId))} does not exist`);
  if (record.status === 'done' || record.status === 'cancelled') throw new ReplayRunError('not_resumable', `replay run ${runId} is ${record.status}; start a new run instead`);
  if (await deps.lake.get(replayCancelKey(runId))) {
    // Cancelled while stopped: the record says so from now on.
    record.status = 'cancelled';
    record.ended_at = new Date((deps.now ?? Date.now)()).toISOString();
    record.updated_at = record.ended_at;
    await deps.lake.put(replayRecordKey(runId), serializeRecord(record));
    throw new ReplayRunError('not_resumable', `replay run ${runId} was cancelled; start a new run instead`);
  }
  record.status = 'running';
  record.ended_at = null;
  return produce(record, deps);
}

/** Works `record` from its cursor until the range is done, the run is cancelled, a send fails or `shouldYield`. */
export async function produce(record: ReplayRecord, deps: ProducerDeps): Promise<ReplayRecord> {
  const now = deps.now ?? Date.now;
  const registry = deps.registry ?? DEFAULT_REGISTRY;
  const chunkObjects = deps.chunkObjects ?? CHUNK_OBJECTS;
  const p = record.params;
  const older = p.parserOlderThan === null ? undefined : parseParserVersion(p.parserOlderThan, registry);
  if (typeof older === 'string') throw new ReplayRunError('invalid_record', `replay run ${record.run_id}: parserOlderThan: ${older}`);
  const windows = windowsOf(p, p.window);
  const rate = new RateLimit(p.rate, now, deps.sleep);

  const save = async (): Promise<void> => {
    record.updated_at = new Date(now()).toISOString();
    await deps.lake.put(replayRecordKey(record.run_id), serializeRecord(record));
    deps.onProgress?.(record);
  };
  const end = async (status: 'done' | 'cancelled' | 'failed'): Promise<ReplayRecord> => {
    record.status = status;
    record.ended_at = new Date(now()).toISOString();
    await save();
    return record;
  };
  const cancelled = async (): Promise<boolean> => (await deps.lake.get(replayCancelKey(record.run_id))) !== null;

  record.invocations++;
  await save();
  // Each call decides at least one chunk (or window) before it yields, so a run continued again
  // and again always advances.
  let advanced = false;
  const mayStop = (): boolean => advanced && deps.shouldYield?.() === true;
  while (record.cursor.window < windows.length) {
    if (await cancelled()) return end('cancelled');
    if (mayStop()) return record;
    const window = windows[record.cursor.window] as DayRange;
    let listing;
    try {
      listing = await listRange(deps.pages, p.prefix, { range: window, ...(p.source !== null ? { source: p.source } : {}), ...(p.account !== null ? { account: p.account } : {}), ...(p.region !== null ? { region: p.region } : {}) }, { registry });
    } catch (e) {
      recordError(record, `listing ${window.from}..${window.to}: ${e instanceof Error ? e.message : String(e)}`, null, now());
      return end('failed');
    }
    for (const f of listing.fallbackPrefixes) if (!record.fallback_prefixes.includes(f)) record.fallback_prefixes.push(f);
    const after = record.cursor.after;
    const ahead = new Set(record.cursor.sent_ahead);
    // A billing period met by several windows belongs to the one holding its first day in the run's range.
    const owned = (c: Candidate): boolean => c.periodStart === undefined || (c.periodStart < p.from ? p.from : c.periodStart) >= window.from;
    const todo = listing.objects.filter((c) => owned(c) && (after === null || c.key > after) && !ahead.has(c.key));
    for (let i = 0; i < todo.length; i += chunkObjects) {
      if (i > 0) {
        if (await cancelled()) return end('cancelled');
        if (mayStop()) {
          await save();
          return record;
        }
      }
      const failed = await chunk(record, todo.slice(i, i + chunkObjects), deps, older, rate, now);
      advanced = true;
      await save();
      if (failed) return end('failed');
    }
    record.cursor = { window: record.cursor.window + 1, after: null, sent_ahead: [] };
    advanced = true;
    await save();
  }
  return end('done');
}

/**
 * Decides and sends one chunk (in key order). Returns true when a send failed for good: the
 * cursor then stops before the first object not sent, and objects sent past it are kept in
 * `sent_ahead` so a resume skips them.
 */
async function chunk(
  record: ReplayRecord,
  cands: readonly Candidate[],
  deps: ProducerDeps,
  older: { id: string; version: number } | undefined,
  rate: RateLimit,
  now: () => number,
): Promise<boolean> {
  const p = record.params;
  const selection = await selectForReplay(cands, p.bucket, deps.lake, {
    force: p.force,
    concurrency: MANIFEST_CONCURRENCY,
    ...(older !== undefined ? { parserOlderThan: older } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  const toSend = new Set(selection.replay.map((c) => c.key));
  const batches = packBatches(selection.replay, (c) => replayBody({ bucket: p.bucket, key: c.key, size: c.size }, record.run_id));
  const sent = new Set<string>();
  let stop: unknown = null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (stop === null && next < batches.length) {
      const b = batches[next++] as (typeof batches)[number];
      await rate.take(b.items.length);
      try {
        const r = await sendBatch(deps.queue, b.bodies, deps.sendPolicy);
        record.batches += r.calls;
        record.retried_entries += r.retried;
        const refused = new Set(r.failed.map((f) => f.index));
        for (const f of r.failed) recordError(record, `not enqueued: ${f.reason}`, (b.items[f.index] as Candidate).key, now());
        b.items.forEach((c, j) => {
          if (!refused.has(j)) sent.add(c.key);
          else toSend.delete(c.key);
        });
      } catch (e) {
        if (stop === null) stop = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.sendConcurrency ?? SEND_CONCURRENCY, Math.max(1, batches.length)) }, worker));

  // Everything up to the first object meant to be sent but not sent is decided.
  let decided = cands.length;
  if (stop !== null) {
    decided = cands.findIndex((c) => toSend.has(c.key) && !sent.has(c.key));
    if (decided < 0) decided = cands.length;
  }
  for (let j = 0; j < decided; j++) {
    const c = cands[j] as Candidate;
    record.listed.objects++;
    record.listed.bytes += c.size;
    const rule = selection.ruleOf.get(c.key);
    if (sent.has(c.key)) {
      record.enqueued.objects++;
      record.enqueued.bytes += c.size;
    } else if (rule !== undefined) record.skipped[rule]++;
  }
  const ahead: string[] = [];
  for (let j = decided; j < cands.length; j++) {
    const c = cands[j] as Candidate;
    if (!sent.has(c.key)) continue;
    ahead.push(c.key);
    record.listed.objects++;
    record.listed.bytes += c.size;
    record.enqueued.objects++;
    record.enqueued.bytes += c.size;
  }
  const lastDecided = decided > 0 ? (cands[decided - 1] as Candidate).key : record.cursor.after;
  record.cursor = { window: record.cursor.window, after: lastDecided, sent_ahead: [...record.cursor.sent_ahead.filter((k) => lastDecided === null || k > lastDecided), ...ahead] };
  if (stop !== null) recordError(record, stop instanceof Error ? stop.message : String(stop), null, now());
  return stop !== null;
}
