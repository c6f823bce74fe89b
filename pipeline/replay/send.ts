/**
 * Sending replay messages: one message per object (objects of one message share its fate in the
 * worker, so one per message keeps a bad object from holding others back), packed into
 * `SendMessageBatch` calls of at most 10 entries and 256 KiB, each call retried with backoff
 * while SQS throttles or fails, and each entry SQS refuses for a reason on its side retried alone.
 * The queue is a port (`ReplayQueue`); its SQS adapter is `sqs-queue.ts`.
 */
import { encodeWorkerMessage } from '../messages/notifications.js';
import { LoglakeError, TransientError } from '../run/errors.js';

/** One entry of a batch: an id unique within the call and the message body. */
export interface QueueEntry {
  readonly id: string;
  readonly body: string;
}

/** An entry SQS did not accept; `senderFault` ones would fail again as they are. */
export interface FailedEntry {
  readonly id: string;
  readonly code: string;
  readonly message: string;
  readonly senderFault: boolean;
}

/** Where replay messages go: one `SendMessageBatch`-shaped call. */
export interface ReplayQueue {
  /** Sends up to 10 entries; resolves with those refused, throws when the whole call failed. */
  sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]>;
}

/** SQS's limits for one `SendMessageBatch` call. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 262_144;

/** An object to replay, as its message names it. */
export interface ReplayTarget {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
}

/** The body of the replay message for one object, tagged with its run so the worker's logs can name it. */
export function replayBody(t: ReplayTarget, runId: string): string {
  return encodeWorkerMessage({ loglake: 'replay', v: 1, objects: [{ bucket: t.bucket, key: t.key }], run: runId });
}

/** Splits `items` (in order) into batches of at most 10 entries and `maxBytes` of bodies. */
export function packBatches<T>(items: readonly T[], body: (item: T) => string, maxBytes: number = MAX_BATCH_BYTES): { items: T[]; bodies: string[] }[] {
  const out: { items: T[]; bodies: string[] }[] = [];
  let cur: { items: T[]; bodies: string[] } = { items: [], bodies: [] };
  let bytes = 0;
  for (const item of items) {
    const b = body(item);
    const size = Buffer.byteLength(b);
    if (size > maxBytes) throw new RangeError(`a replay message of ${size} bytes exceeds the SQS limit of ${maxBytes}`);
    if (cur.items.length === MAX_BATCH_ENTRIES || bytes + size > maxBytes) {
      out.push(cur);
      cur = { items: [], bodies: [] };
      bytes = 0;
    }
    cur.items.push(item);
    cur.bodies.push(b);
    bytes += size;
  }
  if (cur.items.length > 0) out.push(cur);
  return out;
}

export interface SendPolicy {
  /** Attempts per entry (and per whole call) before giving up. @default 6 */
  readonly attempts?: number;
  /** First backoff in ms, doubled each attempt with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface SendResult {
  /** Bodies SQS refused for good, by index in the batch, with why. */
  readonly failed: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
  /** Entries sent again after a refusal. */
  readonly retried: number;
  /** Calls made. */
  readonly calls: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one batch, retrying refused entries (those SQS blames on itself; a sender-fault entry
 * fails at once) and whole failed calls with exponential backoff. Throws `TransientError` when a
 * call keeps failing: the caller stops, and its record says where to resume.
 */
export async function sendBatch(queue: ReplayQueue, bodies: readonly string[], policy: SendPolicy = {}): Promise<SendResult> {
  const attempts = policy.attempts ?? 6;
  const base = policy.baseDelayMs ?? 100;
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  let pending = bodies.map((body, index) => ({ index, body }));
  const failed: { index: number; reason: string }[] = [];
  let retried = 0;
  let calls = 0;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(Math.floor(random() * base * 2 ** (attempt - 2)));
    let refused: readonly FailedEntry[];
    try {
      calls++;
      refused = await queue.sendBatch(pending.map((p) => ({ id: String(p.index), body: p.body })));
    } catch (e) {
      // A missing queue or a denied send fails the same way every time.
      if (e instanceof LoglakeError && !(e instanceof TransientError)) throw e;
      if (attempt >= attempts) {
        throw new TransientError('service_unavailable', `SendMessageBatch failed ${attempt} times: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      continue;
    }
    const byId = new Map(refused.map((f) => [f.id, f]));
    const again: typeof pending = [];
    for (const p of pending) {
      const f = byId.get(String(p.index));
      if (f === undefined) continue;
      if (f.senderFault || attempt >= attempts) failed.push({ index: p.index, reason: `${f.code}: ${f.message}` });
      else again.push(p);
    }
    retried += again.length;
    pending = again;
  }
  return { failed, retried, calls };
}

/** Spaces sends so that at most `perSecond` objects go out each second (a token bucket of one second). */
export class RateLimit {
  private next = 0;
  constructor(
    private readonly perSecond: number | null,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {}

  /** Waits until `n` more objects may go. */
  async take(n: number): Promise<void> {
    if (this.perSecond === null) return;
    const t = this.now();
    const start = Math.max(t, this.next);
    this.next = start + (n * 1000) / this.perSecond;
    if (start > t) await this.sleep(start - t);
  }
}
