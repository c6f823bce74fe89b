/**
 * `loglake replay` modes that enqueue, end to end through the CLI: the replayed bucket and the
 * central bucket on s3rver, SQS and CloudFormation mocked (they cannot run here). `--stack`
 * resolves the queue and lake from the outputs; the messages are exactly the range's objects in
 * valid batches; Ctrl-C stops with exit 130 and `--resume` finishes with every object once;
 * `status` lists and describes runs (with the queue backlog and, with `--done`, manifests written
 * since the start); `cancel` stops a run for good; `--deployed` sends one start request.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import { MemoryOut, ROOT, type Run } from '../helpers/cli.js';
import { expectedInRange, historyKeys, putHistory, type HistoryKey } from '../helpers/replay-history.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const SOURCE = 'queue-history';
const CENTRAL = 'central-lake';
const STACK = 'loglake-test';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/loglake-replay';
const CONTROL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/loglake-replay-control';
const SHAPE = { from: '2023-05-25', days: 50, accounts: 2, orgAccounts: 1, regions: ['us-east-1'], every: 1 };
const FROM = '2023-06-01';
const TO = '2023-06-20';

const sqs = mockClient(SQSClient);
const cfn = mockClient(CloudFormationClient);
let s3: LocalS3;
let keys: HistoryKey[];
let expected: string[];
/** Bodies accepted per queue URL. */
let sent: Map<string, string[]>;
/** Called before each SendMessageBatch is answered. */
let beforeSend: (call: number) => void;

beforeAll(async () => {
  s3 = await startLocalS3();
  keys = historyKeys(SHAPE);
  await putHistory(s3, SOURCE, keys);
  await s3.createBucket(CENTRAL);
  expected = expectedInRange(keys, FROM, TO).map((e) => e.key).sort();
}, 120_000);

afterAll(async () => {
  sqs.restore();
  cfn.restore();
  await s3.stop();
});

beforeEach(() => {
  sent = new Map();
  beforeSend = () => {};
  let calls = 0;
  sqs.reset();
  cfn.reset();
  sqs.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
    beforeSend(calls++);
    const list = sent.get(input.QueueUrl) ?? [];
    list.push(...input.Entries.map((e) => e.MessageBody ?? ''));
    sent.set(input.QueueUrl, list);
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })), Failed: [] };
  });
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '12', ApproximateNumberOfMessagesNotVisible: '3' } });
  cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [{ StackName: STACK, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [
      { OutputKey: 'LakeBucketName', OutputValue: CENTRAL },
      { OutputKey: 'ReplayQueueUrl', OutputValue: QUEUE },
      { OutputKey: 'ReplayControlQueueUrl', OutputValue: CONTROL },
    ] }],
  });
  cfn.on(DescribeStacksCommand, { StackName: 'old-stack' }).resolves({ Stacks: [{ StackName: 'old-stack', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'LakeBucketName', OutputValue: CENTRAL }] }] });
  cfn.on(DescribeStacksCommand, { StackName: 'missing' }).rejects(Object.assign(new Error('Stack with id missing does not exist'), { name: 'ValidationError' }));
});

async function replay(args: string[]): Promise<Run> {
  const stdout = new MemoryOut();
  const stderr = new MemoryOut();
  const code = await main(['replay', ...args, '--endpoint', s3.endpoint], { stdout, stderr, stdin: Readable.from(['']), env: { ...process.env, AWS_REGION: 'eu-west-1' }, cwd: ROOT });
  return { code, stdout: stdout.text, stderr: stderr.text, writes: stdout.writes };
}

const keysSent = (url = QUEUE): string[] => (sent.get(url) ?? []).map((b) => (JSON.parse(b) as { objects: { key: string }[] }).objects[0]?.key ?? '');
const runIdIn = (text: string): string => /run (\d{8}T\d{6}Z-[0-9a-f]{6})/.exec(text)?.[1] ?? '';

describe('loglake replay --stack / --queue', () => {
  it('enqueues exactly the range, writes the run record, and status shows it', async () => {
    const r = await replay([`s3://${SOURCE}/`, '--from', FROM, '--to', TO, '--stack', STACK]);
    expect(r.stderr).toMatch(/^loglake replay: run \d{8}T\d{6}Z-[0-9a-f]{6}: record s3:\/\/central-lake\/replays\/.*\.json\n$/);
    expect(r.code).toBe(0);
    expect([...keysSent()].sort()).toEqual(expected);
    for (const call of sqs.commandCalls(SendMessageBatchCommand)) expect(call.args[0].input.Entries?.length).toBeLessThanOrEqual(10);
    const id = runIdIn(r.stdout);
    expect(r.stdout).toBe(`run ${id} done: ${expected.length} objects listed, 0 skipped, ${expected.length} enqueued (${expected.reduce((n, k) => n + `x${k.length}`.length, 0)} bytes) in ${sqs.commandCalls(SendMessageBatchCommand).length} SendMessageBatch calls, 0 errors\n`);
    const record = JSON.parse(String(await s3.get(CENTRAL, `replays/${id}.json`))) as { status: string; queue_url: string; enqueued: { objects: number } };
    expect({ status: record.status, queue: record.queue_url, enqueued: record.enqueued.objects }).toEqual({ status: 'done', queue: QUEUE, enqueued: expected.length });

    const list = await replay(['status', '--stack', STACK]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id} +queue +done +s3://${SOURCE}/ +${FROM}\\.\\.${TO} +${expected.length} +0 +${expected.length} +0 `));
    const one = await replay(['status', id, '--lake', `s3://${CENTRAL}`]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`run ${id} (queue): done`);
    expect(one.stdout).toContain(`  queue      ${QUEUE}: 12 waiting, 3 in flight`);
    expect(one.stdout).toContain(`  enqueued   ${expected.length} objects`);
  });

  it('--json prints a progress event per chunk and an end event with the record', async () => {
    const r = await replay([`s3://${SOURCE}/`, '--from', FROM, '--to', TO, '--queue', QUEUE, '--lake', `s3://${CENTRAL}`, '--json', '--source', 'cloudtrail']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; enqueued: number; record?: { status: string } });
    expect(events.length).toBeGreaterThan(1);
    expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    const end = events[events.length - 1];
    expect(end?.event).toBe('end');
    expect(end?.record?.status).toBe('done');
    expect(end?.enqueued).toBe(keysSent().length);
    expect(keysSent().every((k) => /CloudTrail(-Digest)?\//.test(k))).toBe(true);
  });

  it('Ctrl-C stops after the chunk with exit 130 and the resume command; --resume sends the rest, each object once', async () => {
    beforeSend = (call) => {
      if (call === 2) process.emit('SIGINT');
    };
    const r = await replay([`s3://${SOURCE}/`, '--from', FROM, '--to', TO, '--stack', STACK, '--window', 'day']);
    expect(r.code).toBe(130);
    const id = runIdIn(r.stdout);
    expect(r.stdout).toContain(`run ${id} stopped:`);
    expect(r.stderr).toContain(`loglake replay: interrupted; continue with: loglake replay --resume ${id} --stack ${STACK}\n`);
    const first = keysSent();
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(expected.length);
    beforeSend = () => {};
    const again = await replay(['--resume', id, '--stack', STACK]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`run ${id} done: ${expected.length} objects listed`);
    expect(keysSent().length).toBe(expected.length);
    expect([...keysSent()].sort()).toEqual(expected);
    // Done runs do not resume.
    const third = await replay(['--resume', id, '--stack', STACK]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(`replay run ${id} is done; start a new run instead`);
  });

  it('cancel stops a run for good; status --done counts manifests written since the run started', async () => {
    beforeSend = (call) => {
      if (call === 0) process.emit('SIGINT');
    };
    const r = await replay([`s3://${SOURCE}/`, '--from', FROM, '--to', TO, '--stack', STACK, '--window', 'day']);
    expect(r.code).toBe(130);
    const id = runIdIn(r.stdout);
    // The worker finished two of the objects sent.
    const record = JSON.parse(String(await s3.get(CENTRAL, `replays/${id}.json`))) as { started_at: string };
    const later = new Date(Date.parse(record.started_at) + 1000).toISOString();
    for (const [i, key] of keysSent().slice(0, 2).entries()) {
      const source = /CloudTrail-Digest/.test(key) ? 'cloudtrail-digest' : /CloudTrail/.test(key) ? 'cloudtrail' : /elasticloadbalancing/.test(key) ? 'alb' : 'unknown';
      const m = { manifest_version: 1, bucket: SOURCE, key, status: i === 0 ? 'ok' : 'failed', etag: null, parser_id: null, parser_version: null, routed_by: 'key', reason: null, outputs: [], errors_output: null, started_at: later, finished_at: later };
      await s3.put(CENTRAL, manifestKey(source, objectId({ bucket: SOURCE, key })), JSON.stringify(m));
    }
    const st = await replay(['status', id, '--stack', STACK, '--done']);
    expect(st.stderr).toBe('');
    expect(st.stdout).toMatch(/ {2}done {7}\d+ of \d+ enqueued objects have a manifest written since the run started \(\d+ failed\)/);
    const json = await replay(['status', id, '--stack', STACK, '--done', '--json']);
    const doc = JSON.parse(json.stdout) as { done: { finished: number; failed: number }; backlog: { visible: number } };
    expect(doc.backlog).toEqual({ visible: 12, inFlight: 3 });
    expect(doc.done.finished).toBeGreaterThanOrEqual(1);

    const c = await replay(['cancel', id, '--stack', STACK]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`run ${id}: cancel requested`);
    expect(await s3.get(CENTRAL, `replay-control/${id}/cancel`)).not.toBeNull();
    const resumed = await replay(['--resume', id, '--stack', STACK]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(`replay run ${id} was cancelled; start a new run instead`);
  });

  it('--deployed sends one start request to the control queue and returns', async () => {
    const r = await replay([`s3://${SOURCE}/logs/`, '--from', FROM, '--to', TO, '--deployed', '--stack', STACK, '--rate', '50', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { event: string; run_id: string; record: string };
    expect(out.event).toBe('submitted');
    expect(out.record).toBe(`s3://${CENTRAL}/replays/${out.run_id}.json`);
    expect(sent.get(QUEUE)).toBeUndefined();
    expect((sent.get(CONTROL) ?? []).map((b) => JSON.parse(b) as unknown)).toEqual([
      {
        loglake: 'replay-start',
        v: 1,
        run_id: out.run_id,
        params: { bucket: SOURCE, prefix: 'logs/', from: FROM, to: TO, source: null, account: null, region: null, force: false, parserOlderThan: null, rate: 50, window: 'day' },
      },
    ]);
    const text = await replay([`s3://${SOURCE}/`, '--from', FROM, '--deployed', '--stack', STACK]);
    expect(text.stdout).toMatch(/^run \S+ submitted to the replay function of stack loglake-test\nrecord: s3:\/\/central-lake\/replays\/\S+\.json\nwatch: {2}loglake replay status \S+ --stack loglake-test\nstop: {3}loglake replay cancel \S+ --stack loglake-test\n$/);
  });

  it('fails clearly: a stack that does not exist or lacks outputs, an unknown run, a bad run id', async () => {
    const missing = await replay([`s3://${SOURCE}/`, '--from', FROM, '--stack', 'missing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^loglake replay: .*Stack with id missing does not exist/);
    const old = await replay([`s3://${SOURCE}/`, '--from', FROM, '--deployed', '--stack', 'old-stack']);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('stack old-stack has no output ReplayQueueUrl; redeploy it with this version of loglake (outputs: LakeBucketName)');
    const unknown = await replay(['status', '20200101T000000Z-abcdef', '--stack', STACK]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('loglake replay: no replay run 20200101T000000Z-abcdef: s3://central-lake/replays/20200101T000000Z-abcdef.json does not exist\n');
    const bad = await replay(['cancel', 'latest', '--stack', STACK]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"latest" is not a run id');
    const nowhere = await replay(['status']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('give --lake <s3://bucket | dir> or --stack <name>');
    const noBucket = await replay([`s3://no-such-source/`, '--from', FROM, '--stack', STACK]);
    expect(noBucket.code).toBe(1);
    expect(noBucket.stdout).toMatch(/ failed: 0 objects listed/);
    expect(noBucket.stderr).toMatch(/listing 2023-06-01\.\.2023-06-01: .*no-such-source/);
  });
});
