/**
 * `loglake redrive --stack <name>`: moves the messages of one dead-letter queue back to the queue
 * they came from with an SQS message move task, and follows its progress until it ends. The task
 * runs in SQS, not here: Ctrl-C stops following and leaves it running, saying how to cancel it.
 */
import { parse, stringFlag as str, UsageError, type Values } from '../args.js';
import { count } from '../format.js';
import type { Io } from '../io.js';
import { DeadLetterSqs, selectQueues, stackDeadLetterQueues, type MoveTask } from '../dead-letters.js';
import { connectStack, stackFlag, type StackSession } from '../stack-session.js';

export const help = `usage: loglake redrive --stack <name> [--queue <name>] [--rate <n>] [options]

Moves every message of a dead-letter queue of a deployed loglake stack back to the queue it came
from (SQS StartMessageMoveTask), then follows the task (ListMessageMoveTasks) and prints how many
messages moved of how many, until it completes. Fix what failed them first: loglake dlq shows
their causes. A message that fails again returns to the dead-letter queue after its retries.

The task runs in SQS, not in this process: Ctrl-C stops following it and leaves it running, and
prints how to cancel it (loglake redrive --cancel, or aws sqs cancel-message-move-task). When a
task of the queue is already running, this follows it instead of starting another (SQS allows one
per queue).

options:
  --stack <name>       the deployed stack (its outputs name the queues; required)
  --queue <name>       ingest (default), replay or replay-control; the cwlogs queue holds Lambda's
                       dead letters, which SQS cannot move back
  --rate <n>           messages moved per second, at most 500 (default: SQS's own pace)
  --no-wait            start the task (or find the running one) and return without following it
  --cancel             cancel the running task of the queue; messages already moved stay moved
  --interval <s>       seconds between progress checks (default 5)
  --region <region>    region of the stack (default: AWS_REGION)

Needs cloudformation:DescribeStacks; sqs:GetQueueAttributes, sqs:StartMessageMoveTask,
sqs:ListMessageMoveTasks, sqs:CancelMessageMoveTask, sqs:ReceiveMessage and sqs:DeleteMessage on
the dead-letter queue and sqs:SendMessage on its source queue (kms:Decrypt and kms:GenerateDataKey
on the stack's key when it has one).
`;

const OPTIONS = {
  stack: { type: 'string' },
  queue: { type: 'string' },
  rate: { type: 'string' },
  'no-wait': { type: 'boolean' },
  cancel: { type: 'boolean' },
  interval: { type: 'string' },
  region: { type: 'string' },
} as const;

/** SQS's ceiling on `MaxNumberOfMessagesPerSecond`. */
const MAX_RATE = 500;

function rateFlag(values: Values): number | undefined {
  const text = str(values, 'rate');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RATE) throw new UsageError(`--rate must be a whole number of messages per second from 1 to ${MAX_RATE}, got ${JSON.stringify(text)}`);
  return n;
}

function intervalFlag(values: Values): number {
  const text = str(values, 'interval');
  if (text === undefined) return 5000;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`--interval must be a number of seconds above 0 and at most 3600, got ${JSON.stringify(text)}`);
  return n * 1000;
}

const progressText = (t: MoveTask): string => `moved ${count(t.moved)}${t.toMove !== null ? ` of ${count(t.toMove)}` : ''}`;

/** Waits `ms`, or less when `stop` fires. */
function pause(ms: number, stop: { signalled: boolean; wake: (() => void) | null }): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    stop.wake = () => {
      clearTimeout(timer);
      done();
    };
  });
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const stack = stackFlag(values, positionals);
  const rate = rateFlag(values);
  const intervalMs = intervalFlag(values);
  if (values.cancel === true && (rate !== undefined || values['no-wait'] === true)) throw new UsageError('--cancel takes no --rate or --no-wait');
  const queueName = str(values, 'queue') ?? 'ingest';
  return connectStack(io, 'redrive', { stack, region: str(values, 'region'), endpoint: undefined }, async (session) => {
    const [queue] = selectQueues(stackDeadLetterQueues(session.outputs, stack), queueName);
    if (queue === undefined) throw new UsageError(`no ${queueName} dead-letter queue`);
    if (queue.holds === 'lambda-events') {
      throw new UsageError(`the ${queue.name} dead-letter queue holds the failed asynchronous invocations of a Lambda function, which SQS cannot move back (StartMessageMoveTask takes only dead-letter queues of SQS queues); loglake dlq --queue ${queue.name} shows their causes`, { hint: false });
    }
    const sqs = new DeadLetterSqs(session.aws, session.region);
    try {
      const state = await session.call(`reading the attributes of ${queue.url}`, () => sqs.state(queue.url));
      const latest = await session.call(`listing the move tasks of ${state.arn}`, () => sqs.latestMove(state.arn));
      const cancelHint = `loglake redrive --stack ${stack} --queue ${queue.name} --cancel`;
      if (values.cancel === true) {
        if (latest === null || latest.status !== 'RUNNING' || latest.handle === null) {
          io.stdout.write(`no move task of the ${queue.name} dead-letter queue is running${latest !== null ? ` (the last one is ${latest.status}, ${progressText(latest)})` : ''}\n`);
          return 0;
        }
        const handle = latest.handle;
        const moved = await session.call(`cancelling move task ${handle}`, () => sqs.cancelMove(state.arn, handle));
        io.stdout.write(`cancelled the move task of the ${queue.name} dead-letter queue after ${count(moved)} message(s); those stay moved, the rest stay in the dead-letter queue\n`);
        return 0;
      }
      let handle: string;
      if (latest !== null && latest.status === 'RUNNING') {
        handle = latest.handle ?? '';
        io.stderr.write(`loglake redrive: a move task of the ${queue.name} dead-letter queue is already running (${progressText(latest)}); following it\n`);
      } else if (state.visible === 0) {
        io.stdout.write(`nothing to redrive: the ${queue.name} dead-letter queue is empty${state.inFlight > 0 ? ` (${count(state.inFlight)} message(s) in flight: someone is receiving them)` : ''}\n`);
        return 0;
      } else {
        handle = await session.call(`starting a move task from ${state.arn}`, () => sqs.startMove(state.arn, rate));
        io.stderr.write(`loglake redrive: moving about ${count(state.visible)} message(s) of the ${queue.name} dead-letter queue back to its source queue${rate !== undefined ? ` at ${rate}/s` : ''}\n`);
      }
      const awsCancel = `aws sqs cancel-message-move-task --task-handle ${handle}${session.region !== undefined ? ` --region ${session.region}` : ''}`;
      if (values['no-wait'] === true) {
        io.stdout.write(`move task started: ${handle}\nfollow it with loglake redrive --stack ${stack} --queue ${queue.name}; cancel it with ${cancelHint}\n`);
        return 0;
      }
      return await follow(io, session, sqs, state.arn, queue.name, intervalMs, `${cancelHint} (or ${awsCancel})`);
    } finally {
      sqs.destroy();
    }
  });
}

/** Polls the queue's latest move task until it ends or Ctrl-C; the exit code says how it ended. */
async function follow(io: Io, session: StackSession, sqs: DeadLetterSqs, arn: string, name: string, intervalMs: number, cancelHint: string): Promise<number> {
  const stop: { signalled: boolean; wake: (() => void) | null } = { signalled: false, wake: null };
  const onSignal = (): void => {
    stop.signalled = true;
    stop.wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let shown = '';
  try {
    for (;;) {
      await pause(intervalMs, stop);
      if (stop.signalled) {
        io.stderr.write(`loglake redrive: stopped following; the move task keeps running in SQS. Cancel it with: ${cancelHint}\n`);
        return 130;
      }
      const task = await session.call(`listing the move tasks of ${arn}`, () => sqs.latestMove(arn));
      if (task === null) {
        io.stderr.write(`loglake redrive: SQS lists no move task for ${arn}\n`);
        return 1;
      }
      const text = progressText(task);
      if (text !== shown && (task.status === 'RUNNING' || task.status === 'CANCELLING')) io.stderr.write(`loglake redrive: ${text}\n`);
      shown = text;
      if (task.status === 'RUNNING' || task.status === 'CANCELLING') continue;
      if (task.status === 'COMPLETED') {
        io.stdout.write(`redrive of the ${name} dead-letter queue completed: ${text} message(s) back to ${task.destination ?? 'their source queue'}\n`);
        return 0;
      }
      io.stderr.write(`loglake redrive: the move task ended ${task.status}: ${text}${task.failure !== null ? `: ${task.failure}` : ''}\n`);
      return 1;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
