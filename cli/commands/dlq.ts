/**
 * `loglake dlq --stack <name>`: what sits in each dead-letter queue of a deployed stack — how
 * many messages, how old the oldest peeked one is, and their causes by error code, looked up in
 * the lake's manifests and run records (`dlq-causes.ts` says where each comes from).
 */
import { parse, stringFlag as str, intFlag, UsageError } from '../args.js';
import { count, textTable } from '../format.js';
import type { Io } from '../io.js';
import { duration } from '../replay-report.js';
import { causesOf, type Cause } from '../dlq-causes.js';
import { DeadLetterSqs, selectQueues, stackDeadLetterQueues, type DeadLetterQueue, type Peeked, type QueueState } from '../dead-letters.js';
import { connectStack, stackFlag } from '../stack-session.js';

export const help = `usage: loglake dlq --stack <name> [--queue <name>] [--peek <n>] [--json]

Summarizes what sits in each dead-letter queue of a deployed loglake stack: ingest (notifications
the worker failed on every receive), replay (replay and continuation messages), replay-control
(requests to the replay job) and cwlogs (CloudWatch Logs payloads, when the stack has the intake).
For each: the messages waiting (ApproximateNumberOfMessages), the age of the oldest of the
messages peeked, and their causes by error code:

  - ingest and replay: the manifest of each object the message names, in the central bucket: a
    failed manifest written since the message was sent holds the error code and message;
    not_recorded means the run never wrote one (transient errors until SQS gave up, a crash or a
    timeout: the worker's logs have it); done_since means a later run (a replay) succeeded.
  - replay-control: the request's kind and the last error of its run record (replays/).
  - cwlogs: the [code] of the ErrorMessage attribute Lambda adds to a failed invocation.

Peeking receives up to <n> messages with a visibility timeout of 0: they stay in the queue,
visible at once to the next receive or a redrive. Each receive raises the message's
ApproximateReceiveCount in the dead-letter queue, which has no redrive policy of its own, so
nothing moves; a redrive sends each message anew. The age is that of the oldest message peeked
(its SentTimestamp, kept from the first send to the source queue), not of the whole queue when it
holds more than <n>.

options:
  --stack <name>     the deployed stack (its outputs name the queues and the central bucket; required)
  --queue <name>     only this queue: ingest, replay, replay-control or cwlogs
  --peek <n>         messages to peek at per queue (default 10, at most 100)
  --json             one JSON object per queue
  --region <region>  region of the stack (default: AWS_REGION)
  --endpoint <url>   S3-compatible endpoint for the central bucket (tests, local runners)

Needs cloudformation:DescribeStacks, sqs:GetQueueAttributes and sqs:ReceiveMessage on the
dead-letter queues (kms:Decrypt on the stack's key when it has one) and s3:GetObject on
manifests/ and replays/ of the central bucket. Move messages back with loglake redrive.
`;

const OPTIONS = {
  stack: { type: 'string' },
  queue: { type: 'string' },
  peek: { type: 'string' },
  json: { type: 'boolean' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
} as const;

const MAX_PEEK = 100;

/** Causes grouped by code: how many objects or messages, and the first one as an example. */
interface CauseGroup {
  readonly code: string;
  count: number;
  readonly subject: string | null;
  readonly detail: string;
}

interface Summary {
  readonly queue: DeadLetterQueue;
  readonly state: QueueState;
  readonly peeked: number;
  readonly oldestSentMs: number | null;
  readonly causes: CauseGroup[];
}

function group(causes: readonly Cause[]): CauseGroup[] {
  const byCode = new Map<string, CauseGroup>();
  for (const c of causes) {
    const g = byCode.get(c.code);
    if (g === undefined) byCode.set(c.code, { code: c.code, count: 1, subject: c.subject, detail: c.detail });
    else g.count++;
  }
  return [...byCode.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

function oldest(peeked: readonly Peeked[]): number | null {
  const sent = peeked.flatMap((m) => (m.sentMs !== null ? [m.sentMs] : []));
  return sent.length > 0 ? Math.min(...sent) : null;
}

function queueText(s: Summary, stack: string, now: number): string {
  const { state } = s;
  const name = s.queue.name.padEnd(15);
  if (state.visible === 0 && state.inFlight === 0 && state.delayed === 0) return `${name}empty\n`;
  const age = s.oldestSentMs !== null ? `; oldest sent ${new Date(s.oldestSentMs).toISOString()}, ${duration((now - s.oldestSentMs) / 1000)} ago (of ${s.peeked} peeked)` : '';
  const lines = [`${name}${count(state.visible)} message(s), ${count(state.inFlight)} in flight${state.delayed > 0 ? `, ${count(state.delayed)} delayed` : ''}${age}`];
  if (s.causes.length > 0) {
    const table = textTable(['cause', 'count', 'example', 'detail'], s.causes.map((g) => [g.code, g.count, g.subject ?? '', g.detail]), 80);
    lines.push(...table.split('\n').map((l) => `  ${l}`));
  }
  if (state.visible > 0) lines.push(s.queue.holds === 'lambda-events' ? "  (Lambda's dead letters cannot be moved by SQS: invoke the intake with each message body again)" : `  move back: loglake redrive --stack ${stack} --queue ${s.queue.name}`);
  return `${lines.join('\n')}\n`;
}

function queueJson(s: Summary, now: number): string {
  return `${JSON.stringify({
    queue: s.queue.name,
    url: s.queue.url,
    arn: s.state.arn,
    messages: s.state.visible,
    in_flight: s.state.inFlight,
    delayed: s.state.delayed,
    peeked: s.peeked,
    oldest_sent_at: s.oldestSentMs !== null ? new Date(s.oldestSentMs).toISOString() : null,
    oldest_age_seconds: s.oldestSentMs !== null ? Math.round((now - s.oldestSentMs) / 1000) : null,
    causes: s.causes,
  })}\n`;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, ['peek']);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const stack = stackFlag(values, positionals);
  const peek = intFlag(values, 'peek') ?? 10;
  if (peek > MAX_PEEK) throw new UsageError(`--peek is at most ${MAX_PEEK}, got ${peek}`);
  return connectStack(io, 'dlq', { stack, region: str(values, 'region'), endpoint: str(values, 'endpoint') }, async (session) => {
    const queues = selectQueues(stackDeadLetterQueues(session.outputs, stack), str(values, 'queue'));
    const lake = session.lake();
    const sqs = new DeadLetterSqs(session.aws, session.region);
    try {
      const now = Date.now();
      const summaries: Summary[] = [];
      for (const queue of queues) {
        const state = await session.call(`reading the attributes of ${queue.url}`, () => sqs.state(queue.url));
        const peeked = state.visible > 0 ? await session.call(`receiving from ${queue.url}`, () => sqs.peek(queue.url, peek)) : [];
        const causes: Cause[] = [];
        for (const m of peeked) causes.push(...(await session.call(`looking up the cause of message ${m.id}`, () => causesOf(queue, m, lake))));
        summaries.push({ queue, state, peeked: peeked.length, oldestSentMs: oldest(peeked), causes: group(causes) });
      }
      if (values.json === true) {
        for (const s of summaries) io.stdout.write(queueJson(s, now));
        return 0;
      }
      const holding = summaries.filter((s) => s.state.visible + s.state.inFlight + s.state.delayed > 0).length;
      io.stdout.write(`stack ${stack}: ${holding === 0 ? 'every dead-letter queue is empty' : `${holding} of ${summaries.length} dead-letter queue(s) hold messages`}\n`);
      for (const s of summaries) io.stdout.write(queueText(s, stack, now));
      return 0;
    } finally {
      sqs.destroy();
    }
  });
}
