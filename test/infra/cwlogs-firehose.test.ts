/**
 * The Firehose path of the CloudWatch Logs intake in the synthesized stack (infra/cwlogs-firehose.ts):
 * the stream writing `raw/cwlogs/` of the central bucket, the notification that hands its objects
 * to the worker, the destination for other accounts and its policy, the roles (each statement:
 * principal, actions, resources, conditions), the subscriptions of own groups, the alarm, outputs,
 * lifecycle, cdk-nag, and the configuration.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { AwsSolutionsChecks } from 'cdk-nag';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { LoglakeConfigError, parseConfig } from '../../infra/config.js';
import { createApp } from '../../infra/stack.js';
import { parseLogGroupMap } from '../../pipeline/index.js';
import { CWLOGS_FIREHOSE_PREFIX } from '../../schema/lake-layout.js';
import { CDK_CONTEXT, INLINE_CODE, MINIMAL, actionsOf, flat, idOf, resourcesOf, roleStatements, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const BASE = {
  name: 'fh-lake',
  sources: [{ bucket: 'acme-cloudtrail', prefixes: ['AWSLogs/'], format: 'cloudtrail' }],
  cloudwatchLogs: {
    logGroups: [
      { name: '/aws/lambda/orders' },
      { name: '/aws/rds/instance/db1/postgresql', format: 'rds-postgresql' },
      { prefix: '/aws/vpc/flowlogs/', format: 'vpcflow' },
      { name: '/app/partner', account: '222222222222', format: 'cwlogs' },
      { prefix: '/aws/rds/instance/', account: '333333333333', format: 'rds' },
      { name: '/app/partner-2', account: '222222222222' },
    ],
    filterPattern: '-DEBUG',
    firehose: { bufferSeconds: 120, bufferMiB: 32 },
  },
};
const OWN = { ...BASE, name: 'fh-own', cloudwatchLogs: { ...BASE.cloudwatchLogs, logGroups: BASE.cloudwatchLogs.logGroups.filter((g) => !('account' in g)), firehose: { subscribeOwnGroups: true } } };

const resource = (s: Synth, id: string): CfnResource => s.template.toJSON().Resources[id] as CfnResource;
const only = (s: Synth, type: string): [string, CfnResource] => {
  const all = s.resources(type);
  expect(all.map(([id]) => id), type).toHaveLength(1);
  return all[0] as [string, CfnResource];
};

describe('CwlogsFirehose', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(BASE);
  }, SYNTH_TIMEOUT_MS);

  it('is absent without cloudwatchLogs.firehose', () => {
    const plain = synth({ ...BASE, cloudwatchLogs: { ...BASE.cloudwatchLogs, firehose: undefined } });
    expect(plain.stack.cwlogsFirehose).toBeNull();
    expect(plain.resources('AWS::KinesisFirehose::DeliveryStream')).toEqual([]);
    expect(plain.resources('AWS::Logs::Destination')).toEqual([]);
    expect(synth(MINIMAL).stack.cwlogsFirehose).toBeNull();
  }, SYNTH_TIMEOUT_MS);

  it('writes uncompressed payload records under raw/cwlogs/ of the central bucket, with its buffer, encrypted, logging delivery errors', () => {
    const [, stream] = only(s, 'AWS::KinesisFirehose::DeliveryStream');
    const bucket = idOf(s, s.stack.storage.bucket);
    expect(stream.Properties.DeliveryStreamName).toBe('loglake-fh-lake-cwlogs');
    expect(stream.Properties.DeliveryStreamType).toBe('DirectPut');
    expect(stream.Properties.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const dest = stream.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(flat(dest.BucketARN)).toBe(`<${bucket}.Arn>`);
    expect(dest.Prefix).toBe(CWLOGS_FIREHOSE_PREFIX);
    expect(CWLOGS_FIREHOSE_PREFIX).toBe('raw/cwlogs/');
    expect(dest.CompressionFormat).toBe('UNCOMPRESSED');
    expect(dest.BufferingHints).toEqual({ IntervalInSeconds: 120, SizeInMBs: 32 });
    expect(dest.EncryptionConfiguration).toBeUndefined();
    expect((dest.CloudWatchLoggingOptions as { Enabled: boolean }).Enabled).toBe(true);
  });

  it('encrypts with the lake key when there is one, and lets only its role use it', () => {
    const k = synth({ ...BASE, name: 'fh-kms', lake: { kms: true } });
    const [, stream] = only(k, 'AWS::KinesisFirehose::DeliveryStream');
    const key = idOf(k, k.stack.storage.key as never);
    const dest = stream.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(flat(dest.EncryptionConfiguration)).toBe(flat({ KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [key, 'Arn'] } } }));
    const roleId = flat(dest.RoleARN).replace(/^<|\.Arn>$/g, '');
    const kms = roleStatements(k, roleId).filter((st) => actionsOf(st).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap(actionsOf).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms.flatMap(resourcesOf)).toEqual([`<${key}.Arn>`]);
  }, SYNTH_TIMEOUT_MS);

  it('gives Firehose a role it alone assumes for this account, writing only raw/cwlogs/', () => {
    const [, stream] = only(s, 'AWS::KinesisFirehose::DeliveryStream');
    const roleId = flat((stream.Properties.ExtendedS3DestinationConfiguration as { RoleARN: unknown }).RoleARN).replace(/^<|\.Arn>$/g, '');
    const trust = (resource(s, roleId).Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Principal).toEqual({ Service: 'firehose.amazonaws.com' });
    expect(flat(trust[0]?.Condition)).toBe(flat({ StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } }));
    const bucket = idOf(s, s.stack.storage.bucket);
    const byAction = Object.fromEntries(
      roleStatements(s, roleId).flatMap((st) => actionsOf(st).map((a) => [a, resourcesOf(st)])),
    );
    expect(byAction).toEqual({
      's3:PutObject': [`<${bucket}.Arn>/raw/cwlogs/*`],
      's3:AbortMultipartUpload': [`<${bucket}.Arn>/raw/cwlogs/*`],
      's3:GetBucketLocation': [`<${bucket}.Arn>`],
      's3:ListBucket': [`<${bucket}.Arn>`],
      's3:ListBucketMultipartUploads': [`<${bucket}.Arn>`],
      'logs:PutLogEvents': [expect.stringMatching(/^arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<.*DeliveryErrors.*>:log-stream:<.*DeliveryErrorStream.*>$/)],
    });
  });

  it('hands each object the stream writes to the ingest queue, and lets the worker read exactly those', () => {
    const notifications = s.resources('Custom::S3BucketNotifications');
    const queue = idOf(s, s.stack.queues.ingest);
    const configs = notifications.flatMap(([, n]) => ((n.Properties.NotificationConfiguration as { QueueConfigurations?: unknown[] }).QueueConfigurations ?? []).map((c) => flat(c)));
    expect(configs).toContain(flat({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'raw/cwlogs/' }] } }, QueueArn: { 'Fn::GetAtt': [queue, 'Arn'] } }));
    const bucket = idOf(s, s.stack.storage.bucket);
    const reads = roleStatements(s, idOf(s, s.stack.worker.role as never)).filter((st) => st.Sid === 'ReadCwlogsFirehoseObjects');
    expect(reads.map((st) => [actionsOf(st), resourcesOf(st)])).toEqual([[['s3:GetObject'], [`<${bucket}.Arn>/raw/cwlogs/*`]]]);
  });

  it('gives the worker the map with the stack region, since Firehose objects do not say theirs', () => {
    const worker = resource(s, idOf(s, s.stack.worker.function)).Properties;
    const env = (worker.Environment as { Variables: Record<string, unknown> }).Variables;
    const text = flat(env[INGEST_ENV.logGroups]);
    expect(text).toContain('"region":"<AWS::Region>"');
    // With a region configured, that one.
    const fixed = synth({ ...BASE, name: 'fh-region', cloudwatchLogs: { ...BASE.cloudwatchLogs, region: 'eu-west-1' } });
    const fixedEnv = (resource(fixed, idOf(fixed, fixed.stack.worker.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(parseLogGroupMap(String(fixedEnv[INGEST_ENV.logGroups]), 'test').region).toBe('eu-west-1');
  }, SYNTH_TIMEOUT_MS);

  it('lets CloudWatch Logs put records into the stream only, for log groups of this account and the configured ones', () => {
    const roleId = idOf(s, s.stack.cwlogsFirehose?.logsRole as never);
    const trust = (resource(s, roleId).Properties.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Principal).toEqual({ Service: 'logs.amazonaws.com' });
    expect(Object.keys(trust[0]?.Condition ?? {})).toEqual(['StringLike']);
    expect((trust[0]?.Condition?.StringLike?.['aws:SourceArn'] as unknown[]).map(flat)).toEqual([
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:*',
      'arn:<AWS::Partition>:logs:<AWS::Region>:222222222222:*',
      'arn:<AWS::Partition>:logs:<AWS::Region>:333333333333:*',
    ]);
    const [streamId] = only(s, 'AWS::KinesisFirehose::DeliveryStream');
    expect(roleStatements(s, roleId).map((st) => [actionsOf(st), resourcesOf(st)])).toEqual([[['firehose:PutRecord', 'firehose:PutRecordBatch'], [`<${streamId}.Arn>`]]]);
  });

  it('creates one destination in front of the stream that exactly the configured accounts may subscribe to', () => {
    const [destId, dest] = only(s, 'AWS::Logs::Destination');
    const [streamId] = only(s, 'AWS::KinesisFirehose::DeliveryStream');
    expect(dest.Properties.DestinationName).toBe('loglake-fh-lake');
    expect(flat(dest.Properties.TargetArn)).toBe(`<${streamId}.Arn>`);
    expect(flat(dest.Properties.RoleArn)).toBe(`<${idOf(s, s.stack.cwlogsFirehose?.logsRole as never)}.Arn>`);
    // The policy is JSON text with the partition, region and account joined in: read with those as X.
    const [, parts] = (dest.Properties.DestinationPolicy as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const policy = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'X')).join('')) as { Statement: Statement[] };
    expect(policy.Statement).toEqual([
      { Sid: 'SubscribeFromConfiguredAccounts', Effect: 'Allow', Principal: { AWS: ['222222222222', '333333333333'] }, Action: 'logs:PutSubscriptionFilter', Resource: 'arn:X:logs:X:X:destination:loglake-fh-lake' },
    ]);
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(flat(outputs.CloudWatchLogsDestinationArn?.Value)).toBe(`<${destId}.Arn>`);
    expect(outputs.CloudWatchLogsDestinationArn?.Description).toContain('aws logs put-subscription-filter');
    expect(outputs.CloudWatchLogsOtherAccounts).toBeUndefined();
    expect(flat(outputs.CloudWatchLogsFirehoseStreamName?.Value)).toBe(`<${streamId}>`);
  });

  it('still subscribes the own named groups to the intake function unless subscribeOwnGroups, and then to the stream instead', () => {
    const filters = (x: Synth): Array<[string, string]> =>
      x
        .resources('AWS::Logs::SubscriptionFilter')
        .map(([, f]): [string, string] => [String(f.Properties.LogGroupName), flat(f.Properties.DestinationArn)])
        .sort((a, b) => a[0].localeCompare(b[0]));
    const fnId = idOf(s, s.stack.cwlogs?.function as never);
    expect(filters(s)).toEqual([
      ['/aws/lambda/orders', `<${fnId}.Arn>`],
      ['/aws/rds/instance/db1/postgresql', `<${fnId}.Arn>`],
    ]);
    const own = synth(OWN);
    const [streamId] = only(own, 'AWS::KinesisFirehose::DeliveryStream');
    const roleId = idOf(own, own.stack.cwlogsFirehose?.logsRole as never);
    expect(filters(own)).toEqual([
      ['/aws/lambda/orders', `<${streamId}.Arn>`],
      ['/aws/rds/instance/db1/postgresql', `<${streamId}.Arn>`],
    ]);
    for (const [, f] of own.resources('AWS::Logs::SubscriptionFilter')) {
      expect(flat(f.Properties.RoleArn)).toBe(`<${roleId}.Arn>`);
      expect(f.Properties).toMatchObject({ FilterPattern: '-DEBUG', FilterName: 'loglake-fh-own' });
      expect((f as CfnResource & { DependsOn?: string[] }).DependsOn?.some((d) => d.startsWith(roleId))).toBe(true);
    }
    // No destination without another account.
    expect(own.resources('AWS::Logs::Destination')).toEqual([]);
    expect((own.template.toJSON().Outputs as Record<string, unknown>).CloudWatchLogsDestinationArn).toBeUndefined();
  }, SYNTH_TIMEOUT_MS);

  it('alarms when delivery falls behind the buffer by 15 minutes', () => {
    const alarm = s.resources('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === 'fh-lake-cwlogs-firehose-stale')?.[1];
    expect(alarm?.Properties).toMatchObject({ Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness', Statistic: 'Maximum', Threshold: 120 + 900, EvaluationPeriods: 3 });
  });

  it('gives raw/ its lifecycle rule though the raw archive is off', () => {
    const rules = (resource(s, idOf(s, s.stack.storage.bucket)).Properties.LifecycleConfiguration as { Rules: Array<{ Prefix?: string }> }).Rules;
    expect(rules.some((r) => r.Prefix === 'raw/')).toBe(true);
    const plain = synth({ ...BASE, name: 'fh-none', cloudwatchLogs: { ...BASE.cloudwatchLogs, firehose: undefined } });
    const plainRules = (resource(plain, idOf(plain, plain.stack.storage.bucket)).Properties.LifecycleConfiguration as { Rules: Array<{ Prefix?: string }> }).Rules;
    expect(plainRules.some((r) => r.Prefix === 'raw/')).toBe(false);
  }, SYNTH_TIMEOUT_MS);

  it('leaves no cdk-nag finding unacknowledged, with a customer key too', () => {
    for (const config of [BASE, OWN, { ...BASE, lake: { kms: true } }]) {
      const { app } = createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE, cwlogsCode: INLINE_CODE, outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')) });
      const report = new AwsSolutionsChecks(app).validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  }, SYNTH_TIMEOUT_MS);
});

describe('cloudwatchLogs.firehose configuration', () => {
  const problems = (firehose: unknown): string[] => {
    try {
      parseConfig({ ...MINIMAL, cloudwatchLogs: { logGroups: [{ name: '/a' }], firehose } });
    } catch (e) {
      if (e instanceof LoglakeConfigError) return [...e.issues];
      throw e;
    }
    return [];
  };

  it('applies the defaults', () => {
    expect(parseConfig({ ...MINIMAL, cloudwatchLogs: { logGroups: [{ name: '/a' }], firehose: {} } }).cloudwatchLogs?.firehose).toEqual({ bufferSeconds: 300, bufferMiB: 64, subscribeOwnGroups: false });
  });

  it('names every problem with its path', () => {
    expect(problems({ bufferSeconds: 901, bufferMiB: 0, subscribeOwnGroups: 'yes', extra: 1 })).toEqual([
      'cloudwatchLogs.firehose.extra: unknown key; known keys: bufferSeconds, bufferMiB, subscribeOwnGroups',
      'cloudwatchLogs.firehose.bufferSeconds: must be an integer from 0 to 900, got 901',
      'cloudwatchLogs.firehose.bufferMiB: must be an integer from 1 to 128, got 0',
      'cloudwatchLogs.firehose.subscribeOwnGroups: must be true or false, got "yes"',
    ]);
  });
});
