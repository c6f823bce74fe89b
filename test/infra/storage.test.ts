import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { lakeAreas } from '../../schema/lake-layout.js';
import { FULL, MINIMAL, flat, logicalId, synth, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

interface Rule {
  Id: string;
  Prefix?: string;
  Status: string;
  Transitions?: Array<{ StorageClass: string; TransitionInDays: number }>;
  ExpirationInDays?: number;
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  ExpiredObjectDeleteMarker?: boolean;
}

const rulesOf = (s: Synth, id: string): Rule[] =>
  ((s.template.toJSON().Resources[id].Properties.LifecycleConfiguration as { Rules: Rule[] }).Rules);
const ruleFor = (rules: Rule[], prefix: string | undefined): Rule | undefined => rules.find((r) => r.Prefix === prefix);

/** Bucket policy statements of the bucket with this logical id. */
function bucketPolicy(s: Synth, bucketId: string): Statement[] {
  const [, policy] = s.resources('AWS::S3::BucketPolicy').find(([, p]) => flat(p.Properties.Bucket) === `<${bucketId}>`) ?? [];
  if (!policy) throw new Error(`no bucket policy for ${bucketId}`);
  return (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

const BLOCK_ALL = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

describe('LakeStorage with the defaults', () => {
  let s: Synth;
  let central: string;
  let logs: string;
  let results: string;
  beforeAll(() => {
    s = synth(MINIMAL);
    central = logicalId(s, 'AWS::S3::Bucket', 'StorageBucket');
    logs = logicalId(s, 'AWS::S3::Bucket', 'StorageAccessLogs');
    results = logicalId(s, 'AWS::S3::Bucket', 'StorageQueryResults');
  }, SYNTH_TIMEOUT_MS);

  it('creates exactly the central, access-log and query-results buckets, and no key', () => {
    expect(s.resources('AWS::S3::Bucket')).toHaveLength(3);
    s.template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('blocks public access, enforces bucket-owner ownership and retains every bucket', () => {
    for (const id of [central, logs, results]) {
      const r = s.template.toJSON().Resources[id];
      expect(r.Properties.PublicAccessBlockConfiguration, id).toEqual(BLOCK_ALL);
      expect(r.Properties.OwnershipControls, id).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect([r.DeletionPolicy, r.UpdateReplacePolicy], id).toEqual(['Retain', 'Retain']);
    }
  });

  it('encrypts every bucket with SSE-S3', () => {
    for (const id of [central, logs, results]) {
      expect(s.template.toJSON().Resources[id].Properties.BucketEncryption, id).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('denies every request without TLS on every bucket and its objects', () => {
    for (const id of [central, logs, results]) {
      const deny = bucketPolicy(s, id).find((st) => st.Effect === 'Deny');
      expect(deny, id).toMatchObject({ Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
      expect(
        (deny?.Resource as unknown[]).map(flat),
        id,
      ).toEqual([`<${id}.Arn>`, `<${id}.Arn>/*`]);
    }
  });

  it('versions the central bucket and logs its access to the access-log bucket', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: logs }, LogFilePrefix: 'central/' },
    });
    expect(s.template.toJSON().Resources[results].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logs },
      LogFilePrefix: 'query-results/',
    });
  });

  it('lets only the S3 logging service write to the access-log bucket, from our own buckets', () => {
    const allow = bucketPolicy(s, logs).filter((st) => st.Effect === 'Allow');
    for (const st of allow) expect(st).toMatchObject({ Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } });
    const sources = allow.map((st) => flat(st.Condition?.ArnLike?.['aws:SourceArn'])).sort();
    expect(sources).toEqual([`<${central}.Arn>`, `<${results}.Arn>`].sort());
  });

  it('moves lake/ and errors/ to Standard-IA at 90 days and Glacier Instant Retrieval at 365, never expiring them', () => {
    const rules = rulesOf(s, central);
    for (const prefix of ['lake/', 'errors/']) {
      expect(ruleFor(rules, prefix), prefix).toEqual({
        Id: `${prefix.slice(0, -1)}-tiers`,
        Prefix: prefix,
        Status: 'Enabled',
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
        ],
      });
    }
    expect(ruleFor(rules, 'manifests/')).toBeUndefined();
    expect(ruleFor(rules, 'assemblies/')).toBeUndefined();
    expect(ruleFor(rules, 'raw/')).toBeUndefined();
  });

  it('never moves queryable data to a Glacier class Athena cannot read', () => {
    const classes = rulesOf(s, central).flatMap((r) => (r.Transitions ?? []).map((t) => `${r.Prefix}:${t.StorageClass}`));
    expect(classes.filter((c) => /^(lake|errors)\/:(GLACIER|DEEP_ARCHIVE)$/.test(c))).toEqual([]);
  });

  it('cleans up stalled multipart uploads, old versions and expired delete markers bucket-wide', () => {
    expect(ruleFor(rulesOf(s, central), undefined)).toEqual({
      Id: 'housekeeping',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      ExpiredObjectDeleteMarker: true,
    });
  });

  it('expires access logs after a year and query results after 30 days', () => {
    expect(rulesOf(s, logs)[0]).toMatchObject({ ExpirationInDays: 365 });
    expect(rulesOf(s, results)[0]).toMatchObject({ ExpirationInDays: 30 });
  });

  it('has no Object Lock unless configured', () => {
    expect(s.template.toJSON().Resources[central].Properties.ObjectLockEnabled).toBeUndefined();
  });
});

describe('LakeStorage with KMS, Object Lock, retention and the raw archive', () => {
  let s: Synth;
  let central: string;
  let key: string;
  beforeAll(() => {
    s = synth(FULL);
    central = logicalId(s, 'AWS::S3::Bucket', 'StorageBucket');
    key = logicalId(s, 'AWS::KMS::Key', 'StorageKey');
  }, SYNTH_TIMEOUT_MS);

  it('encrypts the central and results buckets with the rotating customer key and bucket keys', () => {
    const kms = {
      ServerSideEncryptionConfiguration: [
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } } },
      ],
    };
    expect(s.template.toJSON().Resources[central].Properties.BucketEncryption).toEqual(kms);
    expect(s.template.toJSON().Resources[logicalId(s, 'AWS::S3::Bucket', 'StorageQueryResults')].Properties.BucketEncryption).toEqual(kms);
    s.template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  it('keeps the access-log bucket on SSE-S3, the only encryption log delivery supports', () => {
    expect(s.template.toJSON().Resources[logicalId(s, 'AWS::S3::Bucket', 'StorageAccessLogs')].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('locks new objects in the configured mode for the configured days', () => {
    expect(s.template.toJSON().Resources[central].Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
  });

  it('expires lake/, errors/ and the bookkeeping areas after the retention with the configured tiers', () => {
    const rules = rulesOf(s, central);
    for (const prefix of ['lake/', 'errors/']) {
      expect(ruleFor(rules, prefix), prefix).toMatchObject({
        ExpirationInDays: 2555,
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
          { StorageClass: 'GLACIER_IR', TransitionInDays: 400 },
        ],
      });
    }
    expect(ruleFor(rules, 'manifests/')).toEqual({ Id: 'manifests-expiry', Prefix: 'manifests/', Status: 'Enabled', ExpirationInDays: 2555 });
    // CUR versions that never complete leave staged files behind; they must not outlive the lake either.
    expect(ruleFor(rules, 'assemblies/')).toEqual({ Id: 'assemblies-expiry', Prefix: 'assemblies/', Status: 'Enabled', ExpirationInDays: 2555 });
    // Replay run records and control objects are bookkeeping too.
    expect(ruleFor(rules, 'replays/')).toEqual({ Id: 'replays-expiry', Prefix: 'replays/', Status: 'Enabled', ExpirationInDays: 2555 });
    expect(ruleFor(rules, 'replay-control/')).toEqual({ Id: 'replayControl-expiry', Prefix: 'replay-control/', Status: 'Enabled', ExpirationInDays: 2555 });
    expect(ruleFor(rules, undefined)).toMatchObject({ NoncurrentVersionExpiration: { NoncurrentDays: 10 } });
  });

  it('archives raw/ to Glacier Flexible Retrieval and expires it separately', () => {
    expect(ruleFor(rulesOf(s, central), 'raw/')).toEqual({
      Id: 'raw-archive',
      Prefix: 'raw/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }],
      ExpirationInDays: 3000,
    });
  });

  it('has one lifecycle rule per area of the lake layout and the bucket-wide housekeeping, nothing else', () => {
    const prefixes = rulesOf(s, central).map((r) => r.Prefix ?? '(bucket)').sort();
    expect(prefixes).toEqual(['(bucket)', ...lakeAreas(true).map((a) => a.prefix)].sort());
  });

  it('tags every bucket with the configured tags', () => {
    s.template.allResourcesProperties('AWS::S3::Bucket', { Tags: Match.arrayWith([{ Key: 'team', Value: 'security' }]) });
  });
});
