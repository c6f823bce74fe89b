/**
 * The plan of a source account (infra/source-plan.ts) as data: which accounts a configuration
 * touches, what each gets, the statements' principals, actions, resources and conditions, the
 * reader roles of sources read by role, and the configuration keys that ask for them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { centralRoleName, partitionOf } from '../../infra/central-access.js';
import { LoglakeConfigError, parseConfig } from '../../infra/config.js';
import { centralOf, OnboardError, planSourceAccount, sourceAccounts, sourceStackId, stackSetId } from '../../infra/source-plan.js';
import { REPO } from './synth.js';

const MULTI = JSON.parse(readFileSync(new URL('loglake.config.multi-account.example.json', REPO), 'utf8')) as Record<string, unknown>;
const config = parseConfig(MULTI);
const WORKER = 'arn:aws:iam::111111111111:role/security-lake-worker-eu-west-1';
const REPLAY = 'arn:aws:iam::111111111111:role/security-lake-replay-eu-west-1';
const READ = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'];

describe('centralOf', () => {
  it('names the central roles and bus from the deployment name, account and region', () => {
    expect(centralOf(config)).toEqual({
      name: 'security-lake',
      account: '111111111111',
      region: 'eu-west-1',
      partition: 'aws',
      workerRoleArn: WORKER,
      replayRoleArn: REPLAY,
      busArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/default',
    });
    expect(centralRoleName('security-lake', 'worker', 'eu-west-1')).toBe('security-lake-worker-eu-west-1');
  });

  it('takes the partition of the region', () => {
    expect([partitionOf('eu-west-1'), partitionOf('cn-north-1'), partitionOf('us-gov-west-1')]).toEqual(['aws', 'aws-cn', 'aws-us-gov']);
    const cn = centralOf(parseConfig({ ...MULTI, region: 'cn-north-1' }));
    expect(cn.workerRoleArn).toBe('arn:aws-cn:iam::111111111111:role/security-lake-worker-cn-north-1');
  });

  it('refuses a configuration without a central account or region, saying which', () => {
    const { account: _a, ...noAccount } = MULTI;
    const { region: _r, ...noRegion } = MULTI;
    expect(() => centralOf(parseConfig(noAccount))).toThrow(new OnboardError('the configuration pins no account: set the central deployment\'s "account" and "region" so source accounts can name its roles, queue and event bus'));
    expect(() => centralOf(parseConfig(noRegion))).toThrow(/pins no region/);
  });
});

describe('sourceAccounts', () => {
  it('lists the accounts of buckets, reader roles and topics other than the central one, sorted', () => {
    expect(sourceAccounts(config)).toEqual(['222222222222', '333333333333', '444444444444']);
    expect(sourceStackId('security-lake', '333333333333')).toBe('security-lake-source-333333333333');
    expect(stackSetId('security-lake')).toBe('security-lake-source-stackset');
  });

  it('counts an account that only holds a topic', () => {
    const c = parseConfig({ account: '111111111111', region: 'eu-west-1', sources: [{ bucket: 'own-logs', notification: 's3-sns', topicArn: 'arn:aws:sns:eu-west-1:555555555555:fanout' }] });
    expect(sourceAccounts(c)).toEqual(['555555555555']);
    expect(planSourceAccount(c, '555555555555')).toMatchObject({ buckets: [], keys: [], roles: [], topics: [{ topicArn: 'arn:aws:sns:eu-west-1:555555555555:fanout' }] });
  });
});

describe('planSourceAccount', () => {
  it('log archive: read and list statements for the trail and Config buckets, decrypt for the trail key, subscribe on both topics, nothing to create', () => {
    const plan = planSourceAccount(config, '222222222222');
    expect(plan.buckets.map((b) => [b.bucket, b.queueNotifications, b.forward])).toEqual([
      ['org-cloudtrail-logs', [], null],
      ['org-config-logs', [], null],
    ]);
    expect(plan.buckets[0]?.policy).toEqual([
      { Sid: 'LoglakeSecurityLakeRead', Effect: 'Allow', Principal: { AWS: WORKER }, Action: READ, Resource: ['arn:aws:s3:::org-cloudtrail-logs/AWSLogs/o-abc123def4/*'] },
      {
        Sid: 'LoglakeSecurityLakeList',
        Effect: 'Allow',
        Principal: { AWS: REPLAY },
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::org-cloudtrail-logs',
        Condition: { StringLike: { 's3:prefix': ['AWSLogs/o-abc123def4/*'] } },
      },
    ]);
    expect(plan.keys).toEqual([
      {
        keyArn: 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        policy: [{ Sid: 'LoglakeSecurityLakeDecrypt', Effect: 'Allow', Principal: { AWS: WORKER }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } }],
      },
    ]);
    expect(plan.topics.map((t) => [t.topicArn, t.notification])).toEqual([
      ['arn:aws:sns:eu-west-1:222222222222:org-trail-notifications', 'cloudtrail-sns'],
      ['arn:aws:sns:eu-west-1:222222222222:config-delivery', 'config-sns'],
    ]);
    expect(plan.topics[0]?.policy).toEqual([
      {
        Sid: 'LoglakeSecurityLakeSubscribe',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: 'sns:Subscribe',
        Resource: 'arn:aws:sns:eu-west-1:222222222222:org-trail-notifications',
        Condition: { StringEquals: { 'sns:Protocol': 'sqs' } },
      },
    ]);
    expect(plan.roles).toEqual([]);
  });

  it('workload account: S3 notifications per prefix with the format suffix, an EventBridge forward with the same pattern as the central rule', () => {
    const plan = planSourceAccount(config, '333333333333');
    const [alb, cdn] = plan.buckets;
    expect(alb?.queueNotifications).toEqual([
      { prefix: 'public/AWSLogs/333333333333/elasticloadbalancing/', suffix: '.log.gz' },
      { prefix: 'internal/AWSLogs/333333333333/elasticloadbalancing/', suffix: '.log.gz' },
    ]);
    expect(alb?.forward).toBeNull();
    expect(cdn?.queueNotifications).toEqual([]);
    expect(cdn?.forward).toEqual({ source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: ['prod-cdn-logs-333333333333'] }, object: { key: [{ wildcard: 'cloudfront/*.gz' }] } } });
    expect(alb?.policy[0]?.Resource).toEqual([
      'arn:aws:s3:::prod-alb-logs-333333333333/public/AWSLogs/333333333333/elasticloadbalancing/*',
      'arn:aws:s3:::prod-alb-logs-333333333333/internal/AWSLogs/333333333333/elasticloadbalancing/*',
    ]);
    expect(alb?.policy[1]?.Condition).toEqual({
      StringLike: { 's3:prefix': ['internal/AWSLogs/333333333333/elasticloadbalancing/*', 'public/AWSLogs/333333333333/elasticloadbalancing/*'] },
    });
  });

  it('management account: a reader role trusted by the worker and replay roles with the external id, and no bucket statement', () => {
    const plan = planSourceAccount(config, '444444444444');
    expect(plan.buckets[0]?.policy).toEqual([]);
    expect(plan.roles).toEqual([
      {
        roleArn: 'arn:aws:iam::444444444444:role/security-lake-billing-reader',
        roleName: 'security-lake-billing-reader',
        path: '/',
        externalId: 'security-lake-111111111111',
        trust: { Effect: 'Allow', Principal: { AWS: [WORKER, REPLAY] }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'security-lake-111111111111' } } },
        policy: [
          { Sid: 'ReadSourcePrefixes', Effect: 'Allow', Action: READ, Resource: ['arn:aws:s3:::payer-billing-reports/cur/*'] },
          { Sid: 'ListSource1', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::payer-billing-reports', Condition: { StringLike: { 's3:prefix': ['cur/*'] } } },
        ],
      },
    ]);
  });

  it('keeps a role path, decrypts with the keys of its sources, and has the key statement name the role when the key lives elsewhere', () => {
    const c = parseConfig({
      account: '111111111111',
      region: 'eu-west-1',
      sources: [
        {
          bucket: 'logs-a',
          account: '555555555555',
          roleArn: 'arn:aws:iam::555555555555:role/loglake/reader',
          externalId: 'ext-id-1',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:666666666666:key/k1',
        },
      ],
    });
    const [role] = planSourceAccount(c, '555555555555').roles;
    expect([role?.roleName, role?.path, role?.externalId, role?.trust.Condition]).toEqual(['reader', '/loglake/', 'ext-id-1', { StringEquals: { 'sts:ExternalId': 'ext-id-1' } }]);
    expect(role?.policy.at(-1)).toEqual({ Sid: 'DecryptSources', Effect: 'Allow', Action: 'kms:Decrypt', Resource: ['arn:aws:kms:eu-west-1:666666666666:key/k1'] });
    expect(planSourceAccount(c, '666666666666').keys[0]?.policy[0]?.Principal).toEqual({ AWS: 'arn:aws:iam::555555555555:role/loglake/reader' });
  });

  it('a whole-bucket source lists without a prefix condition', () => {
    const c = parseConfig({ account: '111111111111', region: 'eu-west-1', sources: [{ bucket: 'all-logs', account: '555555555555' }] });
    const [, list] = planSourceAccount(c, '555555555555').buckets[0]?.policy ?? [];
    expect(list).toEqual({ Sid: 'LoglakeLoglakeList', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/loglake-replay-eu-west-1' }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::all-logs' });
  });

  it('refuses an account without sources, naming the source accounts, and the central account', () => {
    expect(() => planSourceAccount(config, '999999999999')).toThrow(new OnboardError('the configuration has no source in account 999999999999; source accounts: 222222222222, 333333333333, 444444444444'));
    expect(() => planSourceAccount(config, '111111111111')).toThrow(/central deployment's own account/);
  });

  it('refuses two external ids for one role', () => {
    const role = 'arn:aws:iam::555555555555:role/reader';
    const c = parseConfig({
      account: '111111111111',
      region: 'eu-west-1',
      sources: [
        { bucket: 'logs-a', account: '555555555555', roleArn: role, externalId: 'one-id' },
        { bucket: 'logs-b', account: '555555555555', roleArn: role, externalId: 'other-id' },
      ],
    });
    expect(() => planSourceAccount(c, '555555555555')).toThrow(/give different externalIds \(one-id, other-id\)/);
  });
});

describe('parseConfig: sources read by role', () => {
  it('defaults roleArn and externalId to null', () => {
    expect(parseConfig({ sources: [{ bucket: 'acme-logs' }] }).sources[0]).toMatchObject({ roleArn: null, externalId: null });
  });

  it('refuses a malformed role ARN or external id, and an external id without a role', () => {
    const issues = (source: Record<string, unknown>): readonly string[] => {
      try {
        parseConfig({ sources: [{ bucket: 'acme-logs', ...source }] });
      } catch (e) {
        if (e instanceof LoglakeConfigError) return e.issues;
        throw e;
      }
      return [];
    };
    expect(issues({ roleArn: 'arn:aws:iam::12:role/x' })).toEqual(['sources[0].roleArn: must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "arn:aws:iam::12:role/x"']);
    expect(issues({ roleArn: 'arn:aws:iam::555555555555:role/x', externalId: 'a' })).toContain('sources[0].externalId: must be an external id (2-1224 letters, digits and +=,.@:/-), got "a"');
    expect(issues({ externalId: 'abc' })).toEqual(['sources[0].externalId: only applies with a roleArn']);
  });
});
