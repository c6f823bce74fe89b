import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { MAX_RULES_BYTES, routingRulesFor, workerThreads } from '../../infra/worker.js';
import { createApp } from '../../infra/stack.js';
import { parseConfig } from '../../infra/config.js';
import { parseRules } from '../../pipeline/route/rules.js';
import { CDK_CONTEXT, FULL, INLINE_CODE, MINIMAL, actionsOf, flat, idOf, resourcesOf, roleStatements, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

interface Ids {
  fn: string;
  role: string;
  bucket: string;
  ingest: string;
  replay: string;
  logs: string;
}

function idsOf(s: Synth): Ids {
  return {
    fn: idOf(s, s.stack.worker.function),
    role: idOf(s, s.stack.worker.role),
    bucket: idOf(s, s.stack.storage.bucket),
    ingest: idOf(s, s.stack.queues.ingest),
    replay: idOf(s, s.stack.queues.replay),
    logs: s.resources('AWS::Logs::LogGroup').map(([id]) => id).find((id) => id.startsWith('WorkerLogs')) as string,
  };
}

const mapping = (s: Synth, queueId: string): CfnResource => {
  const found = s.resources('AWS::Lambda::EventSourceMapping').filter(([, m]) => flat(m.Properties.EventSourceArn) === `<${queueId}.Arn>`);
  expect(found).toHaveLength(1);
  return found[0]?.[1] as CfnResource;
};

/** Statements of the worker role that grant an S3 action. */
const s3Statements = (statements: Statement[]): Statement[] => statements.filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));

/** Every resource an action is allowed on, across statements. */
const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).includes(action)).flatMap(resourcesOf).sort();

const newestNodeRuntime = (): string =>
  lambda.Runtime.ALL.map((r) => r.name)
    .filter((n) => /^nodejs\d+\.x$/.test(n))
    .sort((a, b) => Number.parseInt(a.slice(6), 10) - Number.parseInt(b.slice(6), 10))
    .at(-1) as string;

describe('IngestWorker with the defaults', () => {
  let s: Synth;
  let ids: Ids;
  let fn: CfnResource;
  let statements: Statement[];
  beforeAll(() => {
    s = synth(MINIMAL);
    ids = idsOf(s);
    fn = s.template.toJSON().Resources[ids.fn] as CfnResource;
    statements = roleStatements(s, ids.role);
  }, SYNTH_TIMEOUT_MS);

  it('runs on arm64 with the newest Node.js runtime the installed aws-cdk-lib offers', () => {
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Runtime).toBe(newestNodeRuntime());
  });

  it('uses the documented memory and timeout, and reserves what its two event sources may use (10 + 2)', () => {
    expect(fn.Properties).toMatchObject({ MemorySize: 1024, Timeout: 300, EphemeralStorage: { Size: 2048 } });
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(12);
  });

  it('tells the worker its bucket, continuation queue and switches through the shared variable names', () => {
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(flat(env[INGEST_ENV.lakeBucket])).toBe(`<${ids.bucket}>`);
    expect(flat(env[INGEST_ENV.continuationQueueUrl])).toBe(`<${ids.replay}>`);
    expect(env[INGEST_ENV.archiveRaw]).toBe('false');
    expect(env[INGEST_ENV.keepRaw]).toBe('true');
    expect(env[INGEST_ENV.keepSelfTraffic]).toBe('false');
    // 1,024 MB is 0.58 of a vCPU: no worker thread.
    expect(env[INGEST_ENV.threads]).toBe('1');
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps --max-semi-space-size=16');
    expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'loglake', POWERTOOLS_METRICS_NAMESPACE: 'Loglake', POWERTOOLS_LOG_LEVEL: 'INFO' });
  });

  it('passes the pinned formats as routing rules the pipeline accepts', () => {
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    const rules = parseRules(env[INGEST_ENV.routingRules] as string, INGEST_ENV.routingRules);
    expect(rules.rules.map((r) => [r.bucket, r.prefix, r.format])).toEqual([['acme-cloudtrail', 'AWSLogs/', 'cloudtrail']]);
  });

  it('logs to its own log group with a 30-day retention', () => {
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: ids.logs } });
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('consumes both queues with partial batch responses', () => {
    for (const q of [ids.ingest, ids.replay]) expect(mapping(s, q).Properties.FunctionResponseTypes, q).toEqual(['ReportBatchItemFailures']);
  });

  it('batches ingest messages by ten within a five-second window, capped at the floor of 10 for one source', () => {
    expect(mapping(s, ids.ingest).Properties).toMatchObject({ BatchSize: 10, MaximumBatchingWindowInSeconds: 5 });
    expect(mapping(s, ids.ingest).Properties.ScalingConfig).toEqual({ MaximumConcurrency: 10 });
  });

  it('caps replay at two concurrent invocations so replays never starve live ingestion', () => {
    expect(mapping(s, ids.replay).Properties).toMatchObject({ BatchSize: 10, ScalingConfig: { MaximumConcurrency: 2 } });
  });

  it('has an own role with no managed policy', () => {
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] },
    });
    expect((s.template.toJSON().Resources[ids.role] as CfnResource).Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('allows nothing on every resource but cloudtrail:ListPublicKeys, which takes no other resource', () => {
    expect(statements.filter((st) => resourcesOf(st).includes('*'))).toEqual([{ Sid: 'ListCloudTrailPublicKeys', Effect: 'Allow', Action: 'cloudtrail:ListPublicKeys', Resource: '*' }]);
  });

  it('names every S3 action, never a wildcard action', () => {
    const actions = s3Statements(statements).flatMap(actionsOf);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => /Retention|LegalHold|Acl|Policy|Lifecycle/.test(a))).toEqual([]);
  });

  it('reads sources only under their configured prefixes', () => {
    expect(resourcesFor(statements, 's3:GetObject').filter((r) => !r.includes(ids.bucket))).toEqual([
      'arn:<AWS::Partition>:s3:::acme-cloudtrail/AWSLogs/*',
    ]);
    expect(resourcesFor(statements, 's3:GetObjectVersion')).toEqual(['arn:<AWS::Partition>:s3:::acme-cloudtrail/AWSLogs/*']);
  });

  it('writes only under lake/, errors/, manifests/, assemblies/ and integrity/ of the central bucket', () => {
    const lake = (p: string): string => `<${ids.bucket}.Arn>/${p}*`;
    expect(resourcesFor(statements, 's3:PutObject')).toEqual([lake('assemblies/'), lake('errors/'), lake('integrity/'), lake('lake/'), lake('manifests/')]);
    expect(resourcesFor(statements, 's3:AbortMultipartUpload')).toEqual([lake('assemblies/'), lake('errors/'), lake('integrity/'), lake('lake/'), lake('manifests/')]);
    // A re-run replaces its outputs; a published CUR version replaces the previous one and drops its staging;
    // a log file's arrival settles its pending integrity entry.
    expect(resourcesFor(statements, 's3:DeleteObject')).toEqual([lake('assemblies/'), lake('errors/'), lake('integrity/'), lake('lake/')]);
    expect(resourcesFor(statements, 's3:GetObject').filter((r) => r.includes(ids.bucket))).toEqual([lake('assemblies/'), lake('integrity/'), lake('manifests/')]);
    expect(resourcesFor(statements, 's3:PutObjectTagging')).toEqual([]);
    expect(resourcesFor(statements, 's3:ListBucket')).toEqual([`<${ids.bucket}.Arn>`]);
  });

  it('grants S3 actions on nothing but the central bucket and the source prefixes', () => {
    const allowed = new Set([`<${ids.bucket}.Arn>`, 'arn:<AWS::Partition>:s3:::acme-cloudtrail/AWSLogs/*']);
    for (const r of s3Statements(statements).flatMap(resourcesOf)) {
      expect(allowed.has(r) || r.startsWith(`<${ids.bucket}.Arn>/`), r).toBe(true);
    }
  });

  it('sends only to the replay queue, for continuations', () => {
    expect(resourcesFor(statements, 'sqs:SendMessage')).toEqual([`<${ids.replay}.Arn>`]);
    expect(resourcesFor(statements, 'sqs:ReceiveMessage')).toEqual([`<${ids.ingest}.Arn>`, `<${ids.replay}.Arn>`].sort());
  });

  it('has no KMS permission when nothing uses a customer key', () => {
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });
});

describe('IngestWorker with the raw archive, source keys and concurrency limits', () => {
  let s: Synth;
  let ids: Ids;
  let fn: CfnResource;
  let statements: Statement[];
  beforeAll(() => {
    s = synth(FULL);
    ids = idsOf(s);
    fn = s.template.toJSON().Resources[ids.fn] as CfnResource;
    statements = roleStatements(s, ids.role);
  }, SYNTH_TIMEOUT_MS);

  it('reserves the configured concurrency and caps both consumers', () => {
    expect(fn.Properties).toMatchObject({ ReservedConcurrentExecutions: 50, Timeout: 600 });
    expect(mapping(s, ids.ingest).Properties).toMatchObject({ MaximumBatchingWindowInSeconds: 20, ScalingConfig: { MaximumConcurrency: 40 } });
    expect(mapping(s, ids.replay).Properties).toMatchObject({ ScalingConfig: { MaximumConcurrency: 3 } });
  });

  it('reads exactly the configured prefixes of every source, in any account', () => {
    const expected = [
      'acme-cloudtrail/AWSLogs/o-abc123/*',
      'acme-alb/prod/*',
      'acme-alb/staging/*',
      'acme-mixed/*',
      'partner-alb/AWSLogs/333333333333/*',
      'acme-config/config/*',
      'acme-access/logs/*',
      'acme-access/other/*',
      'acme-cdn/cf/*',
      'acme-billing/cur/*',
      'acme-billing/dbr/*',
      'partner-cdn/cdn/*',
    ].map((p) => `arn:<AWS::Partition>:s3:::${p}`);
    expect(resourcesFor(statements, 's3:GetObject').filter((r) => !r.includes(ids.bucket))).toEqual(expected.sort());
    // CopyObject to raw/ copies tags, which needs tag reads on the source.
    expect(resourcesFor(statements, 's3:GetObjectTagging')).toEqual(expected.sort());
  });

  it('also writes raw/ copies, with their tags', () => {
    expect(resourcesFor(statements, 's3:PutObject')).toContain(`<${ids.bucket}.Arn>/raw/*`);
    expect(resourcesFor(statements, 's3:PutObjectTagging')).toEqual([`<${ids.bucket}.Arn>/raw/*`]);
    expect(resourcesFor(statements, 's3:DeleteObject')).not.toContain(`<${ids.bucket}.Arn>/raw/*`);
    // A copy is one request: there is no multipart upload to abort.
    expect(resourcesFor(statements, 's3:AbortMultipartUpload')).not.toContain(`<${ids.bucket}.Arn>/raw/*`);
    expect((fn.Properties.Environment as { Variables: Record<string, string> }).Variables[INGEST_ENV.archiveRaw]).toBe('true');
  });

  it('decrypts with the configured source key and uses the lake key for nothing more than data keys', () => {
    const key = `<${idOf(s, s.stack.storage.key!)}.Arn>`;
    expect(resourcesFor(statements, 'kms:Decrypt')).toEqual(['arn:aws:kms:eu-west-1:222222222222:key/abcd-1234', key].sort());
    expect(resourcesFor(statements, 'kms:GenerateDataKey')).toEqual([key]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('kms:') && a.includes('*'))).toEqual([]);
  });

  it('routes only the pinned-format sources by rule, one rule per prefix', () => {
    const rules = parseRules((fn.Properties.Environment as { Variables: Record<string, string> }).Variables[INGEST_ENV.routingRules] as string, 'env');
    expect(rules.rules.map((r) => `${r.bucket}/${r.prefix} ${r.format}`)).toEqual([
      'acme-cloudtrail/AWSLogs/o-abc123/ cloudtrail',
      'acme-alb/prod/ alb',
      'acme-alb/staging/ alb',
      'partner-alb/AWSLogs/333333333333/ alb',
      'acme-access/logs/ s3access',
      'acme-access/other/ s3access',
      'acme-cdn/cf/ cloudfront',
      'partner-cdn/cdn/ cloudfront',
    ]);
  });
});

describe('workerThreads', () => {
  it('starts one thread per full vCPU the memory buys (1,769 MB each), at least one', () => {
    // 10,240 MB buys 5.8 vCPUs: five threads, the rest left to the main thread's reading.
    expect([128, 1024, 1769, 3537, 3538, 5307, 7076, 10240].map(workerThreads)).toEqual([1, 1, 1, 1, 2, 3, 4, 5]);
  });
});

describe('routingRulesFor', () => {
  it('pins a parser id as configured, so the other parsers of its source stay out', () => {
    const config = { sources: [{ bucket: 'acme-billing', prefixes: ['dbr/'], format: 'billing-dbr' }, { bucket: 'acme-billing', prefixes: ['cur/'], format: 'billing' }] };
    expect(JSON.parse(routingRulesFor(parseConfig(config).sources) ?? '{}')).toEqual({
      rules: [
        { bucket: 'acme-billing', prefix: 'dbr/', format: 'billing-dbr' },
        { bucket: 'acme-billing', prefix: 'cur/', format: 'billing' },
      ],
    });
  });

  it('leaves the variable out when every source is auto', () => {
    expect(routingRulesFor(parseConfig({ sources: [{ bucket: 'acme-logs' }] }).sources)).toBeUndefined();
  });

  it('refuses rules that would not fit in the Lambda environment, before synthesis', () => {
    const prefixes = Array.from({ length: 60 }, (_, i) => `AWSLogs/${String(i).padStart(12, '0')}/elasticloadbalancing/`);
    const config = { sources: [{ bucket: 'acme-alb-logs', prefixes, format: 'alb' }] };
    expect((routingRulesFor(parseConfig(config).sources) ?? '').length).toBeGreaterThan(MAX_RULES_BYTES);
    expect(() => createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE })).toThrow(
      /^routing rules for the pinned-format sources take \d+ bytes, more than the 3072 the Lambda environment leaves them/,
    );
  });
});
