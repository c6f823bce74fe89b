/**
 * Why a message sits in a dead-letter queue, for `loglake dlq`. SQS keeps no error with a
 * message, so the cause is looked up where loglake recorded it:
 *
 * - a notification (ingest and replay DLQs): each object it names has a manifest in the lake,
 *   and a `failed` manifest written since the message was sent holds the error code (`reason`)
 *   and message. No such manifest means the run never got to record one: transient errors
 *   (throttling, timeouts) until SQS gave up, or a crash; the worker's logs have it. A message
 *   that does not decode says so with the decoder's code.
 * - a replay job request (replay-control DLQ): its kind, and the last error of its run record.
 * - a CloudWatch Logs payload (the intake's DLQ, written by Lambda): the `ErrorMessage`
 *   attribute Lambda adds, whose `[code]` the intake puts first.
 */
import { decodeNotification, decodeReplayRequest, findManifest, LoglakeError, readRecord, type LakeSink } from '../pipeline/index.js';
import type { DeadLetterQueue, Peeked } from './dead-letters.js';

export interface Cause {
  /** An error code (`unreadable`, `unknown_format`, `invalid_json`, …) or `not_recorded`. */
  readonly code: string;
  /** The object (`s3://bucket/key`) or run it concerns, when there is one. */
  readonly subject: string | null;
  readonly detail: string;
}

/** Codes of causes that are not an error the pipeline recorded. */
export const NOT_RECORDED = 'not_recorded';
export const DONE_SINCE = 'done_since';

const line = (text: string, max = 300): string => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

/** The causes of one message: one per object it names (a notification may name several). */
export async function causesOf(queue: DeadLetterQueue, m: Peeked, lake: LakeSink): Promise<Cause[]> {
  if (queue.holds === 'lambda-events') return [lambdaCause(m)];
  if (queue.holds === 'replay-requests') return [await requestCause(m, lake)];
  return notificationCauses(m, lake);
}

function lambdaCause(m: Peeked): Cause {
  const message = m.attributes.ErrorMessage ?? '';
  const code = /\[([a-z][a-z0-9_]*)\]/.exec(message)?.[1] ?? (m.attributes.ErrorCode !== undefined ? `lambda_${m.attributes.ErrorCode}` : 'unknown');
  return { code, subject: m.attributes.RequestID !== undefined ? `request ${m.attributes.RequestID}` : null, detail: message !== '' ? line(message) : 'Lambda gave no ErrorMessage attribute' };
}

async function requestCause(m: Peeked, lake: LakeSink): Promise<Cause> {
  let request;
  try {
    request = decodeReplayRequest(m.body);
  } catch (e) {
    return { code: 'invalid_request', subject: null, detail: line((e as Error).message) };
  }
  if (request.loglake === 'replay-poll') return { code: request.loglake, subject: `s3://${request.bucket}/`, detail: "no run record for polls; the replay function's logs have the error" };
  let record;
  try {
    record = await readRecord(lake, request.run_id);
  } catch (e) {
    // A torn or hand-edited record costs this explanation, not the summary.
    if (!(e instanceof LoglakeError)) throw e;
    return { code: request.loglake, subject: `run ${request.run_id}`, detail: line(`the run record is unreadable: ${e.message}`) };
  }
  if (record === null) return { code: request.loglake, subject: `run ${request.run_id}`, detail: 'the run has no record: it failed before writing one' };
  const last = record.errors.at(-1);
  return { code: request.loglake, subject: `run ${request.run_id}`, detail: `run ${record.status}${last !== undefined ? `, last error ${last.at}: ${line(last.message, 200)}` : ', no error recorded'}` };
}

async function notificationCauses(m: Peeked, lake: LakeSink): Promise<Cause[]> {
  let n;
  try {
    n = decodeNotification(m.body, m.id);
  } catch (e) {
    if (e instanceof LoglakeError) return [{ code: e.code, subject: null, detail: line(e.message) }];
    throw e;
  }
  if (n.kind === 'ignore') return [{ code: 'ignored_message', subject: null, detail: `a ${n.shape} message the worker acknowledges (${n.reason}); it should not fail` }];
  if (n.kind === 'config-item') return [{ code: NOT_RECORDED, subject: `config item ${n.notificationId}`, detail: "an inline configuration item change: no object, no manifest; the worker's logs have the error" }];
  const sentIso = m.sentMs !== null ? new Date(m.sentMs).toISOString() : '';
  const causes: Cause[] = [];
  for (const o of n.objects) {
    const subject = `s3://${o.bucket}/${o.key}`;
    const manifest = await findManifest(lake, o.bucket, o.key);
    if (manifest === null) {
      causes.push({ code: NOT_RECORDED, subject, detail: "no manifest: the run failed before recording one (transient errors until SQS gave up, a crash or a timeout); the worker's logs have the error" });
    } else if (manifest.finished_at < sentIso) {
      causes.push({ code: NOT_RECORDED, subject, detail: `the last manifest (${manifest.status}, ${manifest.finished_at}) predates the message: its runs failed before recording one; the worker's logs have the error` });
    } else if (manifest.status === 'failed') {
      causes.push({ code: manifest.reason ?? 'failed', subject, detail: line(manifest.error ?? 'failed') });
    } else {
      causes.push({ code: DONE_SINCE, subject, detail: `a later run ended ${manifest.status} at ${manifest.finished_at} (a replay or a redelivery): a redrive runs it again, which rewrites the same outputs` });
    }
  }
  if (causes.length === 0) causes.push({ code: 'no_objects', subject: null, detail: `a ${n.shape} message naming no new object (${n.skippedRecords} other records)` });
  return causes;
}
