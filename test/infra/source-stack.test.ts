/**
 * Both sides of every cross-account grant of the multi-account example, synthesized: the central
 * stack's queue, bus and subscription grants and its roles' physical names, against what the
 * source-account stacks create (notifications, forwarding rules, reader roles) and the statements
 * they hand their owners as outputs; the StackSet template's parameters and conditions.
 * cdk-nag over these stacks runs in test/infra/stack.test.ts (the example configuration case).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, type LoglakeApp } from '../../infra/stack.js';
import { CDK_CONTEXT, flat, INLINE_CODE, REPO, SYNTH_TIMEOUT_MS, type CfnResource, type Statement } from './synth.js';

const MULTI = JSON.parse(readFileSync(new URL('loglake.config.multi-account.example.json', REPO), 'utf8')) as Record<string, unknown>;
const CENTRAL_BUS = 'arn:aws:events:eu-west-1:111111111111:event-bus/default';
const CDN_PATTERN = { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['prod-cdn-logs-333333333333'] }, object: { key: [{ wildcard: 'cloudfront/*.gz' }] } } };

interface Json {
  Resources: Record<string, CfnResource & { Condition?: string }>;
  Outputs?: Record<string, { Value: unknown; Condition?: string; Description?: string }>;
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Rules?: unknown;
}

const byType = (t: Json, type: string): Array<[string, CfnResource & { Condition?: string }]> => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const statementsOf = (doc: unknown): Statement[] => (doc as { Statement: Statement[] }).Statement;
const outputStatements = (t: Json, id: string): Statement[] => JSON.parse(t.Outputs?.[id]?.Value as string) as Statement[];
/** An output of the StackSet template, its references written `<Name>`: `Fn::Join` of strings and `Ref`s. */
const joined = (value: unknown): string => {
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join(join[0]);
};

describe('source-account stacks of the multi-account example', () => {
  let built: LoglakeApp;
  let central: Json;
  let archive: Json;
  let workload: Json;
  let management: Json;
  let stackSet: Json;
  let workerRole: string;
  let replayRole: string;

  beforeAll(() => {
    built = createApp({
      context: { ...CDK_CONTEXT, loglake: MULTI },
      workerCode: INLINE_CODE,
      replayCode: INLINE_CODE,
      rdsExportCode: INLINE_CODE,
      cwlogsCode: INLINE_CODE,
      outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')),
    });
    // Synthesis runs the cdk-nag plugin and CloudFormation validation over every stack.
    built.app.synth();
    const json = (stack: Parameters<typeof Template.fromStack>[0]): Json => Template.fromStack(stack).toJSON() as Json;
    central = json(built.stack);
    const [a, w, m] = built.sourceStacks;
    [archive, workload, management] = [json(a as never), json(w as never), json(m as never)];
    stackSet = json(built.stackSet as never);
    const roleName = (path: string): string => {
      const role = byType(central, 'AWS::IAM::Role').find(([id]) => id.startsWith(path));
      return String(role?.[1].Properties.RoleName);
    };
    workerRole = `arn:aws:iam::111111111111:role/${roleName('WorkerRole')}`;
    replayRole = `arn:aws:iam::111111111111:role/${roleName('ReplayJobRole')}`;
  }, SYNTH_TIMEOUT_MS);

  it('synthesizes one stack per source account, pinned to it and the central region, without the bootstrap stack', () => {
    expect(built.sourceStacks.map((s) => [s.stackName, s.account, s.region])).toEqual([
      ['security-lake-source-222222222222', '222222222222', 'eu-west-1'],
      ['security-lake-source-333333333333', '333333333333', 'eu-west-1'],
      ['security-lake-source-444444444444', '444444444444', 'eu-west-1'],
    ]);
    for (const t of [archive, workload, management, stackSet]) {
      expect(t.Parameters?.BootstrapVersion).toBeUndefined();
      expect(t.Rules).toBeUndefined();
    }
  });

  it('gives the central worker and replay roles the physical names the source stacks use', () => {
    expect([workerRole, replayRole]).toEqual(['arn:aws:iam::111111111111:role/security-lake-worker-eu-west-1', 'arn:aws:iam::111111111111:role/security-lake-replay-eu-west-1']);
  });

  it('never writes a policy of an existing bucket, key, topic or queue in a source account', () => {
    for (const t of [archive, workload, management, stackSet]) {
      const types = new Set(Object.values(t.Resources).map((r) => r.Type));
      for (const type of ['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SNS::TopicInlinePolicy', 'AWS::KMS::Key', 'AWS::SQS::QueuePolicy', 'AWS::S3::Bucket']) expect(types.has(type), type).toBe(false);
    }
  });

  describe('log archive account (organization trail, Config)', () => {
    it('creates nothing but holds the statements to merge as outputs', () => {
      expect(Object.values(archive.Resources).map((r) => r.Type)).toEqual(['AWS::CloudFormation::WaitConditionHandle']);
      expect(Object.keys(archive.Outputs ?? {}).sort()).toEqual([
        'BucketPolicyorgcloudtraillogs',
        'BucketPolicyorgconfiglogs',
        'KeyPolicy1234abcd12ab34cd56ef1234567890ab',
        'TopicPolicyconfigdelivery',
        'TopicPolicyorgtrailnotifications',
      ]);
    });

    it('lets the central worker read and the replay job list exactly the configured prefixes, which the central roles grant themselves', () => {
      const [read, list] = outputStatements(archive, 'BucketPolicyorgcloudtraillogs');
      expect(read).toEqual({
        Sid: 'LoglakeSecurityLakeRead',
        Effect: 'Allow',
        Principal: { AWS: workerRole },
        Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
        Resource: ['arn:aws:s3:::org-cloudtrail-logs/AWSLogs/o-abc123def4/*'],
      });
      expect(list).toEqual({
        Sid: 'LoglakeSecurityLakeList',
        Effect: 'Allow',
        Principal: { AWS: replayRole },
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::org-cloudtrail-logs',
        Condition: { StringLike: { 's3:prefix': ['AWSLogs/o-abc123def4/*'] } },
      });
      // The other side: the central roles' identity policies grant the same actions, resources and condition.
      const policies = byType(central, 'AWS::IAM::Policy');
      const statements = (roleIdPrefix: string): Statement[] =>
        policies.filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => flat(r).startsWith(`<${roleIdPrefix}`))).flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument));
      const workerRead = statements('WorkerRole').find((s) => s.Sid === 'ReadSourcePrefixes');
      // IAM's order means nothing; CDK sorts actions.
      expect([...(workerRead?.Action as string[])].sort()).toEqual([...(read?.Action as string[])].sort());
      expect(workerRead?.Resource).toEqual(expect.arrayContaining(read?.Resource as string[]));
      const replayList = statements('ReplayJobRole').find((s) => s.Sid?.startsWith('ListSource') && flat(s.Resource) === 'arn:aws:s3:::org-cloudtrail-logs');
      expect(replayList?.Condition).toEqual(list?.Condition);
      expect([statements('WorkerRole').find((s) => s.Sid === 'DecryptSources')?.Resource].flat()).toContain('arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    });

    it('lets the worker decrypt with the trail key only through S3', () => {
      expect(outputStatements(archive, 'KeyPolicy1234abcd12ab34cd56ef1234567890ab')).toEqual([
        { Sid: 'LoglakeSecurityLakeDecrypt', Effect: 'Allow', Principal: { AWS: workerRole }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } },
      ]);
    });

    it('lets the central account subscribe queues to the trail and Config topics, to which the central stack subscribes the ingest queue', () => {
      for (const [output, topic] of [
        ['TopicPolicyorgtrailnotifications', 'arn:aws:sns:eu-west-1:222222222222:org-trail-notifications'],
        ['TopicPolicyconfigdelivery', 'arn:aws:sns:eu-west-1:222222222222:config-delivery'],
      ] as const) {
        expect(outputStatements(archive, output)).toEqual([
          { Sid: 'LoglakeSecurityLakeSubscribe', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sns:Subscribe', Resource: topic, Condition: { StringEquals: { 'sns:Protocol': 'sqs' } } },
        ]);
        const subscriptions = byType(central, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.TopicArn === topic);
        expect(subscriptions.map(([, s]) => [s.Properties.Protocol, flat(s.Properties.Endpoint)])).toEqual([['sqs', expect.stringMatching(/^<QueuesIngest[0-9A-F]+\.Arn>$/)]]);
      }
    });
  });

  describe('workload account (load balancer and CloudFront logs)', () => {
    it('points the ALB bucket at the central ingest queue per prefix with the .log.gz suffix, merged with its own notifications', () => {
      const notifications = byType(workload, 'Custom::S3BucketNotifications').map(([, r]) => r.Properties);
      const alb = notifications.find((p) => p.BucketName === 'prod-alb-logs-333333333333');
      expect(alb?.Managed).toBe(false);
      expect(alb?.NotificationConfiguration).toEqual({
        QueueConfigurations: ['public', 'internal'].map((p) => ({
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.log.gz' }, { Name: 'prefix', Value: `${p}/AWSLogs/333333333333/elasticloadbalancing/` }] } },
          QueueArn: { Ref: 'IngestQueueArn' },
        })),
      });
      expect(workload.Parameters?.IngestQueueArn).toMatchObject({ Type: 'String', AllowedPattern: expect.stringContaining(':sqs:') });
      // The central queue admits exactly that bucket's events, from that account.
      const queueStatements = byType(central, 'AWS::SQS::QueuePolicy').flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument));
      const s3Send = queueStatements.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 's3.amazonaws.com' }) && JSON.stringify(s.Condition).includes('prod-alb-logs-333333333333'));
      expect(s3Send).toHaveLength(1);
      expect(s3Send[0]?.Action).toContain('sqs:SendMessage');
      expect(s3Send[0]?.Condition).toMatchObject({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::prod-alb-logs-333333333333' }, StringEquals: { 'aws:SourceAccount': '333333333333' } });
    });

    it('turns EventBridge on for the CloudFront bucket and forwards its Object Created events with the central rule pattern to the central bus', () => {
      const cdn = byType(workload, 'Custom::S3BucketNotifications').find(([, r]) => r.Properties.BucketName === 'prod-cdn-logs-333333333333');
      expect(cdn?.[1].Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: {} });
      const [[, rule]] = byType(workload, 'AWS::Events::Rule') as [[string, CfnResource]];
      expect(rule.Properties.EventPattern).toEqual(CDN_PATTERN);
      const centralRule = byType(central, 'AWS::Events::Rule').find(([, r]) => JSON.stringify(r.Properties.EventPattern).includes('prod-cdn-logs-333333333333'));
      expect(centralRule?.[1].Properties.EventPattern).toEqual(rule.Properties.EventPattern);
      const [target] = rule.Properties.Targets as Array<{ Arn: string; RoleArn: unknown }>;
      expect(target?.Arn).toBe(CENTRAL_BUS);
      // The forwarding role may put events on the central bus and nothing else.
      const roleId = flat(target?.RoleArn).replace(/^<|\.Arn>$/g, '');
      expect(statementsOf(workload.Resources[roleId]?.Properties.AssumeRolePolicyDocument)).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }]);
      const rolePolicies = byType(workload, 'AWS::IAM::Policy').filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => flat(r) === `<${roleId}>`));
      expect(rolePolicies.flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument))).toEqual([{ Action: 'events:PutEvents', Effect: 'Allow', Resource: CENTRAL_BUS }]);
      // The central bus lets this account put S3 events, and nothing else.
      const busPolicy = byType(central, 'AWS::Events::EventBusPolicy').find(([, p]) => JSON.stringify(p.Properties.Statement).includes('333333333333'));
      expect(busPolicy?.[1].Properties.Statement).toMatchObject({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::333333333333:root' },
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'events:source': 'aws.s3' } },
      });
      expect(flat((busPolicy?.[1].Properties.Statement as Statement).Resource)).toMatch(/^arn:<AWS::Partition>:events:eu-west-1:111111111111:event-bus\/default$|^arn:aws:events:eu-west-1:111111111111:event-bus\/default$/);
    });

    it("lets CDK's notification handler touch the notifications of these two buckets only", () => {
      const statements = byType(workload, 'AWS::IAM::Policy')
        .filter(([id]) => id.includes('NotificationsHandlerPolicy'))
        .flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument));
      expect(statements.map((s) => [s.Action, s.Resource])).toEqual([
        [['s3:GetBucketNotification', 's3:PutBucketNotification'], 'arn:aws:s3:::prod-alb-logs-333333333333'],
        [['s3:GetBucketNotification', 's3:PutBucketNotification'], 'arn:aws:s3:::prod-cdn-logs-333333333333'],
      ]);
    });

    it('hands the owner the read and list statements of both buckets', () => {
      expect(outputStatements(workload, 'BucketPolicyprodalblogs333333333333').map((s) => [s.Principal, s.Resource, s.Condition])).toEqual([
        [{ AWS: workerRole }, ['arn:aws:s3:::prod-alb-logs-333333333333/public/AWSLogs/333333333333/elasticloadbalancing/*', 'arn:aws:s3:::prod-alb-logs-333333333333/internal/AWSLogs/333333333333/elasticloadbalancing/*'], undefined],
        [{ AWS: replayRole }, 'arn:aws:s3:::prod-alb-logs-333333333333', { StringLike: { 's3:prefix': ['internal/AWSLogs/333333333333/elasticloadbalancing/*', 'public/AWSLogs/333333333333/elasticloadbalancing/*'] } }],
      ]);
      expect(outputStatements(workload, 'BucketPolicyprodcdnlogs333333333333').map((s) => s.Resource)).toEqual([['arn:aws:s3:::prod-cdn-logs-333333333333/cloudfront/*'], 'arn:aws:s3:::prod-cdn-logs-333333333333']);
    });
  });

  describe('management account (billing reports read by role)', () => {
    it('creates the reader role, assumable by the central worker and replay roles with the external id only', () => {
      const [[roleId, role]] = byType(management, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName !== undefined) as [[string, CfnResource]];
      expect(role.Properties).toMatchObject({ RoleName: 'security-lake-billing-reader', Path: '/' });
      expect(statementsOf(role.Properties.AssumeRolePolicyDocument)).toEqual([
        // CDK sorts the principals.
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: [replayRole, workerRole] }, Condition: { StringEquals: { 'sts:ExternalId': 'security-lake-111111111111' } } },
      ]);
      const policy = byType(management, 'AWS::IAM::Policy').filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => flat(r) === `<${roleId}>`));
      expect(policy.flatMap(([, p]) => statementsOf(p.Properties.PolicyDocument))).toEqual([
        { Sid: 'ReadSourcePrefixes', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:GetObjectVersionTagging'], Resource: 'arn:aws:s3:::payer-billing-reports/cur/*' },
        { Sid: 'ListSource1', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::payer-billing-reports', Condition: { StringLike: { 's3:prefix': ['cur/*'] } } },
      ]);
    });

    it('forwards the CUR bucket events and needs no bucket policy statement', () => {
      expect(byType(management, 'AWS::Events::Rule').map(([, r]) => (r.Properties.Targets as Array<{ Arn: string }>)[0]?.Arn)).toEqual([CENTRAL_BUS]);
      expect(management.Outputs ?? {}).toEqual({});
      expect(management.Parameters?.IngestQueueArn).toBeUndefined();
    });
  });

  describe('StackSet template', () => {
    it('takes the central account and the ingest queue as parameters', () => {
      expect(Object.keys(stackSet.Parameters ?? {}).sort()).toEqual(['CentralAccount', 'IngestQueueArn']);
      expect(stackSet.Parameters?.CentralAccount).toMatchObject({ Type: 'String', Default: '111111111111', AllowedPattern: '^\\d{12}$' });
    });

    it('has one condition per source account on the stack instance account', () => {
      for (const account of ['222222222222', '333333333333', '444444444444']) {
        expect(stackSet.Conditions?.[`Account${account}`]).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, account] });
      }
    });

    it("conditions every account's resources and outputs on that account, the shared handler on the accounts with notifications, and keeps one unconditioned placeholder", () => {
      const unconditioned = Object.entries(stackSet.Resources).filter(([, r]) => r.Condition === undefined);
      expect(unconditioned.map(([id, r]) => [id, r.Type])).toEqual([['Placeholder', 'AWS::CloudFormation::WaitConditionHandle']]);
      for (const [id, r] of Object.entries(stackSet.Resources)) {
        const account = /^Account(\d{12})/.exec(id)?.[1];
        if (account !== undefined) expect(r.Condition, id).toBe(`Account${account}`);
      }
      const handler = Object.entries(stackSet.Resources).filter(([id]) => id.startsWith('BucketNotificationsHandler'));
      expect(handler.length).toBeGreaterThan(0);
      for (const [, r] of handler) expect(stackSet.Conditions?.[r.Condition as string]).toEqual({ 'Fn::Or': [{ Condition: 'Account333333333333' }, { Condition: 'Account444444444444' }] });
      for (const [id, o] of Object.entries(stackSet.Outputs ?? {})) expect(o.Condition, id).toBe(id.includes('333333333333') ? 'Account333333333333' : 'Account222222222222');
    });

    it('names the central roles and bus from the parameter and the stack instance region', () => {
      const statements = JSON.parse(joined(stackSet.Outputs?.BucketPolicyorgcloudtraillogs?.Value)) as Statement[];
      expect(statements.map((s) => [s.Principal, s.Resource])).toEqual([
        [{ AWS: 'arn:<AWS::Partition>:iam::<CentralAccount>:role/security-lake-worker-<AWS::Region>' }, ['arn:<AWS::Partition>:s3:::org-cloudtrail-logs/AWSLogs/o-abc123def4/*']],
        [{ AWS: 'arn:<AWS::Partition>:iam::<CentralAccount>:role/security-lake-replay-<AWS::Region>' }, 'arn:<AWS::Partition>:s3:::org-cloudtrail-logs'],
      ]);
      const targets = byType(stackSet, 'AWS::Events::Rule').map(([, r]) => flat((r.Properties.Targets as Array<{ Arn: unknown }>)[0]?.Arn));
      expect(targets).toEqual(['arn:<AWS::Partition>:events:<AWS::Region>:<CentralAccount>:event-bus/default', 'arn:<AWS::Partition>:events:<AWS::Region>:<CentralAccount>:event-bus/default']);
      const trust = byType(stackSet, 'AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'security-lake-billing-reader')?.[1].Properties.AssumeRolePolicyDocument;
      expect(statementsOf(trust)[0]?.Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'security-lake-111111111111' } });
    });

    it('is written by synth next to the per-account templates', () => {
      const dir = built.app.outdir;
      for (const id of ['security-lake-source-stackset', 'security-lake-source-222222222222', 'security-lake-source-333333333333', 'security-lake-source-444444444444']) {
        expect(JSON.parse(readFileSync(join(dir, `${id}.template.json`), 'utf8'))).toHaveProperty('Resources');
      }
    });
  });

  it('synthesizes no source stack but warns when the configuration pins no central account, while the StackSet takes it as a parameter', () => {
    const { account: _account, ...agnostic } = MULTI;
    const other = createApp({ context: { ...CDK_CONTEXT, loglake: agnostic }, workerCode: INLINE_CODE, replayCode: INLINE_CODE, outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')) });
    expect(other.sourceStacks).toEqual([]);
    expect(Template.fromStack(other.stackSet as never).toJSON().Parameters.CentralAccount.Default).toBeUndefined();
    const warnings = other.stack.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings.some((w) => w.includes('set "account" and "region" to synthesize a stack per source account'))).toBe(true);
  }, SYNTH_TIMEOUT_MS);
});
