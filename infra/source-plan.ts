/**
 * What onboarding one source account takes: for the configuration's sources in that account,
 * the notifications of its buckets, the EventBridge rules forwarding to the central bus, the
 * reader roles it hosts, and the statements its bucket, key and topic policies must hold.
 *
 * Plain data without aws-cdk-lib: `infra/source-stack.ts` builds its resources from it and
 * `loglake onboard` prints it, so what the command says is what the stack creates.
 */
import { centralRoleName, listingCondition, partitionOf, prefixObjectArns, sourceReadActions } from './central-access.js';
import type { LoglakeConfig, NotificationType, SourceConfig } from './config.js';
import { objectCreatedPattern, suffixOf, type ObjectCreatedPattern } from './source-filters.js';

/** Id of the per-account stack (also its stack name and template file). */
export const sourceStackId = (name: string, account: string): string => `${name}-source-${account}`;
/** Id of the StackSet template's stack: `cdk.out/<id>.template.json`. */
export const stackSetId = (name: string): string => `${name}-source-stackset`;

/** Parameter names of the source stacks. */
export const SOURCE_PARAMETERS = {
  /** The central ingest queue (output `IngestQueueArn` of the central stack), for `s3` notifications. */
  ingestQueueArn: 'IngestQueueArn',
  /** The central account, in the StackSet template only. */
  centralAccount: 'CentralAccount',
} as const;

/** A policy statement in IAM's JSON form. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow';
  readonly Principal?: { readonly AWS: string | readonly string[] };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** The central deployment as another account sees it. */
export interface Central {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly workerRoleArn: string;
  readonly replayRoleArn: string;
  /** The default event bus forwarded `Object Created` events go to. */
  readonly busArn: string;
}

/** A configuration that cannot be onboarded: no central account or region, or no source in the account. */
export class OnboardError extends Error {
  override readonly name = 'OnboardError';
}

/**
 * The central deployment of `config`. `place` replaces the account, region and partition (the
 * StackSet template passes CloudFormation references); else the configuration must pin them.
 */
export function centralOf(config: LoglakeConfig, place?: { account: string; region: string; partition: string }): Central {
  if (place === undefined && (config.account === null || config.region === null)) {
    throw new OnboardError(
      `the configuration pins no ${config.account === null ? 'account' : 'region'}: set the central deployment's "account" and "region" so source accounts can name its roles, queue and event bus`,
    );
  }
  const account = place?.account ?? (config.account as string);
  const region = place?.region ?? (config.region as string);
  const partition = place?.partition ?? partitionOf(region);
  const role = (fn: 'worker' | 'replay'): string => `arn:${partition}:iam::${account}:role/${centralRoleName(config.name, fn, region)}`;
  return {
    name: config.name,
    account,
    region,
    partition,
    workerRoleArn: role('worker'),
    replayRoleArn: role('replay'),
    busArn: `arn:${partition}:events:${region}:${account}:event-bus/default`,
  };
}

/** An S3 event notification of a bucket to the central ingest queue. */
export interface QueueNotification {
  readonly prefix: string;
  readonly suffix: string | null;
}

/** What one bucket of the account gets. */
export interface BucketPlan {
  readonly bucket: string;
  /** The configured sources of this bucket. */
  readonly sources: readonly SourceConfig[];
  /** `s3` sources: `s3:ObjectCreated:*` notifications to the ingest queue, one per prefix. */
  readonly queueNotifications: readonly QueueNotification[];
  /** `eventbridge` sources: the bucket's EventBridge notifications turned on and one rule forwarding this pattern to the central bus. */
  readonly forward: ObjectCreatedPattern | null;
  /** Statements the bucket's policy must hold (a bucket has one policy: merged by its owner, never replaced by the stack). */
  readonly policy: readonly PolicyStatement[];
}

/** A key whose policy must let a reader decrypt. */
export interface KeyPlan {
  readonly keyArn: string;
  readonly policy: readonly PolicyStatement[];
}

/** A topic the ingest queue subscribes to, whose policy must let the central account subscribe. */
export interface TopicPlan {
  readonly topicArn: string;
  readonly notification: NotificationType;
  readonly policy: readonly PolicyStatement[];
}

/** A role of the account the central worker assumes to read sources (`roleArn`), created by the source stack. */
export interface ReaderRolePlan {
  readonly roleArn: string;
  readonly roleName: string;
  /** IAM path, `/` unless the ARN has one. */
  readonly path: string;
  readonly externalId: string | null;
  /** Who may assume it: the central worker and replay roles, with the external id. */
  readonly trust: PolicyStatement;
  /** Its identity policy: read and list the sources that name it, decrypt with their keys. */
  readonly policy: readonly PolicyStatement[];
}

/** Everything onboarding one account takes. */
export interface SourceAccountPlan {
  readonly account: string;
  readonly central: Central;
  readonly buckets: readonly BucketPlan[];
  readonly keys: readonly KeyPlan[];
  readonly topics: readonly TopicPlan[];
  readonly roles: readonly ReaderRolePlan[];
}

/** The account of an ARN (`arn:partition:service:region:account:…`); '' for S3 and IAM's regionless form is not special-cased: IAM ARNs carry it too. */
const accountOfArn = (arn: string): string => arn.split(':')[4] ?? '';
/** The region of an ARN. */
const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

/** A statement id: IAM allows letters and digits only. */
const sid = (central: Central, what: string): string => `Loglake${central.name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}${what}`;

/** The principal reading a source: its reader role, else the central worker's role. */
const readerOf = (src: SourceConfig, central: Central): string => src.roleArn ?? central.workerRoleArn;

/** Every account other than the central one the configuration touches: source buckets, reader roles, topics. */
export function sourceAccounts(config: LoglakeConfig): string[] {
  const accounts = new Set<string>();
  for (const src of config.sources) {
    if (src.account !== null) accounts.add(src.account);
    if (src.roleArn !== null) accounts.add(accountOfArn(src.roleArn));
    if (src.topicArn !== null) accounts.add(accountOfArn(src.topicArn));
  }
  if (config.account !== null) accounts.delete(config.account);
  return [...accounts].sort();
}

/** The statements a bucket's policy needs for the sources of it read from another account. */
function bucketStatements(bucket: string, sources: readonly SourceConfig[], account: string, central: Central, archiveRaw: boolean): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  const readers = new Map<string, string[]>();
  for (const src of sources) {
    const reader = readerOf(src, central);
    // A reader role of the bucket's own account reads by its identity policy alone.
    if (accountOfArn(reader) === account) continue;
    readers.set(reader, [...(readers.get(reader) ?? []), ...src.prefixes]);
  }
  let n = 0;
  for (const [reader, prefixes] of readers) {
    const suffix = n++ === 0 ? '' : String(n);
    statements.push({ Sid: sid(central, `Read${suffix}`), Effect: 'Allow', Principal: { AWS: reader }, Action: sourceReadActions(archiveRaw), Resource: prefixObjectArns(central.partition, bucket, prefixes) });
  }
  // The replay job lists every source (replays, polls) with its own role.
  const listers = sources.filter((src) => src.roleArn === null);
  if (listers.length > 0) {
    const condition = listingCondition(listers.flatMap((s) => s.prefixes));
    statements.push({
      Sid: sid(central, 'List'),
      Effect: 'Allow',
      Principal: { AWS: central.replayRoleArn },
      Action: 's3:ListBucket',
      Resource: `arn:${central.partition}:s3:::${bucket}`,
      ...(condition === null ? {} : { Condition: condition }),
    });
  }
  return statements;
}

/** A key policy statement: decrypt for a reader, only when S3 asks on its behalf. */
function keyStatement(keyArn: string, readers: readonly string[], central: Central): PolicyStatement {
  return {
    Sid: sid(central, 'Decrypt'),
    Effect: 'Allow',
    Principal: { AWS: readers.length === 1 ? (readers[0] as string) : [...readers] },
    Action: 'kms:Decrypt',
    // In a key policy, "*" is the key itself.
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': `s3.${regionOfArn(keyArn)}.amazonaws.com` } },
  };
}

/** Statement id of a reader role's object reads, whose resources end in the prefixes' `*`. */
export const READER_READ_SID = 'ReadSourcePrefixes';

function readerRole(roleArn: string, sources: readonly SourceConfig[], central: Central, archiveRaw: boolean): ReaderRolePlan {
  const resource = roleArn.split(':').slice(5).join(':').replace(/^role/, '');
  const cut = resource.lastIndexOf('/');
  const externalIds = [...new Set(sources.map((s) => s.externalId))];
  if (externalIds.length > 1) throw new OnboardError(`sources naming role ${roleArn} give different externalIds (${externalIds.join(', ')}); one role has one trust policy`);
  const externalId = externalIds[0] ?? null;
  const byBucket = new Map<string, string[]>();
  for (const s of sources) byBucket.set(s.bucket, [...(byBucket.get(s.bucket) ?? []), ...s.prefixes]);
  const policy: PolicyStatement[] = [
    { Sid: READER_READ_SID, Effect: 'Allow', Action: sourceReadActions(archiveRaw), Resource: [...byBucket].flatMap(([b, p]) => prefixObjectArns(central.partition, b, p)) },
    ...[...byBucket].map(([bucket, prefixes], i): PolicyStatement => {
      const condition = listingCondition(prefixes);
      return { Sid: `ListSource${i + 1}`, Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:${central.partition}:s3:::${bucket}`, ...(condition === null ? {} : { Condition: condition }) };
    }),
  ];
  const keys = [...new Set(sources.flatMap((s) => (s.kmsKeyArn ? [s.kmsKeyArn] : [])))];
  if (keys.length > 0) policy.push({ Sid: 'DecryptSources', Effect: 'Allow', Action: 'kms:Decrypt', Resource: keys });
  return {
    roleArn,
    roleName: resource.slice(cut + 1),
    path: cut <= 0 ? '/' : `${resource.slice(0, cut)}/`,
    externalId,
    trust: {
      Effect: 'Allow',
      Principal: { AWS: [central.workerRoleArn, central.replayRoleArn] },
      Action: 'sts:AssumeRole',
      ...(externalId !== null ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
    },
    policy,
  };
}

/**
 * The plan of one account: what its stack creates and which statements its owner merges.
 * Throws {@link OnboardError} when the configuration has nothing in that account.
 */
export function planSourceAccount(config: LoglakeConfig, account: string, central: Central = centralOf(config)): SourceAccountPlan {
  if (account === config.account) throw new OnboardError(`account ${account} is the central deployment's own account: its sources are set up by the central stack`);
  const inAccount = config.sources.filter((s) => s.account === account);
  const archiveRaw = config.lake.archiveRaw;

  const byBucket = new Map<string, SourceConfig[]>();
  for (const src of inAccount) byBucket.set(src.bucket, [...(byBucket.get(src.bucket) ?? []), src]);
  const buckets = [...byBucket].map(([bucket, sources]): BucketPlan => {
    const queued = sources.filter((s) => s.notification === 's3');
    const forwarded = sources.filter((s) => s.notification === 'eventbridge');
    return {
      bucket,
      sources,
      queueNotifications: queued.flatMap((s) => s.prefixes.map((prefix) => ({ prefix, suffix: suffixOf(s.format) }))),
      forward: forwarded.length > 0 ? objectCreatedPattern(bucket, forwarded) : null,
      policy: bucketStatements(bucket, sources, account, central, archiveRaw),
    };
  });

  // Keys of this account, for every source whose reader is another account's principal.
  const keyReaders = new Map<string, Set<string>>();
  for (const src of config.sources) {
    if (src.kmsKeyArn === null || accountOfArn(src.kmsKeyArn) !== account) continue;
    const reader = readerOf(src, central);
    if (accountOfArn(reader) === account) continue;
    keyReaders.set(src.kmsKeyArn, (keyReaders.get(src.kmsKeyArn) ?? new Set()).add(reader));
  }
  const keys = [...keyReaders].map(([keyArn, readers]) => ({ keyArn, policy: [keyStatement(keyArn, [...readers], central)] }));

  const topics = new Map<string, TopicPlan>();
  for (const src of config.sources) {
    if (src.topicArn === null || accountOfArn(src.topicArn) !== account || topics.has(src.topicArn)) continue;
    topics.set(src.topicArn, {
      topicArn: src.topicArn,
      notification: src.notification,
      policy: [
        {
          Sid: sid(central, 'Subscribe'),
          Effect: 'Allow',
          Principal: { AWS: `arn:${central.partition}:iam::${central.account}:root` },
          Action: 'sns:Subscribe',
          Resource: src.topicArn,
          Condition: { StringEquals: { 'sns:Protocol': 'sqs' } },
        },
      ],
    });
  }

  const byRole = new Map<string, SourceConfig[]>();
  for (const src of config.sources) {
    if (src.roleArn === null || accountOfArn(src.roleArn) !== account) continue;
    byRole.set(src.roleArn, [...(byRole.get(src.roleArn) ?? []), src]);
  }
  const roles = [...byRole].map(([arn, sources]) => readerRole(arn, sources, central, archiveRaw));

  if (buckets.length === 0 && keys.length === 0 && topics.size === 0 && roles.length === 0) {
    const known = sourceAccounts(config);
    throw new OnboardError(`the configuration has no source in account ${account}${known.length > 0 ? `; source accounts: ${known.join(', ')}` : '; every source is in the central account'}`);
  }
  return { account, central, buckets, keys, topics: [...topics.values()], roles };
}
