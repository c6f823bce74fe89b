/**
 * Shared setup of the infra tests: synthesize the real app (feature flags from `cdk.json`, the
 * cdk-nag plugin, CloudFormation validation) from a configuration object, with inline worker
 * code so no test but the bundling one pays for esbuild.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { flattenCfn } from '../../infra/nag.js';
import { createApp, type LoglakeStack } from '../../infra/stack.js';

/** Repository root, with a trailing slash. */
export const REPO = new URL('../../', import.meta.url);

/** The feature flags `cdk synth` runs with. */
export const CDK_CONTEXT: Record<string, unknown> = (
  JSON.parse(readFileSync(new URL('cdk.json', REPO), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * Time a synthesis may take: the CloudFormation validation of the first one in a process is
 * slow, and the machine is shared.
 */
export const SYNTH_TIMEOUT_MS = 240_000;

/** Stand-in worker code: the tests look at wiring, not at the handler. */
export const INLINE_CODE = lambda.Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });');

/** One synthesized deployment. */
export interface Synth {
  readonly stack: LoglakeStack;
  readonly template: Template;
  /** Resources of one CloudFormation type, by logical id. */
  resources(type: string): Array<[string, CfnResource]>;
}

/** The parts of a template resource the tests read. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/**
 * Synthesized deployments by configuration (as JSON), so a test process synthesizes each
 * configuration once: the infra test files share their workers (`isolate: false` for the infra
 * project in vitest.config.ts), and the tests only read the stack and its template.
 */
const synthesized = new Map<string, Synth>();

/** Synthesizes the app for `config` (given as CDK context `loglake`), failing on any cdk-nag finding; memoized per configuration. */
export function synth(config: unknown): Synth {
  const key = JSON.stringify(config);
  const known = synthesized.get(key);
  if (known !== undefined) return known;
  const s = synthFresh(config);
  synthesized.set(key, s);
  return s;
}

function synthFresh(config: unknown): Synth {
  const { stack } = createApp({
    context: { ...CDK_CONTEXT, loglake: config },
    workerCode: INLINE_CODE,
    replayCode: INLINE_CODE,
    rdsExportCode: INLINE_CODE,
    cwlogsCode: INLINE_CODE,
    outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')),
  });
  const template = Template.fromStack(stack);
  const all = template.toJSON().Resources as Record<string, CfnResource>;
  return {
    stack,
    template,
    resources: (type) => Object.entries(all).filter(([, r]) => r.Type === type),
  };
}

/** A CloudFormation value as one readable string: `<Bucket.Arn>/lake/*`, `<Queue>`. */
export const flat = (value: unknown): string => flattenCfn(value);

/** Logical id of the CloudFormation resource behind an L2 construct. */
export function idOf(s: Synth, construct: IConstruct): string {
  return s.stack.resolve(s.stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

/** Logical id of the only resource of `type` whose id starts with `prefix`. */
export function logicalId(s: Synth, type: string, prefix: string): string {
  const ids = s.resources(type).map(([id]) => id).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

/** A policy statement as the tests read it. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Actions of a statement as a list. */
export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/** Resources of a statement as flat strings. */
export function resourcesOf(s: Statement): string[] {
  const r = s.Resource;
  return (Array.isArray(r) ? r : [r]).map(flat);
}

/** Every statement of the identity policies attached to a role. */
export function roleStatements(s: Synth, roleId: string): Statement[] {
  return s
    .resources('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => flat(r) === `<${roleId}>`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Smallest useful deployment: one same-account CloudTrail bucket, every default. */
export const MINIMAL = {
  sources: [{ bucket: 'acme-cloudtrail', prefixes: ['AWSLogs/'], format: 'cloudtrail' }],
};

/** Every option that changes the template: KMS, Object Lock, raw archive, all notification paths. */
export const FULL = {
  name: 'full-lake',
  tags: { team: 'security' },
  sources: [
    { bucket: 'acme-cloudtrail', prefixes: ['AWSLogs/o-abc123/'], format: 'cloudtrail', notification: 'cloudtrail-sns', topicArn: 'arn:aws:sns:eu-west-1:111111111111:trail', kmsKeyArn: 'arn:aws:kms:eu-west-1:222222222222:key/abcd-1234' },
    { bucket: 'acme-alb', prefixes: ['prod/', 'staging/'], format: 'alb' },
    { bucket: 'acme-mixed', format: 'auto' },
    { bucket: 'partner-alb', account: '333333333333', prefixes: ['AWSLogs/333333333333/'], format: 'alb' },
    { bucket: 'acme-config', prefixes: ['config/'], format: 'auto', notification: 'config-sns', topicArn: 'arn:aws:sns:eu-west-1:111111111111:config' },
    { bucket: 'acme-access', prefixes: ['logs/'], format: 's3access', notification: 's3-sns', topicArn: 'arn:aws:sns:eu-west-1:111111111111:access' },
    { bucket: 'acme-access', prefixes: ['other/'], format: 's3access', notification: 's3-sns', topicArn: 'arn:aws:sns:eu-west-1:111111111111:access' },
    { bucket: 'acme-cdn', prefixes: ['cf/'], format: 'cloudfront', notification: 'eventbridge' },
    { bucket: 'acme-billing', prefixes: ['cur/', 'dbr/'], format: 'auto', notification: 'eventbridge' },
    { bucket: 'partner-cdn', account: '444444444444', prefixes: ['cdn/'], format: 'cloudfront', notification: 'eventbridge' },
  ],
  lake: {
    kms: true,
    archiveRaw: true,
    retentionDays: 2555,
    infrequentAccessAfterDays: 60,
    glacierInstantAfterDays: 400,
    rawGlacierAfterDays: 30,
    rawRetentionDays: 3000,
    noncurrentVersionRetentionDays: 10,
    objectLock: { mode: 'COMPLIANCE', days: 365 },
    partitionsFrom: '2016-01-01',
  },
  worker: { timeoutSeconds: 600, batchWindowSeconds: 20, replayMaxConcurrency: 3, ingestMaxConcurrency: 40, reservedConcurrency: 50, maxReceiveCount: 7 },
  athena: { maxScannedMiBPerQuery: 2048, resultRetentionDays: 7 },
  alarms: { email: 'ops@example.com', maxMessageAgeSeconds: 900, maxRejectedPercent: 0.5 },
};
