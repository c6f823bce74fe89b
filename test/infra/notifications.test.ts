import { beforeAll, describe, expect, it } from 'vitest';
import { PARSER_SUFFIXES, SOURCE_SUFFIXES, suffixOf } from '../../infra/notifications.js';
import { FORMAT_NAMES, PARSER_IDS, PARSER_SOURCES, SOURCES } from '../../schema/index.js';
import { FULL, MINIMAL, flat, idOf, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

interface QueueConfiguration {
  Events: string[];
  Filter?: { Key: { FilterRules: Array<{ Name: string; Value: string }> } };
  QueueArn: unknown;
}

/** The notification configuration CDK writes to each source bucket, by bucket name. */
function bucketNotifications(s: Synth): Map<string, { QueueConfigurations?: QueueConfiguration[]; EventBridgeConfiguration?: unknown }> {
  return new Map(
    s.resources('Custom::S3BucketNotifications').map(([, r]) => [r.Properties.BucketName as string, r.Properties.NotificationConfiguration as never]),
  );
}

/** `prefix|suffix` of each queue configuration, for compact comparison. */
const filters = (configs: QueueConfiguration[] | undefined): string[] =>
  (configs ?? []).map((c) => {
    const rules = c.Filter?.Key.FilterRules ?? [];
    const get = (name: string): string => rules.find((r) => r.Name === name)?.Value ?? '';
    return `${get('prefix')}|${get('suffix')}`;
  });

/** Allow statements of the ingest queue policy. */
function ingestAllows(s: Synth): Statement[] {
  const queueId = idOf(s, s.stack.queues.ingest);
  return s
    .resources('AWS::SQS::QueuePolicy')
    .filter(([, p]) => (p.Properties.Queues as unknown[]).some((q) => flat(q) === `<${queueId}>`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((st) => st.Effect === 'Allow');
}

/** One line per sender the ingest queue lets in: service, the ARN it must come from, and the account when pinned. */
const senders = (s: Synth): string[] =>
  ingestAllows(s)
    .flatMap((st) => {
      const service = (st.Principal as { Service: string }).Service;
      const arns: unknown = st.Condition?.ArnLike?.['aws:SourceArn'] ?? st.Condition?.ArnEquals?.['aws:SourceArn'];
      const account: unknown = st.Condition?.StringEquals?.['aws:SourceAccount'];
      return (Array.isArray(arns) ? arns : [arns]).map((arn) => `${service} ${flat(arn)}${account ? ` ${flat(account)}` : ''}`);
    })
    .sort();

describe('SourceNotifications for one same-account bucket', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(MINIMAL);
  }, SYNTH_TIMEOUT_MS);

  it('sends object-created events under the prefix with the format suffix to the ingest queue', () => {
    const n = bucketNotifications(s).get('acme-cloudtrail');
    expect(n?.QueueConfigurations?.map((c) => c.Events)).toEqual([['s3:ObjectCreated:*']]);
    expect(filters(n?.QueueConfigurations)).toEqual(['AWSLogs/|.json.gz']);
    expect(flat(n?.QueueConfigurations?.[0]?.QueueArn)).toBe(`<${idOf(s, s.stack.queues.ingest)}.Arn>`);
  });

  it('keeps notifications others configured on the bucket', () => {
    s.template.hasResourceProperties('Custom::S3BucketNotifications', { BucketName: 'acme-cloudtrail', Managed: false });
  });

  it('lets exactly that bucket, of this account, send to the ingest queue', () => {
    expect(senders(s)).toEqual(['s3.amazonaws.com arn:<AWS::Partition>:s3:::acme-cloudtrail <AWS::AccountId>']);
    for (const st of ingestAllows(s)) expect(st.Action).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
  });
});

describe('SourceNotifications for every notification path', () => {
  let s: Synth;
  let ingestArn: string;
  beforeAll(() => {
    s = synth(FULL);
    ingestArn = `<${idOf(s, s.stack.queues.ingest)}.Arn>`;
  }, SYNTH_TIMEOUT_MS);

  it('configures S3 notifications only on same-account buckets, one filter per prefix', () => {
    const n = bucketNotifications(s);
    expect(filters(n.get('acme-alb')?.QueueConfigurations)).toEqual(['prod/|.log.gz', 'staging/|.log.gz']);
    // An auto source of a whole bucket gets every object: no filter at all.
    expect(n.get('acme-mixed')?.QueueConfigurations?.[0]?.Filter).toBeUndefined();
    expect(n.has('partner-alb')).toBe(false);
    expect(n.has('partner-cdn')).toBe(false);
  });

  it('subscribes the ingest queue once to each configured topic', () => {
    const subs = s.resources('AWS::SNS::Subscription').filter(([, r]) => flat(r.Properties.Endpoint) === ingestArn);
    expect(subs.map(([, r]) => r.Properties.TopicArn).sort()).toEqual(
      ['arn:aws:sns:eu-west-1:111111111111:access', 'arn:aws:sns:eu-west-1:111111111111:config', 'arn:aws:sns:eu-west-1:111111111111:trail'].sort(),
    );
    for (const [, r] of subs) expect(r.Properties.Protocol).toBe('sqs');
  });

  it('turns on EventBridge delivery of same-account buckets and matches their prefixes and suffixes', () => {
    expect(bucketNotifications(s).get('acme-cdn')?.EventBridgeConfiguration).toEqual({});
    expect(bucketNotifications(s).get('acme-billing')?.EventBridgeConfiguration).toEqual({});
    const rule = (bucket: string): CfnResource | undefined =>
      s.resources('AWS::Events::Rule').find(([, r]) => JSON.stringify(r.Properties.EventPattern).includes(`"${bucket}"`))?.[1];
    expect(rule('acme-cdn')?.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['acme-cdn'] }, object: { key: [{ wildcard: 'cf/*.gz' }] } },
    });
    expect(rule('acme-billing')?.Properties.EventPattern).toMatchObject({
      detail: { bucket: { name: ['acme-billing'] }, object: { key: [{ prefix: 'cur/' }, { prefix: 'dbr/' }] } },
    });
    expect(rule('partner-cdn')?.Properties.EventPattern).toMatchObject({ detail: { object: { key: [{ wildcard: 'cdn/*.gz' }] } } });
  });

  it('targets the ingest queue from every rule and parks undeliverable events in its dead-letter queue', () => {
    const dlqArn = `<${idOf(s, s.stack.queues.ingestDlq)}.Arn>`;
    const rules = s.resources('AWS::Events::Rule');
    expect(rules).toHaveLength(3);
    for (const [, r] of rules) {
      const targets = r.Properties.Targets as Array<{ Arn: unknown; DeadLetterConfig: { Arn: unknown } }>;
      expect(targets.map((t) => [flat(t.Arn), flat(t.DeadLetterConfig.Arn)])).toEqual([[ingestArn, dlqArn]]);
    }
  });

  it('lets the account of a cross-account EventBridge source put S3 events on the default bus', () => {
    const policies = s.resources('AWS::Events::EventBusPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0]?.[1].Properties).toMatchObject({
      EventBusName: 'default',
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'events:source': 'aws.s3' } },
      },
    });
    expect(flat((policies[0]?.[1].Properties.Statement as { Principal: { AWS: unknown } }).Principal.AWS)).toBe(
      'arn:<AWS::Partition>:iam::444444444444:root',
    );
  });

  it('lets exactly the configured buckets, topics and rules send to the ingest queue, each from its account', () => {
    const rules = s.resources('AWS::Events::Rule').map(([id]) => `events.amazonaws.com <${id}.Arn> <AWS::AccountId>`);
    expect(senders(s)).toEqual(
      [
        's3.amazonaws.com arn:<AWS::Partition>:s3:::acme-alb <AWS::AccountId>',
        's3.amazonaws.com arn:<AWS::Partition>:s3:::acme-mixed <AWS::AccountId>',
        's3.amazonaws.com arn:<AWS::Partition>:s3:::partner-alb 333333333333',
        'sns.amazonaws.com arn:aws:sns:eu-west-1:111111111111:access 111111111111',
        'sns.amazonaws.com arn:aws:sns:eu-west-1:111111111111:config 111111111111',
        'sns.amazonaws.com arn:aws:sns:eu-west-1:111111111111:trail 111111111111',
        ...rules,
      ].sort(),
    );
  });
});

describe('suffixOf', () => {
  it('filters a parser id by its own suffix, else by the suffix of the source it writes', () => {
    for (const id of PARSER_IDS) expect(suffixOf(id), id).toBe(PARSER_SUFFIXES[id] ?? SOURCE_SUFFIXES[PARSER_SOURCES[id]]);
    // Text and Parquet flow logs share no suffix: the source filters nothing, the Parquet parser its own.
    expect([suffixOf('vpcflow'), suffixOf('vpcflow-parquet')]).toEqual([null, '.log.parquet']);
  });

  it('has a suffix (or an explicit none) for every source and format, and none for auto', () => {
    expect(Object.keys(SOURCE_SUFFIXES).sort()).toEqual([...SOURCES].sort());
    for (const name of FORMAT_NAMES) expect(suffixOf(name), name).not.toBeUndefined();
    expect(suffixOf('auto')).toBeNull();
  });
});
