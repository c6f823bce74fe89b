/**
 * `loglake dlq` and `loglake redrive` through the CLI: the central bucket (manifests, run records)
 * on s3rver, SQS and CloudFormation mocked (they cannot run here). dlq finds the dead-letter
 * queues in the stack's outputs, peeks without taking messages, and explains each by the failed
 * manifest of its object, the run record of its request or Lambda's error attribute; redrive
 * starts a move task, follows it to the end, follows one already running, cancels, and leaves it
 * running on Ctrl-C with the way to cancel it.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CancelMessageMoveTaskCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { failedManifest } from '../../pipeline/run/failed-manifest.js';
import { LoglakeError, ObjectError } from '../../pipeline/run/errors.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import { serializeManifest, type Manifest } from '../../pipeline/run/manifest.js';
import { newRecord, recordError, serializeRecord } from '../../pipeline/replay/record.js';
import { routeByKey } from '../../pipeline/route/route.js';
import { MemoryOut, ROOT, type Run } from '../helpers/cli.js';
import { eventBridgeObjectCreated, s3Event } from '../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const CENTRAL = 'central-lake';
const SOURCE = 'alb-logs';
const STACK = 'loglake-ops';
const ACCOUNT = '111122223333';
const url = (name: string): string => `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/${name}`;
const arn = (name: string): string => `arn:aws:sqs:eu-west-1:${ACCOUNT}:${name}`;
const Q = { ingest: 'loglake-IngestDlq', replay: 'loglake-ReplayDlq', control: 'loglake-ControlDlq', cwlogs: 'loglake-CwlogsDlq' };

const albKey = (n: string): string => `AWSLogs/${ACCOUNT}/elasticloadbalancing/us-east-1/2024/05/01/${ACCOUNT}_elasticloadbalancing_us-east-1_app.shop.6a2b8c3d4e5f6071_20240501T1205Z_198.51.100.10_${n}.log.gz`;
const KEYS = { failed: albKey('failed'), unrecorded: albKey('none'), done: albKey('done'), stale: albKey('stale') };
const SENT_MS = Date.parse('2026-11-30T10:00:00Z');
const RUN = '20261130T090000Z-a1b2c3';

const sqs = mockClient(SQSClient);
const cfn = mockClient(CloudFormationClient);
let s3: LocalS3;
/** Messages each dead-letter queue returns to a receive, by queue URL. */
let held: Map<string, Message[]>;

/** The manifest the worker writes when `key` fails with `error`, finished at `finishedMs`. */
function manifestOf(key: string, error: LoglakeError, finishedMs: number): { key: string; manifest: Manifest } {
  const ref = { bucket: SOURCE, key };
  const route = routeByKey(key);
  expect(route?.kind).toBe('parse');
  const manifest = failedManifest(ref, route ?? { kind: 'unknown' }, error, null, finishedMs - 1000, finishedMs);
  return { key: manifestKey(manifest.source ?? 'unknown', objectId(ref)), manifest };
}

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(CENTRAL);
  const later = SENT_MS + 3_600_000;
  const failed = manifestOf(KEYS.failed, new ObjectError('unreadable', `s3://${SOURCE}/${KEYS.failed}: access denied (AccessDenied, HTTP 403)`), later);
  const done = manifestOf(KEYS.done, new ObjectError('unreadable', 'x'), later);
  const stale = manifestOf(KEYS.stale, new ObjectError('unknown_format', 'an older failure'), SENT_MS - 86_400_000);
  await s3.put(CENTRAL, failed.key, serializeManifest(failed.manifest));
  await s3.put(CENTRAL, done.key, serializeManifest({ ...done.manifest, status: 'ok', reason: null, error: null }));
  await s3.put(CENTRAL, stale.key, serializeManifest(stale.manifest));
  const record = newRecord(RUN, 'deployed', { bucket: SOURCE, prefix: '', from: '2024-05-01', to: '2024-05-02', source: null, account: null, region: null, force: false, parserOlderThan: null, rate: null, window: 'day' }, url('loglake-replay'), 2, SENT_MS);
  recordError(record, 'listing s3://alb-logs/: access denied (AccessDenied, HTTP 403)', null, SENT_MS + 1000);
  await s3.put(CENTRAL, `replays/${RUN}.json`, serializeRecord({ ...record, status: 'failed' }));
}, 120_000);

afterAll(async () => {
  sqs.restore();
  cfn.restore();
  await s3.stop();
});

const message = (id: string, body: string, attributes: Record<string, string> = {}): Message => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: body,
  Attributes: { SentTimestamp: String(SENT_MS), ApproximateReceiveCount: '4' },
  MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
});

beforeEach(() => {
  sqs.reset();
  cfn.reset();
  held = new Map([
    [url(Q.ingest), [message('m1', s3Event(SOURCE, [KEYS.failed, KEYS.unrecorded])), message('m2', eventBridgeObjectCreated(SOURCE, KEYS.done)), message('m3', 'not json at all'), message('m4', s3Event(SOURCE, [KEYS.stale]))]],
    [url(Q.replay), []],
    [url(Q.control), [message('c1', JSON.stringify({ loglake: 'replay-continue', v: 1, run_id: RUN }))]],
    [url(Q.cwlogs), [message('w1', '{"awslogs":{"data":"H4sI"}}', { RequestID: 'req-1', ErrorCode: '200', ErrorMessage: '[unreadable] the events of s3://x/y could not be written: access denied' })]],
  ]);
  const nameOf = (u: string | undefined): string => (u ?? '').split('/').pop() ?? '';
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => {
    const n = held.get(input.QueueUrl)?.length ?? 0;
    return { Attributes: { QueueArn: arn(nameOf(input.QueueUrl)), ApproximateNumberOfMessages: String(n), ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } };
  });
  // A standard queue answers from a sample: every receive here returns all it holds, again and again.
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string; MaxNumberOfMessages: number }) => ({ Messages: (held.get(input.QueueUrl) ?? []).slice(0, input.MaxNumberOfMessages) }));
  const outputs = [
    { OutputKey: 'LakeBucketName', OutputValue: CENTRAL },
    { OutputKey: 'IngestDeadLetterQueueUrl', OutputValue: url(Q.ingest) },
    { OutputKey: 'ReplayDeadLetterQueueUrl', OutputValue: url(Q.replay) },
    { OutputKey: 'ReplayControlDeadLetterQueueUrl', OutputValue: url(Q.control) },
    { OutputKey: 'CloudWatchLogsDeadLetterQueueUrl', OutputValue: url(Q.cwlogs) },
  ];
  const stack = (name: string, o: typeof outputs) => ({ Stacks: [{ StackName: name, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE' as const, Outputs: o }] });
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves(stack(STACK, outputs));
  cfn.on(DescribeStacksCommand, { StackName: 'no-cwlogs' }).resolves(stack('no-cwlogs', outputs.slice(0, 4)));
  cfn.on(DescribeStacksCommand, { StackName: 'old-stack' }).resolves(stack('old-stack', outputs.slice(0, 1)));
  cfn.on(DescribeStacksCommand, { StackName: 'missing' }).rejects(Object.assign(new Error('Stack with id missing does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
});

async function cli(args: string[]): Promise<Run> {
  const stdout = new MemoryOut();
  const stderr = new MemoryOut();
  const code = await main(args, { stdout, stderr, stdin: Readable.from(['']), env: { ...process.env, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }, cwd: ROOT });
  return { code, stdout: stdout.text, stderr: stderr.text, writes: stdout.writes };
}
const dlq = (...args: string[]): Promise<Run> => cli(['dlq', ...args, '--endpoint', s3.endpoint]);

interface QueueJson {
  queue: string;
  messages: number;
  peeked: number;
  oldest_sent_at: string | null;
  oldest_age_seconds: number | null;
  causes: Array<{ code: string; count: number; subject: string | null; detail: string }>;
}

describe('loglake dlq', () => {
  it('summarizes each dead-letter queue: count, oldest peeked message, causes from manifests, run records and Lambda attributes', async () => {
    const r = await dlq('--stack', STACK, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const queues = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as QueueJson);
    expect(queues.map((q) => [q.queue, q.messages, q.peeked])).toEqual([
      ['ingest', 4, 4],
      ['replay', 0, 0],
      ['replay-control', 1, 1],
      ['cwlogs', 1, 1],
    ]);
    const [ingest, replay, control, cwlogs] = queues as [QueueJson, QueueJson, QueueJson, QueueJson];
    expect(ingest.oldest_sent_at).toBe('2026-11-30T10:00:00.000Z');
    expect(ingest.oldest_age_seconds).toBeGreaterThanOrEqual(Math.floor((Date.now() - SENT_MS) / 1000) - 5);
    expect(ingest.causes).toEqual([
      { code: 'not_recorded', count: 2, subject: `s3://${SOURCE}/${KEYS.unrecorded}`, detail: expect.stringMatching(/^no manifest: the run failed before recording one/) },
      { code: 'done_since', count: 1, subject: `s3://${SOURCE}/${KEYS.done}`, detail: expect.stringMatching(/^a later run ended ok at 2026-11-30T11:00:00.000Z/) },
      { code: 'invalid_json', count: 1, subject: null, detail: expect.stringContaining('m3') },
      { code: 'unreadable', count: 1, subject: `s3://${SOURCE}/${KEYS.failed}`, detail: `s3://${SOURCE}/${KEYS.failed}: access denied (AccessDenied, HTTP 403)` },
    ]);
    expect(replay).toMatchObject({ messages: 0, peeked: 0, oldest_sent_at: null, causes: [] });
    expect(control.causes).toEqual([{ code: 'replay-continue', count: 1, subject: `run ${RUN}`, detail: 'run failed, last error 2026-11-30T10:00:01.000Z: listing s3://alb-logs/: access denied (AccessDenied, HTTP 403)' }]);
    expect(cwlogs.causes).toEqual([{ code: 'unreadable', count: 1, subject: 'request req-1', detail: '[unreadable] the events of s3://x/y could not be written: access denied' }]);
  });

  it('explains a message whose object last failed before the message was sent as not recorded', async () => {
    held.set(url(Q.ingest), [message('m4', s3Event(SOURCE, [KEYS.stale]))]);
    const r = await dlq('--stack', STACK, '--queue', 'ingest', '--json');
    const [q] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as QueueJson);
    expect(q?.causes).toEqual([{ code: 'not_recorded', count: 1, subject: `s3://${SOURCE}/${KEYS.stale}`, detail: expect.stringMatching(/^the last manifest \(failed, 2026-11-29T10:00:00.000Z\) predates the message/) }]);
  });

  it('explains a request whose run record is unreadable instead of failing the summary', async () => {
    await s3.put(CENTRAL, 'replays/20261130T090000Z-ffffff.json', '{"torn":');
    held.set(url(Q.control), [message('c2', JSON.stringify({ loglake: 'replay-continue', v: 1, run_id: '20261130T090000Z-ffffff' }))]);
    const r = await dlq('--stack', STACK, '--queue', 'replay-control', '--json');
    expect(r.code).toBe(0);
    const [q] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as QueueJson);
    expect(q?.causes).toEqual([{ code: 'replay-continue', count: 1, subject: 'run 20261130T090000Z-ffffff', detail: expect.stringMatching(/^the run record is unreadable: /) }]);
  });

  it('peeks with a visibility timeout of 0, counts a message returned twice once, and never deletes', async () => {
    await dlq('--stack', STACK, '--queue', 'ingest', '--peek', '10');
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input);
    // The second receive brings the same four messages again: nothing new, so the peek stops.
    expect(receives.map((r) => r.MaxNumberOfMessages)).toEqual([10, 6]);
    for (const input of receives) expect(input).toMatchObject({ QueueUrl: url(Q.ingest), VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'] });
    expect(sqs.commandCalls(DeleteMessageCommand)).toEqual([]);
    sqs.resetHistory();
    const three = await dlq('--stack', STACK, '--queue', 'ingest', '--peek', '3', '--json');
    expect((JSON.parse(three.stdout) as QueueJson).peeked).toBe(3);
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([3]);
  });

  it('prints a table per queue, says empty queues are empty and how to move messages back', async () => {
    const r = await dlq('--stack', STACK, '--peek', '10');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`stack ${STACK}: 3 of 4 dead-letter queue(s) hold messages`);
    expect(lines[1]).toMatch(/^ingest {9}4 message\(s\), 0 in flight; oldest sent 2026-11-30T10:00:00.000Z, \d+d\d\dh ago \(of 4 peeked\)$/);
    expect(r.stdout).toMatch(/\n {2}cause +count +example +detail\n/);
    expect(r.stdout).toMatch(/\n {2}unreadable +1 +s3:\/\/alb-logs\/AWSLogs/);
    expect(r.stdout).toContain(`  move back: loglake redrive --stack ${STACK} --queue ingest\n`);
    expect(r.stdout).toContain('replay         empty\n');
    expect(r.stdout).toContain("(Lambda's dead letters cannot be moved by SQS");
  });

  it('shows only the queues a stack has: no cwlogs queue without the intake', async () => {
    const r = await dlq('--stack', 'no-cwlogs', '--json');
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as QueueJson).queue)).toEqual(['ingest', 'replay', 'replay-control']);
    const only = await dlq('--stack', 'no-cwlogs', '--queue', 'cwlogs');
    expect(only.code).toBe(2);
    expect(only.stderr).toBe('loglake dlq: the stack has no cwlogs dead-letter queue (no output CloudWatchLogsDeadLetterQueueUrl: the stack was deployed without that feature)\n');
  });

  it('says clearly when the stack does not exist, is too old, or a permission is missing', async () => {
    const missing = await dlq('--stack', 'missing');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('loglake dlq: stack missing not found in eu-west-1 (give --region, or check the name with aws cloudformation list-stacks)\n');
    const old = await dlq('--stack', 'old-stack');
    expect(old.code).toBe(1);
    expect(old.stderr).toBe('loglake dlq: stack old-stack has no output IngestDeadLetterQueueUrl, ReplayDeadLetterQueueUrl, ReplayControlDeadLetterQueueUrl; redeploy it with this version of loglake (outputs: LakeBucketName)\n');
    sqs.on(GetQueueAttributesCommand).rejects(Object.assign(new Error('User: arn:aws:iam::111122223333:user/ops is not authorized to perform: sqs:getqueueattributes'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const denied = await dlq('--stack', STACK);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      `loglake dlq: reading the attributes of ${url(Q.ingest)}: AccessDenied, HTTP 403: User: arn:aws:iam::111122223333:user/ops is not authorized to perform: sqs:getqueueattributes (the caller lacks a permission for this call)\n`,
    );
  });

  it('has --help, requires --stack and rejects a wrong flag or queue name', async () => {
    const help = await cli(['dlq', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: loglake dlq --stack <name>/);
    expect(help.stdout).toContain('with a visibility timeout of 0');
    expect(await cli(['dlq'])).toMatchObject({ code: 2, stderr: 'loglake dlq: --stack <name> is required: the dead-letter queues are found in its outputs\nRun "loglake dlq --help" for usage.\n' });
    const flag = await cli(['dlq', '--stack', STACK, '--peak', '3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^loglake dlq: Unknown option '--peak'/);
    const queue = await dlq('--stack', STACK, '--queue', 'dead');
    expect(queue).toMatchObject({ code: 2, stderr: 'loglake dlq: --queue must be one of ingest, replay, replay-control, cwlogs, got "dead"\nRun "loglake dlq --help" for usage.\n' });
    expect((await cli(['dlq', '--stack', STACK, '--peek', '500'])).stderr).toMatch(/--peek is at most 100, got 500/);
  });
});

describe('loglake redrive', () => {
  /** Move tasks ListMessageMoveTasks answers, one per call (the last repeats); null: no task yet. */
  let listed: Array<ListMessageMoveTasksResultEntry | null>;
  let onList: (call: number) => void;
  const task = (status: string, moved: number, extra: Partial<ListMessageMoveTasksResultEntry> = {}): ListMessageMoveTasksResultEntry => ({
    TaskHandle: 'task-1',
    Status: status,
    SourceArn: arn(Q.ingest),
    ApproximateNumberOfMessagesMoved: moved,
    ApproximateNumberOfMessagesToMove: 4,
    StartedTimestamp: SENT_MS,
    ...extra,
  });
  beforeEach(() => {
    listed = [];
    onList = () => {};
    let calls = 0;
    sqs.on(ListMessageMoveTasksCommand).callsFake(() => {
      onList(calls);
      const t = listed[Math.min(calls++, listed.length - 1)] ?? null;
      return { Results: t === null ? [] : [t] };
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(CancelMessageMoveTaskCommand).resolves({ ApproximateNumberOfMessagesMoved: 2 });
  });
  const redrive = (...args: string[]): Promise<Run> => cli(['redrive', '--stack', STACK, '--interval', '0.01', ...args]);

  it('starts a move task from the ingest dead-letter queue and follows it to the end', async () => {
    listed = [null, task('RUNNING', 1), task('RUNNING', 1), task('RUNNING', 3), task('COMPLETED', 4, { DestinationArn: arn('loglake-Ingest') })];
    const r = await redrive();
    expect(r.code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: arn(Q.ingest) }]);
    expect(r.stderr).toBe('loglake redrive: moving about 4 message(s) of the ingest dead-letter queue back to its source queue\nloglake redrive: moved 1 of 4\nloglake redrive: moved 3 of 4\n');
    expect(r.stdout).toBe(`redrive of the ingest dead-letter queue completed: moved 4 of 4 message(s) back to ${arn('loglake-Ingest')}\n`);
  });

  it('passes --rate and --queue on', async () => {
    listed = [null, task('COMPLETED', 1, { SourceArn: arn(Q.control), ApproximateNumberOfMessagesToMove: 1 })];
    const r = await redrive('--queue', 'replay-control', '--rate', '20');
    expect(r.code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: arn(Q.control), MaxNumberOfMessagesPerSecond: 20 }]);
    expect(r.stdout).toBe('redrive of the replay-control dead-letter queue completed: moved 1 of 1 message(s) back to their source queue\n');
  });

  it('follows a task already running instead of starting another', async () => {
    listed = [task('RUNNING', 2), task('COMPLETED', 4)];
    const r = await redrive();
    expect(r.code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toEqual([]);
    expect(r.stderr).toBe('loglake redrive: a move task of the ingest dead-letter queue is already running (moved 2 of 4); following it\n');
  });

  it('starts nothing when the queue is empty', async () => {
    const r = await redrive('--queue', 'replay');
    expect(r).toMatchObject({ code: 0, stdout: 'nothing to redrive: the replay dead-letter queue is empty\n' });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toEqual([]);
  });

  it('leaves the task running on Ctrl-C and says how to cancel it', async () => {
    listed = [null, task('RUNNING', 1)];
    onList = (call) => {
      if (call === 2) process.emit('SIGINT');
    };
    const r = await redrive();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`loglake redrive: stopped following; the move task keeps running in SQS. Cancel it with: loglake redrive --stack ${STACK} --queue ingest --cancel (or aws sqs cancel-message-move-task --task-handle task-1 --region eu-west-1)\n`);
    expect(sqs.commandCalls(CancelMessageMoveTaskCommand)).toEqual([]);
  });

  it('--cancel cancels the running task; --no-wait starts one and returns', async () => {
    listed = [task('RUNNING', 2)];
    const cancelled = await redrive('--cancel');
    expect(cancelled.code).toBe(0);
    expect(sqs.commandCalls(CancelMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ TaskHandle: 'task-1' }]);
    expect(cancelled.stdout).toBe('cancelled the move task of the ingest dead-letter queue after 2 message(s); those stay moved, the rest stay in the dead-letter queue\n');
    listed = [null];
    const started = await redrive('--no-wait');
    expect(started.code).toBe(0);
    expect(started.stdout).toBe(`move task started: task-1\nfollow it with loglake redrive --stack ${STACK} --queue ingest; cancel it with loglake redrive --stack ${STACK} --queue ingest --cancel\n`);
  });

  it('exits 1 with the reason when the task fails', async () => {
    listed = [null, task('FAILED', 1, { FailureReason: 'AWS.SimpleQueueService.NonExistentQueue' })];
    const r = await redrive();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('loglake redrive: the move task ended FAILED: moved 1 of 4: AWS.SimpleQueueService.NonExistentQueue\n');
  });

  it('refuses the Lambda dead-letter queue, a rate out of range and a missing stack, clearly', async () => {
    const lambda = await redrive('--queue', 'cwlogs');
    expect(lambda.code).toBe(2);
    expect(lambda.stderr).toMatch(/^loglake redrive: the cwlogs dead-letter queue holds the failed asynchronous invocations of a Lambda function, which SQS cannot move back/);
    expect((await redrive('--rate', '600')).stderr).toMatch(/^loglake redrive: --rate must be a whole number of messages per second from 1 to 500, got "600"/);
    const missing = await cli(['redrive', '--stack', 'missing']);
    expect(missing).toMatchObject({ code: 1, stderr: 'loglake redrive: stack missing not found in eu-west-1 (give --region, or check the name with aws cloudformation list-stacks)\n' });
    sqs.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    listed = [null];
    const denied = await redrive();
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(`loglake redrive: starting a move task from ${arn(Q.ingest)}: AccessDeniedException, HTTP 403: Access to the resource is denied. (the caller lacks a permission for this call)\n`);
    const help = await cli(['redrive', '--help']);
    expect(help.stdout).toMatch(/^usage: loglake redrive --stack <name>/);
    expect((await cli(['redrive', '--stack', STACK, '--queues', 'x'])).code).toBe(2);
  });
});

