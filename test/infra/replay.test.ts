/**
 * The replay job in the synthesized stack: its function and environment, its control queue and
 * consumer, a role scoped to exactly what the job does, one schedule per poll source (and no
 * notification for one), its outputs and alarms. What the role allows on the central bucket is
 * also checked against the real function at work in lake-access.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_ENV, REPLAY_METRICS } from '../../functions/replay/env-names.js';
import { REPLAY_TIMEOUT_SECONDS, REPLAY_YIELD_MARGIN_SECONDS } from '../../infra/replay.js';
import { decodeReplayRequest } from '../../pipeline/index.js';
import { LAKE_LAYOUT } from '../../schema/lake-layout.js';
import { FULL, MINIMAL, actionsOf, flat, idOf, resourcesOf, roleStatements, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

/** Two poll sources (one whole bucket, one with prefixes and its own schedule) beside a notified one. */
const POLL = {
  name: 'poll-lake',
  sources: [
    { bucket: 'acme-cloudtrail', prefixes: ['AWSLogs/'], format: 'cloudtrail' },
    { bucket: 'acme-legacy', prefixes: ['app/', 'web/'], notification: 'poll', pollMinutes: 30, pollLookbackDays: 2 },
    { bucket: 'acme-whole', notification: 'poll' },
  ],
};

interface Ids {
  fn: string;
  role: string;
  bucket: string;
  replay: string;
  control: string;
  controlDlq: string;
  workerRole: string;
}

function idsOf(s: Synth): Ids {
  return {
    fn: idOf(s, s.stack.replay.function),
    role: idOf(s, s.stack.replay.role),
    bucket: idOf(s, s.stack.storage.bucket),
    replay: idOf(s, s.stack.queues.replay),
    control: idOf(s, s.stack.replay.controlQueue),
    controlDlq: idOf(s, s.stack.replay.controlDlq),
    workerRole: idOf(s, s.stack.worker.role),
  };
}

const resource = (s: Synth, id: string): CfnResource => s.template.toJSON().Resources[id] as CfnResource;

/** Every resource an action is allowed on, across statements, sorted. */
const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).includes(action)).flatMap(resourcesOf).sort();

/** The central-bucket prefixes of the layout with an access for the replay job, as granted object ARNs. */
const layoutPrefixes = (ids: Ids, access: 'get' | 'put'): string[] =>
  Object.values(LAKE_LAYOUT)
    .filter((a) => (a.replay as readonly string[]).includes(access))
    .map((a) => `<${ids.bucket}.Arn>/${a.prefix}*`)
    .sort();

describe('ReplayJob with the defaults', () => {
  let s: Synth;
  let ids: Ids;
  let statements: Statement[];
  beforeAll(() => {
    s = synth(MINIMAL);
    ids = idsOf(s);
    statements = roleStatements(s, ids.role);
  }, SYNTH_TIMEOUT_MS);

  it('runs on arm64 for 15 minutes, yielding two minutes before its deadline', () => {
    const fn = resource(s, ids.fn);
    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Timeout: 900, MemorySize: 1024, Handler: 'index.handler' });
    expect(fn.Properties.Runtime).toBe(resource(s, idOf(s, s.stack.worker.function)).Properties.Runtime);
    expect(REPLAY_YIELD_MARGIN_SECONDS).toBeLessThan(REPLAY_TIMEOUT_SECONDS / 4);
  });

  it('tells the function the central bucket, the replay queue, its control queue and its margin', () => {
    const env = (resource(s, ids.fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(flat(env[REPLAY_ENV.lakeBucket])).toBe(`<${ids.bucket}>`);
    expect(flat(env[REPLAY_ENV.replayQueueUrl])).toBe(`<${ids.replay}>`);
    expect(flat(env[REPLAY_ENV.controlQueueUrl])).toBe(`<${ids.control}>`);
    expect(env[REPLAY_ENV.yieldMarginMs]).toBe('120000');
    // Listings name the deployment account as the owner of the source bucket (ExpectedBucketOwner).
    expect(env[REPLAY_ENV.sourceAccess]).toEqual({ 'Fn::Join': ['', ['{"owner":"', { Ref: 'AWS::AccountId' }, '","buckets":{},"roles":[]}']] });
    expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'loglake', POWERTOOLS_METRICS_NAMESPACE: REPLAY_METRICS.namespace, POWERTOOLS_LOG_LEVEL: 'INFO' });
    expect(Object.keys(env).filter((k) => k.startsWith('LOGLAKE_')).sort()).toEqual(
      [REPLAY_ENV.lakeBucket, REPLAY_ENV.replayQueueUrl, REPLAY_ENV.controlQueueUrl, REPLAY_ENV.yieldMarginMs, REPLAY_ENV.sourceAccess].sort(),
    );
  });

  it('logs to its own log group', () => {
    const logs = s.resources('AWS::Logs::LogGroup').map(([id]) => id).find((id) => id.startsWith('ReplayJobLogs'));
    expect(resource(s, ids.fn).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logs } });
  });

  it('consumes its control queue one request at a time, at most two at once, with partial batch responses', () => {
    const mappings = s.resources('AWS::Lambda::EventSourceMapping').filter(([, m]) => flat(m.Properties.FunctionName) === `<${ids.fn}>`);
    expect(mappings).toHaveLength(1);
    expect(flat(mappings[0]?.[1].Properties.EventSourceArn)).toBe(`<${ids.control}.Arn>`);
    expect(mappings[0]?.[1].Properties).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 2 } });
    expect(mappings[0]?.[1].Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  it('gives the control queue a dead-letter queue, encryption, TLS only and a visibility above six function timeouts', () => {
    const q = resource(s, ids.control).Properties;
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [ids.controlDlq, 'Arn'] }, maxReceiveCount: 5 });
    expect(q.VisibilityTimeout as number).toBeGreaterThan(6 * 900);
    for (const id of [ids.control, ids.controlDlq]) {
      expect(resource(s, id).Properties, id).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      const policy = s.resources('AWS::SQS::QueuePolicy').find(([, p]) => (p.Properties.Queues as unknown[]).some((x) => flat(x) === `<${id}>`));
      expect((policy?.[1].Properties.PolicyDocument as { Statement: Statement[] }).Statement, id).toEqual([
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    }
  });

  it('has an own role with no managed policy, nothing on every resource and no wildcard action', () => {
    expect(resource(s, ids.role).Properties.ManagedPolicyArns).toBeUndefined();
    expect(statements.filter((st) => resourcesOf(st).includes('*'))).toEqual([]);
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('uses exactly these S3 actions: list, read and write objects, nothing that deletes or reads a source', () => {
    const s3Actions = [...new Set(statements.flatMap(actionsOf).filter((a) => a.startsWith('s3:')))].sort();
    expect(s3Actions).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('reads and writes the central bucket exactly under the prefixes the layout gives the replay job', () => {
    expect(resourcesFor(statements, 's3:GetObject')).toEqual(layoutPrefixes(ids, 'get'));
    expect(resourcesFor(statements, 's3:GetObject')).toEqual([`<${ids.bucket}.Arn>/manifests/*`, `<${ids.bucket}.Arn>/replay-control/*`, `<${ids.bucket}.Arn>/replays/*`]);
    expect(resourcesFor(statements, 's3:PutObject')).toEqual(layoutPrefixes(ids, 'put'));
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([`<${ids.bucket}.Arn>/replay-control/*`, `<${ids.bucket}.Arn>/replays/*`]);
    expect(resourcesFor(statements, 's3:AbortMultipartUpload')).toEqual(layoutPrefixes(ids, 'put'));
  });

  it('lists the central bucket, and each source bucket only under its configured prefixes', () => {
    const listing = statements.filter((st) => actionsOf(st).includes('s3:ListBucket'));
    expect(listing.map((st) => [resourcesOf(st), st.Condition ?? null])).toEqual(
      expect.arrayContaining([
        [[`<${ids.bucket}.Arn>`], null],
        [['arn:<AWS::Partition>:s3:::acme-cloudtrail'], { StringLike: { 's3:prefix': ['AWSLogs/*'] } }],
      ]),
    );
    expect(listing).toHaveLength(2);
  });

  it('sends only to the replay queue and its own control queue, and receives only from the control queue', () => {
    expect(resourcesFor(statements, 'sqs:SendMessage')).toEqual([`<${ids.control}.Arn>`, `<${ids.replay}.Arn>`].sort());
    expect(resourcesFor(statements, 'sqs:ReceiveMessage')).toEqual([`<${ids.control}.Arn>`]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:') && !['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].includes(a))).toEqual([]);
  });

  it('has no KMS permission when nothing uses a customer key', () => {
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  it('gives the worker role nothing under the replay areas', () => {
    const worker = roleStatements(s, ids.workerRole).flatMap(resourcesOf);
    expect(worker.filter((r) => r.includes('/replays/') || r.includes('/replay-control/'))).toEqual([]);
  });

  it('creates no schedule without a poll source', () => {
    expect(s.stack.replay.pollRules).toEqual([]);
    expect(s.resources('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined)).toEqual([]);
  });

  it('outputs the control queue URL, the function name and role, and keeps the replay queue URL', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(flat(outputs.ReplayControlQueueUrl?.Value)).toBe(`<${ids.control}>`);
    expect(flat(outputs.ReplayFunctionName?.Value)).toBe(`<${ids.fn}>`);
    expect(flat(outputs.ReplayRoleArn?.Value)).toBe(`<${ids.role}.Arn>`);
    expect(flat(outputs.ReplayQueueUrl?.Value)).toBe(`<${ids.replay}>`);
  });

  it('alarms on replay errors and a non-empty control dead-letter queue, to the ops topic', () => {
    const alarms = new Map(s.resources('AWS::CloudWatch::Alarm').map(([, r]) => [r.Properties.AlarmName as string, r.Properties]));
    const topic = [{ Ref: idOf(s, s.stack.monitoring.topic) }];

    const errors = alarms.get('loglake-replay-errors');
    expect(errors).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: topic, OKActions: topic });
    const metrics = errors?.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }; Period: number; Stat: string } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(recorded, 0) + FILL(failed, 0)');
    expect(metrics.find((m) => m.Id === 'recorded')?.MetricStat).toEqual({
      Metric: { Namespace: 'Loglake', MetricName: REPLAY_METRICS.errors, Dimensions: [{ Name: 'service', Value: 'loglake' }] },
      Period: 300,
      Stat: 'Sum',
    });
    const failed = metrics.find((m) => m.Id === 'failed')?.MetricStat;
    expect(failed?.Metric.MetricName).toBe('Errors');
    expect(failed?.Metric.Dimensions.map((d) => `${d.Name}=${flat(d.Value)}`)).toEqual([`FunctionName=<${ids.fn}>`]);

    const dlq = alarms.get('loglake-replay-control-dlq-not-empty');
    expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, Statistic: 'Maximum', AlarmActions: topic });
    expect((dlq?.Dimensions as Array<{ Value: unknown }>).map((d) => flat(d.Value))).toEqual([`<${ids.controlDlq}.QueueName>`]);
  });
});

describe('ReplayJob with poll sources', () => {
  let s: Synth;
  let ids: Ids;
  let rules: Array<[string, CfnResource]>;
  beforeAll(() => {
    s = synth(POLL);
    ids = idsOf(s);
    rules = s.resources('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined);
  }, SYNTH_TIMEOUT_MS);

  const target = (r: CfnResource): { Arn: unknown; Input: string; RetryPolicy?: unknown } => (r.Properties.Targets as Array<{ Arn: unknown; Input: string }>)[0] as never;

  it('schedules one poll per poll source, on its interval, invoking the function with a replay-poll request', () => {
    expect(rules.map(([, r]) => [r.Properties.ScheduleExpression, JSON.parse(target(r).Input)]).sort()).toEqual(
      [
        ['rate(15 minutes)', { loglake: 'replay-poll', v: 1, bucket: 'acme-whole', prefixes: [''], lookbackDays: 1 }],
        ['rate(30 minutes)', { loglake: 'replay-poll', v: 1, bucket: 'acme-legacy', prefixes: ['app/', 'web/'], lookbackDays: 2 }],
      ].sort(),
    );
    for (const [id, r] of rules) {
      expect(flat(target(r).Arn), id).toBe(`<${ids.fn}.Arn>`);
      expect(r.Properties.State, id).toBe('ENABLED');
    }
  });

  it('sends what the function decodes as the same poll', () => {
    for (const [id, r] of rules) {
      const input = JSON.parse(target(r).Input) as unknown;
      expect(decodeReplayRequest(input), id).toEqual(input);
      expect(decodeReplayRequest(target(r).Input), id).toEqual(input);
    }
  });

  it('drops a poll older than its interval instead of retrying it for a day', () => {
    const legacy = rules.find(([, r]) => r.Properties.ScheduleExpression === 'rate(30 minutes)')?.[1] as CfnResource;
    expect(target(legacy).RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 2 });
  });

  it('lets exactly these rules invoke the function', () => {
    const permissions = s.resources('AWS::Lambda::Permission').filter(([, p]) => flat(p.Properties.FunctionName) === `<${ids.fn}.Arn>`);
    expect(permissions.map(([, p]) => [p.Properties.Principal, flat(p.Properties.SourceArn)]).sort()).toEqual(
      rules.map(([id]) => ['events.amazonaws.com', `<${id}.Arn>`]).sort(),
    );
  });

  it('configures no notification for a poll source', () => {
    const notified = s.resources('Custom::S3BucketNotifications').map(([, r]) => r.Properties.BucketName);
    expect(notified).toEqual(['acme-cloudtrail']);
    const patterns = s.resources('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern !== undefined);
    expect(patterns).toEqual([]);
    const queuePolicies = JSON.stringify(s.resources('AWS::SQS::QueuePolicy'));
    expect(queuePolicies).not.toMatch(/acme-legacy|acme-whole/);
  });

  it('lets the function list each polled bucket: under its prefixes, or whole', () => {
    const listing = roleStatements(s, ids.role)
      .filter((st) => actionsOf(st).includes('s3:ListBucket'))
      .map((st) => [resourcesOf(st).join(','), st.Condition ?? null] as const)
      .sort();
    expect(listing).toEqual(
      [
        [`<${ids.bucket}.Arn>`, null],
        ['arn:<AWS::Partition>:s3:::acme-cloudtrail', { StringLike: { 's3:prefix': ['AWSLogs/*'] } }],
        ['arn:<AWS::Partition>:s3:::acme-legacy', { StringLike: { 's3:prefix': ['app/*', 'web/*'] } }],
        ['arn:<AWS::Partition>:s3:::acme-whole', null],
      ].sort(),
    );
  });

  it('still lets the worker read what a poll enqueues', () => {
    const reads = roleStatements(s, ids.workerRole)
      .filter((st) => actionsOf(st).includes('s3:GetObject'))
      .flatMap(resourcesOf)
      .filter((r) => r.startsWith('arn:'));
    expect(reads.sort()).toEqual(['acme-cloudtrail/AWSLogs/*', 'acme-legacy/app/*', 'acme-legacy/web/*', 'acme-whole/*'].map((p) => `arn:<AWS::Partition>:s3:::${p}`).sort());
  });
});

describe('ReplayJob with a customer key', () => {
  let s: Synth;
  let ids: Ids;
  let statements: Statement[];
  beforeAll(() => {
    s = synth(FULL);
    ids = idsOf(s);
    statements = roleStatements(s, ids.role);
  }, SYNTH_TIMEOUT_MS);

  it('encrypts the control queue and its dead-letter queue with the customer key', () => {
    const key = `<${idOf(s, s.stack.storage.key!)}.Arn>`;
    for (const id of [ids.control, ids.controlDlq]) expect(flat(resource(s, id).Properties.KmsMasterKeyId), id).toBe(key);
    expect(resource(s, ids.control).Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 7 });
  });

  it('uses the lake key to decrypt and for data keys, and no source key', () => {
    const key = `<${idOf(s, s.stack.storage.key!)}.Arn>`;
    expect(resourcesFor(statements, 'kms:Decrypt')).toEqual([key]);
    expect(resourcesFor(statements, 'kms:GenerateDataKey')).toEqual([key]);
    expect(statements.flatMap(resourcesOf).filter((r) => r.includes(':kms:'))).toEqual([]);
  });

  it('still grants nothing under raw/, lake/, errors/ or assemblies/', () => {
    const objects = statements.flatMap(resourcesOf).filter((r) => r.startsWith(`<${ids.bucket}.Arn>/`));
    expect([...new Set(objects)].sort()).toEqual(['manifests/*', 'replay-control/*', 'replays/*'].map((p) => `<${ids.bucket}.Arn>/${p}`));
  });
});
