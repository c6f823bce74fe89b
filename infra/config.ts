/**
 * The deployment configuration (`loglake.config.json` or CDK context `loglake`): read once,
 * validated with every problem named at once, defaults applied, frozen.
 *
 * Why a hand-written validator: the file is small, users edit it by hand, and the messages must
 * say where the mistake is (`sources[1].prefixes[0]`), what came and what was expected — before
 * CloudFormation sees anything. Unknown keys are errors so a typo never silently becomes a default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Section, problemText, show, type Problem } from '../schema/checks.js';
import { EVENT_TIME_RANGE, FORMAT_NAMES, PARSER_SOURCES, SOURCES, isFormatName, type FormatName, type ParserId, type Source } from '../schema/index.js';
import { logFilePrefixProblem, RDS_INSTANCE_ID, type RdsInstanceSetting } from '../functions/rds-export/env-names.js';
import { DEFAULT_REPLAY_CONCURRENCY, defaultIngestConcurrency, defaultReservedConcurrency } from './capacity.js';

/** How a source bucket tells the pipeline that a new object exists. */
export const NOTIFICATION_TYPES = {
  s3: 'S3 event notifications straight to the ingest queue',
  's3-sns': 'S3 event notifications to an existing SNS topic, which the ingest queue subscribes to',
  'cloudtrail-sns': "CloudTrail's own SNS topic (one message per delivered log file)",
  'config-sns': "AWS Config's delivery SNS topic (snapshots, history files, configuration item changes)",
  eventbridge: 'EventBridge "Object Created" events of the bucket',
  poll: 'no notifications: the replay job lists the prefixes on a schedule',
} as const;
/** One of the notification paths in {@link NOTIFICATION_TYPES}. */
export type NotificationType = keyof typeof NOTIFICATION_TYPES;

/**
 * `auto` lets the worker route by key pattern and content; a source name pins the source (its
 * parsers choose among themselves); a parser id (`billing-dbr`) pins that one parser.
 */
export type SourceFormat = 'auto' | FormatName;

/**
 * The `source` partition a format writes, for everything keyed by source (alarms, notification
 * suffixes); null for `auto`, which may write any. A parser id maps to its parser's source.
 */
export function sourceOfFormat(format: SourceFormat): Source | null {
  if (format === 'auto') return null;
  return Object.hasOwn(PARSER_SOURCES, format) ? PARSER_SOURCES[format as ParserId] : (format as Source);
}

/** One existing bucket (or part of it) whose logs the pipeline ingests. */
export interface SourceConfig {
  /** Name of the existing bucket the logs are delivered to. */
  readonly bucket: string;
  /** Account owning the bucket, set only when it is not the deployment account. @default null (same account) */
  readonly account: string | null;
  /** Key prefixes to ingest; they scope both the worker's read access and the notification filters. @default [''] (whole bucket) */
  readonly prefixes: readonly string[];
  /** Log format of every object under the prefixes. @default 'auto' */
  readonly format: SourceFormat;
  /** Notification path. @default 's3' */
  readonly notification: NotificationType;
  /** SNS topic for the `*-sns` notification types. @default null */
  readonly topicArn: string | null;
  /** Customer KMS key the bucket's objects are encrypted with, so the worker may decrypt them. @default null */
  readonly kmsKeyArn: string | null;
  /** How a `poll` source is polled; null for every other notification type. */
  readonly poll: PollConfig | null;
  /** Role the worker assumes to read this source, instead of being named in the bucket policy. @default null */
  readonly roleArn: string | null;
  /** External id the role's trust policy requires (`sts:ExternalId`). @default null */
  readonly externalId: string | null;
}

/** The schedule of a source polled by the replay job (`notification: "poll"`). */
export interface PollConfig {
  /** Minutes between two polls. @default 15 */
  readonly minutes: number;
  /** Days before the day the previous poll started that a poll lists again, for objects delivered late into an older day folder. @default 1 */
  readonly lookbackDays: number;
}

/** Object Lock default retention of the central bucket. */
export interface ObjectLockConfig {
  /** `GOVERNANCE` can be lifted with a special permission; `COMPLIANCE` cannot be lifted by anyone. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly days: number;
}

/** The central bucket and what is kept in it for how long. */
export interface LakeConfig {
  /** Explicit bucket name. @default null (CloudFormation generates one) */
  readonly bucketName: string | null;
  /** Encrypt the bucket, queues, topic and query results with a customer-managed KMS key instead of SSE-S3/SSE-SQS. @default false */
  readonly kms: boolean;
  /** Copy every source object to `raw/…` (server-side copy). @default false */
  readonly archiveRaw: boolean;
  /** Keep the original line in the `raw` column. @default true */
  readonly keepRaw: boolean;
  /** Keep records caused by the pipeline's own requests. @default false */
  readonly keepSelfTraffic: boolean;
  /** Days after which `lake/`, `errors/` and the bookkeeping areas (`manifests/`, `assemblies/`, `replays/`, `replay-control/`) expire. @default null (never) */
  readonly retentionDays: number | null;
  /** Days after which `lake/` and `errors/` move to Standard-IA (minimum 30). @default 90 */
  readonly infrequentAccessAfterDays: number;
  /** Days after which `lake/` and `errors/` move to Glacier Instant Retrieval, which Athena still reads. @default 365 */
  readonly glacierInstantAfterDays: number | null;
  /** Days after which `raw/` moves to Glacier Flexible Retrieval (not queryable, it is an archive). @default 90 */
  readonly rawGlacierAfterDays: number;
  /** Days after which `raw/` objects expire. @default null (never) */
  readonly rawRetentionDays: number | null;
  /** Days a replaced or deleted object version is kept. @default 30 */
  readonly noncurrentVersionRetentionDays: number;
  /** Object Lock default retention; once deployed, Object Lock can never be switched off again. @default null (no Object Lock) */
  readonly objectLock: ObjectLockConfig | null;
  /** Days the server access logs of the central bucket are kept. @default 365 */
  readonly accessLogRetentionDays: number;
  /**
   * First day partition projection enumerates (`YYYY-MM-DD`). The worker accepts events from
   * `EVENT_TIME_RANGE.firstDay` on; rows dated before a later day stay in the lake but Athena
   * never sees them (synthesis warns). @default EVENT_TIME_RANGE.firstDay
   */
  readonly partitionsFrom: string;
}

/** The ingest worker Lambda and its queue consumers. */
export interface WorkerConfig {
  /** @default 1024 */
  readonly memoryMiB: number;
  /** Function timeout; queue visibility timeouts are derived from it. @default 300 */
  readonly timeoutSeconds: number;
  /**
   * `/tmp` size. The writer parks rows of objects spread over hundreds of days (Config snapshots)
   * there until they make a row group. @default 2048
   */
  readonly ephemeralStorageMiB: number;
  /** Messages per invocation from the ingest queue. @default 10 */
  readonly batchSize: number;
  /** How long the ingest consumer waits to fill a batch. @default 5 */
  readonly batchWindowSeconds: number;
  /** Most concurrent invocations the replay queue may use; below `ingestMaxConcurrency`, so replays never starve live ingestion. @default 2 */
  readonly replayMaxConcurrency: number;
  /** Most concurrent invocations the ingest queue may use. @default 5 per notified source, from 10 to 100 (infra/capacity.ts) */
  readonly ingestMaxConcurrency: number;
  /** Reserved concurrency of the function; `null` in the file for none (an account whose quota cannot spare it). @default ingestMaxConcurrency + replayMaxConcurrency */
  readonly reservedConcurrency: number | null;
  /** Deliveries of a message before it moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount: number;
  /** @default 30 */
  readonly logRetentionDays: number;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** The Glue catalog and the Athena workgroup. */
export interface AthenaConfig {
  /** @default the deployment name with `-` replaced by `_` */
  readonly databaseName: string;
  /** @default the deployment name */
  readonly workgroupName: string;
  /** A query scanning more than this is cancelled. @default 10240 (10 GiB) */
  readonly maxScannedMiBPerQuery: number;
  /** Days query results are kept. @default 30 */
  readonly resultRetentionDays: number;
  /** Lake Formation grants of the lake's tables, for accounts whose Glue catalog it governs. @default null (IAM only) */
  readonly lakeFormation: LakeFormationConfig | null;
}

/** Who Lake Formation lets read the lake's tables (`SELECT` and `DESCRIBE`, and `DESCRIBE` on the database). */
export interface LakeFormationConfig {
  /** IAM role or user ARNs; attach the stack's analyst policy to them as well. */
  readonly principals: readonly string[];
}

/** An IAM role or user, the principals Lake Formation grants take here. */
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/** Alarm thresholds and who hears about them. */
export interface AlarmsConfig {
  /** Address subscribed to the ops topic (confirm the e-mail AWS sends). @default null */
  readonly email: string | null;
  /** Age of the oldest ingest message that means ingestion is falling behind. @default 1800 */
  readonly maxMessageAgeSeconds: number;
  /** Share of rejected lines per source, in percent, that raises the alarm. @default 1 */
  readonly maxRejectedPercent: number;
}

/** The whole validated configuration. */
export interface LoglakeConfig {
  /** Deployment name: stack name, resource names, metric service. @default 'loglake' */
  readonly name: string;
  /** Deployment account; leave out for an environment-agnostic stack. @default null */
  readonly account: string | null;
  /** Deployment region; leave out for an environment-agnostic stack. @default null */
  readonly region: string | null;
  /** Tags on every resource. @default {} */
  readonly tags: Readonly<Record<string, string>>;
  readonly sources: readonly SourceConfig[];
  readonly lake: LakeConfig;
  readonly worker: WorkerConfig;
  readonly athena: AthenaConfig;
  readonly alarms: AlarmsConfig;
  /** The RDS log exporter, for DB instances that do not publish their logs to CloudWatch Logs. @default null (not deployed) */
  readonly rdsExport: RdsExportConfig | null;
  /** CloudWatch Logs intake: log groups subscribed to the intake function, and the log-group map. @default null (not deployed) */
  readonly cloudwatchLogs: CloudWatchLogsConfig | null;
  /** CloudTrail log file integrity validation by the worker (docs/integrity.md). */
  readonly integrity: IntegrityConfig;
}

/**
 * One log group setting of the CloudWatch Logs intake (docs/cwlogs.md): an exact `name`, which the
 * stack subscribes when the group is in the deployment account, or a `prefix` / `pattern` (glob:
 * `*` within a `/`-segment, `**` across) that routes the groups it matches and lets them be
 * subscribed to the function, since a subscription filter names one group.
 */
export interface LogGroupSetting {
  readonly match: 'name' | 'prefix' | 'pattern';
  readonly text: string;
  /** The format of the group's events; null: the built-in log-group map, else generic `cwlogs` records. */
  readonly format: FormatName | null;
  /** A line before the messages (a VPC flow log's field names or `${…}` LogFormat). @default null */
  readonly header: string | null;
  /** Account of the log group when it is not the deployment account (not subscribed by the stack). @default null */
  readonly account: string | null;
}

/** The CloudWatch Logs intake function and what it is subscribed to. */
export interface CloudWatchLogsConfig {
  readonly logGroups: readonly LogGroupSetting[];
  /** Filter pattern of the subscription filters the stack creates. @default '' (every event) */
  readonly filterPattern: string;
  /** @default 512 */
  readonly memoryMiB: number;
  /** @default 120 */
  readonly timeoutSeconds: number;
  /** Reserved concurrency of the function. @default null (none) */
  readonly reservedConcurrency: number | null;
  /**
   * Region of the log groups whose payloads reach the worker in Firehose objects (which do not
   * say it), for their rows and names; the intake function uses its own. @default null (none)
   */
  readonly region: string | null;
  /** The Firehose path the stack creates (docs/cwlogs.md); null: none. @default null */
  readonly firehose: CwlogsFirehoseConfig | null;
}

/**
 * A Firehose stream the stack creates for CloudWatch Logs subscriptions: it writes payloads into
 * the central bucket's `raw/cwlogs/`, whose objects the worker splits by the log-group map, and a
 * CloudWatch Logs destination in front of it for the log groups of other accounts.
 */
export interface CwlogsFirehoseConfig {
  /** Seconds Firehose buffers before it writes an object (0–900). @default 300 */
  readonly bufferSeconds: number;
  /** MiB Firehose buffers before it writes an object (1–128). @default 64 */
  readonly bufferMiB: number;
  /** Subscribe the named log groups of the deployment account to the stream instead of the intake function. @default false */
  readonly subscribeOwnGroups: boolean;
}

/** The RDS log exporter (`functions/rds-export`, docs/rds-export.md): DB instances of the deployment account and region. */
export interface RdsExportConfig {
  /** Each instance with the prefixes of the log file names to export (its own `logFiles`, else the section's). */
  readonly instances: readonly RdsInstanceSetting[];
  /** Minutes between two runs. @default 15 */
  readonly scheduleMinutes: number;
}

/** Raised for an invalid configuration; `issues` lists every problem found. */
export class LoglakeConfigError extends Error {
  readonly issues: readonly string[];
  constructor(origin: string, issues: readonly string[]) {
    super(`invalid loglake configuration (${origin}):\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'LoglakeConfigError';
    this.issues = issues;
  }
}

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const BUCKET = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const GLUE_NAME = /^[a-z_][a-z0-9_]{0,254}$/;
const WORKGROUP = /^[A-Za-z0-9._-]{1,128}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Parser ids a format may name besides the sources, listed in the refusal of an unknown one. */
const PARSER_ONLY_IDS: readonly string[] = FORMAT_NAMES.filter((f) => !(SOURCES as readonly string[]).includes(f));
/** IAM treats these as wildcards in a resource ARN, and S3 filters take them literally. */
const PREFIX_FORBIDDEN = /[*?$]/;

/**
 * `format` of a source: `auto`, a source or a parser id. Anything else is refused here, at synth
 * time, naming what exists: the deployed worker would otherwise fail every cold start on it.
 */
function readFormat(s: Section): SourceFormat {
  const v = s.raw('format');
  if (v === undefined || v === null || v === 'auto') return 'auto';
  if (typeof v === 'string' && isFormatName(v)) return v;
  s.problem(
    'format',
    `must be auto, a source (${SOURCES.join(', ')}) or a parser id (${PARSER_ONLY_IDS.join(', ')}), got ${show(v)}`,
  );
  return 'auto';
}

const SOURCE_KEYS = ['bucket', 'account', 'prefixes', 'format', 'notification', 'topicArn', 'kmsKeyArn', 'pollMinutes', 'pollLookbackDays', 'roleArn', 'externalId'];
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
/** STS: 2-1224 characters of letters, digits and `+=,.@:/-`. */
const EXTERNAL_ID = /^[\w+=,.@:\/-]{2,1224}$/;

/** Bounds of a poll schedule: EventBridge runs rules at most once a minute, and a poll is a listing, so more often than every 5 minutes only costs. */
export const POLL_MINUTES = { default: 15, min: 5, max: 1440 } as const;
/** The replay request accepts a lookback of up to 31 days. */
export const POLL_LOOKBACK_DAYS = { default: 1, min: 0, max: 31 } as const;

/** `roleArn` and `externalId` of a source read through a role; an external id alone would protect nothing. */
function readReaderRole(s: Section): Pick<SourceConfig, 'roleArn' | 'externalId'> {
  const roleArn = s.optionalString('roleArn', ROLE_ARN, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  const externalId = s.optionalString('externalId', EXTERNAL_ID, 'an external id (2-1224 letters, digits and +=,.@:/-)');
  if (externalId !== null && !s.has('roleArn')) s.problem('externalId', 'only applies with a roleArn');
  return { roleArn, externalId };
}

function readSource(s: Section): SourceConfig {
  s.required('bucket', 'the name of the existing bucket the logs land in');
  const bucket = s.string('bucket', '', BUCKET, 'an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)');

  const prefixes = s.strings(
    'prefixes',
    [''],
    (p) =>
      p.startsWith('/')
        ? `must not start with "/" (S3 keys have no leading slash), got ${show(p)}`
        : PREFIX_FORBIDDEN.test(p)
          ? `must not contain *, ? or $ (it is a literal prefix, not a pattern), got ${show(p)}`
          : null,
    'a non-empty array of key prefixes',
    true,
  );

  const notification = s.oneOf('notification', 's3', Object.keys(NOTIFICATION_TYPES) as NotificationType[]);
  const format = readFormat(s);
  const topicArn = s.optionalString('topicArn', TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)');
  const needsTopic = notification.endsWith('-sns');
  if (needsTopic && !s.has('topicArn')) s.problem('topicArn', `is required when notification is ${notification}`);
  if (!needsTopic && s.has('topicArn')) s.problem('topicArn', `only applies to the *-sns notification types, not ${notification}`);
  const pinned = sourceOfFormat(format);
  if (notification === 'cloudtrail-sns' && pinned !== null && pinned !== 'cloudtrail') {
    s.problem('format', `a cloudtrail-sns source carries CloudTrail files, got ${show(format)}`);
  }
  if (notification === 'config-sns' && pinned !== null && pinned !== 'config') {
    s.problem('format', `a config-sns source carries AWS Config files, got ${show(format)}`);
  }
  let poll: PollConfig | null = null;
  if (notification === 'poll') {
    poll = {
      minutes: s.int('pollMinutes', POLL_MINUTES.default, POLL_MINUTES.min, POLL_MINUTES.max),
      lookbackDays: s.int('pollLookbackDays', POLL_LOOKBACK_DAYS.default, POLL_LOOKBACK_DAYS.min, POLL_LOOKBACK_DAYS.max),
    };
    // A poll lists prefixes as folders: the replay job reads `logs` as `logs/`.
    prefixes.forEach((p, i) => {
      if (p !== '' && !p.endsWith('/')) s.problem(`prefixes[${i}]`, `of a poll source must end in "/" (a folder the replay job lists), got ${show(p)}`);
    });
  } else {
    for (const key of ['pollMinutes', 'pollLookbackDays']) if (s.has(key)) s.problem(key, `only applies to notification poll, not ${notification}`);
  }
  return {
    bucket,
    account: s.optionalString('account', ACCOUNT, 'a 12-digit AWS account id'),
    prefixes,
    format,
    notification,
    topicArn,
    kmsKeyArn: s.optionalString('kmsKeyArn', KMS_KEY_ARN, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)'),
    ...readReaderRole(s),
    poll,
  };
}

/** Two prefixes of one bucket overlap when one starts with the other: objects would be ingested twice. */
function checkOverlaps(sources: readonly SourceConfig[], problems: Problem[]): void {
  const seen: Array<{ bucket: string; prefix: string; at: string }> = [];
  sources.forEach((src, i) => {
    src.prefixes.forEach((prefix, j) => {
      const at = `sources[${i}].prefixes[${j}]`;
      const clash = seen.find((o) => o.bucket === src.bucket && (o.prefix.startsWith(prefix) || prefix.startsWith(o.prefix)));
      if (clash) {
        problems.push({ path: at, message: `${show(prefix)} overlaps ${show(clash.prefix)} of ${clash.at} in bucket ${src.bucket}; objects would be ingested twice` });
      }
      seen.push({ bucket: src.bucket, prefix, at });
    });
  });
}

/**
 * What reading by role and the expected bucket owner need of the sources together: one owner per
 * bucket (it is sent as `ExpectedBucketOwner` with every read), an external id with a role the
 * deployment account does not own (the trust policy would otherwise admit any caller the role's
 * account lets in: the confused deputy).
 */
function checkSourceAccess(config: Pick<LoglakeConfig, 'sources' | 'account'>, problems: Problem[]): void {
  const owners = new Map<string, { account: string | null; at: number }>();
  config.sources.forEach((src, i) => {
    const first = owners.get(src.bucket);
    if (first === undefined) owners.set(src.bucket, { account: src.account, at: i });
    else if (first.account !== src.account) {
      problems.push({ path: `sources[${i}].account`, message: `is ${show(src.account)}, but sources[${first.at}] of the same bucket ${src.bucket} says ${show(first.account)}; a bucket has one owner` });
    }
    if (src.roleArn === null) return;
    const roleAccount = src.roleArn.split(':')[4];
    if (src.externalId === null && roleAccount !== config.account) {
      problems.push({
        path: `sources[${i}].externalId`,
        message: `is required with a role of account ${roleAccount}${config.account === null ? ' (the deployment account is not set, so every role counts as another account\'s)' : `, not the deployment account ${config.account}`}: its trust policy must ask for it`,
      });
    }
  });
}

/** True for a `YYYY-MM-DD` that names a day that exists (Date.parse rolls 02-30 over to March). */
function isCalendarDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

function readLake(top: Section, rdsExport: boolean): LakeConfig {
  const s = top.section('lake', [
    'bucketName',
    'kms',
    'archiveRaw',
    'keepRaw',
    'keepSelfTraffic',
    'retentionDays',
    'infrequentAccessAfterDays',
    'glacierInstantAfterDays',
    'rawGlacierAfterDays',
    'rawRetentionDays',
    'noncurrentVersionRetentionDays',
    'objectLock',
    'accessLogRetentionDays',
    'partitionsFrom',
  ]);
  const days = 36_500;
  let objectLock: ObjectLockConfig | null = null;
  if (s.has('objectLock')) {
    const o = s.section('objectLock', ['mode', 'days']);
    o.required('days', 'default retention of every new object');
    objectLock = { mode: o.oneOf('mode', 'GOVERNANCE', ['GOVERNANCE', 'COMPLIANCE']), days: o.int('days', 1, 1, days) };
  }
  const lake: LakeConfig = {
    bucketName: s.optionalString('bucketName', BUCKET, 'an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)'),
    kms: s.bool('kms', false),
    archiveRaw: s.bool('archiveRaw', false),
    keepRaw: s.bool('keepRaw', true),
    keepSelfTraffic: s.bool('keepSelfTraffic', false),
    retentionDays: s.optionalInt('retentionDays', 1, days),
    infrequentAccessAfterDays: s.int('infrequentAccessAfterDays', 90, 30, days),
    glacierInstantAfterDays: s.raw('glacierInstantAfterDays') === null ? null : s.int('glacierInstantAfterDays', 365, 1, days),
    rawGlacierAfterDays: s.int('rawGlacierAfterDays', 90, 1, days),
    rawRetentionDays: s.optionalInt('rawRetentionDays', 1, days),
    noncurrentVersionRetentionDays: s.int('noncurrentVersionRetentionDays', 30, 1, days),
    objectLock,
    accessLogRetentionDays: s.int('accessLogRetentionDays', 365, 1, days),
    partitionsFrom: s.string('partitionsFrom', EVENT_TIME_RANGE.firstDay, DAY, 'a day as YYYY-MM-DD'),
  };
  if (lake.glacierInstantAfterDays !== null && lake.glacierInstantAfterDays <= lake.infrequentAccessAfterDays) {
    s.problem('glacierInstantAfterDays', `must be later than infrequentAccessAfterDays (${lake.infrequentAccessAfterDays}), got ${lake.glacierInstantAfterDays}`);
  }
  if (lake.retentionDays !== null && lake.retentionDays <= lake.infrequentAccessAfterDays) {
    s.problem('retentionDays', `must be later than infrequentAccessAfterDays (${lake.infrequentAccessAfterDays}), or set infrequentAccessAfterDays lower; got ${lake.retentionDays}`);
  }
  if (lake.retentionDays !== null && lake.glacierInstantAfterDays !== null && lake.retentionDays <= lake.glacierInstantAfterDays) {
    s.problem('glacierInstantAfterDays', `must be earlier than retentionDays (${lake.retentionDays}), or null to skip it; got ${lake.glacierInstantAfterDays}`);
  }
  if (lake.rawRetentionDays !== null && lake.rawRetentionDays <= lake.rawGlacierAfterDays) {
    s.problem('rawRetentionDays', `must be later than rawGlacierAfterDays (${lake.rawGlacierAfterDays}), got ${lake.rawRetentionDays}`);
  }
  if (lake.objectLock && lake.retentionDays !== null && lake.retentionDays < lake.objectLock.days) {
    s.problem('retentionDays', `must be at least objectLock.days (${lake.objectLock.days}), got ${lake.retentionDays}; locked objects cannot expire earlier`);
  }
  // Athena accepts a projection range only of real days; the pattern alone lets 2024-02-30 by.
  if (!isCalendarDay(lake.partitionsFrom)) {
    s.problem('partitionsFrom', `must be a calendar day as YYYY-MM-DD, got ${show(lake.partitionsFrom)}`);
  }
  if (!lake.archiveRaw && !rdsExport && (s.has('rawRetentionDays') || s.has('rawGlacierAfterDays'))) {
    s.problem('archiveRaw', 'raw/ lifecycle settings are given but archiveRaw is not true; nothing would be archived');
  }
  return lake;
}

function readWorker(top: Section, sources: readonly SourceConfig[]): WorkerConfig {
  const s = top.section('worker', [
    'memoryMiB',
    'timeoutSeconds',
    'ephemeralStorageMiB',
    'batchSize',
    'batchWindowSeconds',
    'replayMaxConcurrency',
    'ingestMaxConcurrency',
    'reservedConcurrency',
    'maxReceiveCount',
    'logRetentionDays',
    'logLevel',
  ]);
  const worker: WorkerConfig = {
    memoryMiB: s.int('memoryMiB', 1024, 256, 10_240),
    // The worker hands over to a continuation 30 s before its deadline, so it needs more than that.
    timeoutSeconds: s.int('timeoutSeconds', 300, 60, 900),
    ephemeralStorageMiB: s.int('ephemeralStorageMiB', 2048, 512, 10_240),
    batchSize: s.int('batchSize', 10, 1, 10),
    batchWindowSeconds: s.int('batchWindowSeconds', 5, 0, 300),
    // SQS event sources accept a maximum concurrency from 2 to 1000.
    replayMaxConcurrency: s.int('replayMaxConcurrency', DEFAULT_REPLAY_CONCURRENCY, 2, 1000),
    ingestMaxConcurrency: s.int('ingestMaxConcurrency', defaultIngestConcurrency(sources), 2, 1000),
    reservedConcurrency: null,
    maxReceiveCount: s.int('maxReceiveCount', 5, 1, 1000),
    logRetentionDays: s.int('logRetentionDays', 30, 1, 3653),
    logLevel: s.oneOf('logLevel', 'INFO', ['DEBUG', 'INFO', 'WARN', 'ERROR']),
  };
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(worker.logRetentionDays)) {
    s.problem('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${worker.logRetentionDays}`);
  }
  if (worker.replayMaxConcurrency >= worker.ingestMaxConcurrency) {
    s.problem(
      'replayMaxConcurrency',
      `must be below ingestMaxConcurrency (${worker.ingestMaxConcurrency}${s.has('ingestMaxConcurrency') ? '' : ', the default for these sources'}) so a replay never takes the capacity live notifications need, got ${worker.replayMaxConcurrency}`,
    );
  }
  // An explicit null turns the reservation off; absent, it is what the two event sources may use.
  const reservedConcurrency =
    s.raw('reservedConcurrency') === null ? null : s.int('reservedConcurrency', defaultReservedConcurrency(worker.ingestMaxConcurrency, worker.replayMaxConcurrency), 1, 10_000);
  if (reservedConcurrency !== null && reservedConcurrency <= worker.replayMaxConcurrency) {
    s.problem('reservedConcurrency', `must exceed replayMaxConcurrency (${worker.replayMaxConcurrency}) so live ingestion always has capacity, got ${reservedConcurrency}`);
  }
  // Above that, the two consumers would poll more than the function may run and be throttled.
  const consumers = worker.ingestMaxConcurrency + worker.replayMaxConcurrency;
  if (reservedConcurrency !== null && consumers > reservedConcurrency) {
    s.problem('reservedConcurrency', `must be at least ingestMaxConcurrency + replayMaxConcurrency (${consumers}), got ${reservedConcurrency}`);
  }
  return { ...worker, reservedConcurrency };
}

function readAthena(top: Section, name: string): AthenaConfig {
  const s = top.section('athena', ['databaseName', 'workgroupName', 'maxScannedMiBPerQuery', 'resultRetentionDays', 'lakeFormation']);
  return {
    databaseName: s.string('databaseName', name.replaceAll('-', '_'), GLUE_NAME, 'a Glue database name (lowercase letters, digits, underscores)'),
    workgroupName: s.string('workgroupName', name, WORKGROUP, 'an Athena workgroup name (letters, digits, . _ -)'),
    // Athena's own lower bound for a per-query limit is 10 MB.
    maxScannedMiBPerQuery: s.int('maxScannedMiBPerQuery', 10_240, 10, 1_048_576 * 1024),
    resultRetentionDays: s.int('resultRetentionDays', 30, 1, 36_500),
    lakeFormation: readLakeFormation(s),
  };
}

function readLakeFormation(athena: Section): LakeFormationConfig | null {
  if (!athena.has('lakeFormation')) return null;
  const s = athena.section('lakeFormation', ['principals']);
  s.required('principals', 'the IAM roles or users Lake Formation grants the tables to');
  const principals = s.strings('principals', [], (p) => (IAM_PRINCIPAL.test(p) ? null : `must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got ${show(p)}`), 'a non-empty array of IAM role or user ARNs', true);
  return { principals };
}

function readAlarms(top: Section): AlarmsConfig {
  const s = top.section('alarms', ['email', 'maxMessageAgeSeconds', 'maxRejectedPercent']);
  return {
    email: s.optionalString('email', EMAIL, 'an e-mail address'),
    maxMessageAgeSeconds: s.int('maxMessageAgeSeconds', 1800, 60, 1_209_600),
    maxRejectedPercent: s.number('maxRejectedPercent', 1, 0, 100),
  };
}

/** CloudTrail digests checked by the worker as they arrive, into the `integrity` table; findings to the ops topic. */
export interface IntegrityConfig {
  /** @default true */
  readonly enabled: boolean;
  /**
   * Hours after a digest's end at which a log file it lists and the lake has not ingested is
   * `missing_log` (alarmed) instead of `not_yet_ingested`. CloudTrail delivers a log file within
   * minutes and its digest about an hour later, so only a lost file stays absent this long. @default 24
   */
  readonly missingLogAfterHours: number;
}

function readIntegrity(top: Section): IntegrityConfig {
  const s = top.section('integrity', ['enabled', 'missingLogAfterHours']);
  return { enabled: s.bool('enabled', true), missingLogAfterHours: s.int('missingLogAfterHours', 24, 1, 24 * 90) };
}

/** Bounds of the exporter's schedule: EventBridge runs rules at most once a minute, and a run lists every instance's files. */
export const RDS_EXPORT_MINUTES = { default: 15, min: 5, max: 1440 } as const;
/** Room for the instances in the exporter's 4 KB of Lambda environment; the other variables need about 1 KB. */
export const MAX_RDS_INSTANCES_BYTES = 3072;

function readRdsExport(top: Section): RdsExportConfig | null {
  if (!top.has('rdsExport')) return null;
  const s = top.section('rdsExport', ['instances', 'logFiles', 'scheduleMinutes']);
  const prefixes = (section: Section, fallback: readonly string[]): string[] =>
    section.strings('logFiles', fallback, logFilePrefixProblem, 'a non-empty array of log file name prefixes ("" for every file)', true);
  const logFiles = prefixes(s, ['']);
  const expected = 'a non-empty array of DB instances';
  if (!s.has('instances')) s.problem('instances', `must be ${expected}, got ${show(s.raw('instances'))}`);
  const seen = new Set<string>();
  const instances = s.sections('instances', ['identifier', 'logFiles'], { expected, nonEmpty: true }).map((i): RdsInstanceSetting => {
    i.required('identifier', 'the DB instance identifier');
    const identifier = i.string('identifier', '', RDS_INSTANCE_ID, 'a DB instance identifier (1-63 lowercase letters, digits and hyphens, starting with a letter)');
    if (identifier !== '' && seen.has(identifier)) i.problem('identifier', `${show(identifier)} is listed twice`);
    seen.add(identifier);
    return { identifier, logFiles: prefixes(i, logFiles) };
  });
  const bytes = JSON.stringify(instances).length;
  if (bytes > MAX_RDS_INSTANCES_BYTES) {
    s.problem('instances', `take ${bytes} bytes of the function's environment, more than the ${MAX_RDS_INSTANCES_BYTES} it leaves them; use fewer instances or shorter logFiles`);
  }
  return { instances, scheduleMinutes: s.int('scheduleMinutes', RDS_EXPORT_MINUTES.default, RDS_EXPORT_MINUTES.min, RDS_EXPORT_MINUTES.max) };
}

/** Characters of a log group name (CloudWatch Logs: letters, digits, `_-/.#`), and of a glob over them. */
const LOG_GROUP = /^[A-Za-z0-9_\-/.#]{1,512}$/;
const LOG_GROUP_GLOB = /^[A-Za-z0-9_\-/.#*?]{1,512}$/;
/** Room for the log-group map in a function's 4 KB of Lambda environment; the other variables need about 1 KB. */
export const MAX_LOG_GROUPS_BYTES = 3072;

function readLogGroup(s: Section, deploymentAccount: string | null): LogGroupSetting {
  const given = (['name', 'prefix', 'pattern'] as const).filter((k) => s.has(k));
  if (s.isObject && given.length !== 1) {
    s.problem('', `needs exactly one of "name" (a log group), "prefix" or "pattern" (a glob: * within a /-segment, ** across), got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  }
  const match = given[0] ?? 'name';
  const text = s.string(match, '', match === 'pattern' ? LOG_GROUP_GLOB : LOG_GROUP, match === 'pattern' ? 'a glob of log group names (letters, digits, _-/.# and * ?)' : 'log group name text (letters, digits, _-/.#)');
  let format: FormatName | null = null;
  const f = s.raw('format');
  if (f !== undefined && f !== null) {
    if (typeof f === 'string' && isFormatName(f)) format = f;
    else s.problem('format', `must be a source (${SOURCES.join(', ')}) or a parser id (${PARSER_ONLY_IDS.join(', ')}), got ${show(f)}`);
  }
  const header = s.optionalString('header');
  if (header !== null && header.includes('\n')) s.problem('header', 'must be one line');
  if (header !== null && format === null) s.problem('header', 'needs a "format" whose parser reads it');
  const account = s.optionalString('account', ACCOUNT, 'a 12-digit AWS account id');
  if (account !== null && account === deploymentAccount) s.problem('account', 'is the deployment account; leave it out for same-account log groups');
  return { match, text, format, header, account };
}

function readCloudWatchLogs(top: Section, deploymentAccount: string | null): CloudWatchLogsConfig | null {
  if (!top.has('cloudwatchLogs')) return null;
  const s = top.section('cloudwatchLogs', ['logGroups', 'filterPattern', 'memoryMiB', 'timeoutSeconds', 'reservedConcurrency', 'region', 'firehose']);
  const expected = 'a non-empty array of log groups';
  if (!s.has('logGroups')) s.problem('logGroups', `must be ${expected}, got ${show(s.raw('logGroups'))}`);
  const logGroups = s.sections('logGroups', ['name', 'prefix', 'pattern', 'format', 'header', 'account'], { expected, nonEmpty: true }).map((g) => readLogGroup(g, deploymentAccount));
  const seen = new Set<string>();
  logGroups.forEach((g, i) => {
    const key = `${g.account ?? ''}\n${g.match}\n${g.text}`;
    if (g.text !== '' && seen.has(key)) s.problem(`logGroups[${i}]`, `${g.match} ${show(g.text)} is listed twice`);
    seen.add(key);
  });
  const region = s.optionalString('region', REGION, 'an AWS region such as eu-west-1');
  const bytes = JSON.stringify(logGroupMapOf(logGroups, region)).length;
  if (bytes > MAX_LOG_GROUPS_BYTES) {
    s.problem('logGroups', `take ${bytes} bytes of the functions' environment as a log-group map, more than the ${MAX_LOG_GROUPS_BYTES} it leaves them; use prefixes or patterns`);
  }
  return {
    logGroups,
    // A filter pattern is at most 1,024 characters (CloudWatch Logs).
    filterPattern: s.string('filterPattern', '', /^[\s\S]{0,1024}$/, 'a filter pattern of at most 1024 characters'),
    memoryMiB: s.int('memoryMiB', 512, 256, 10_240),
    timeoutSeconds: s.int('timeoutSeconds', 120, 10, 900),
    reservedConcurrency: s.optionalInt('reservedConcurrency', 1, 10_000),
    region,
    firehose: readCwlogsFirehose(s),
  };
}

function readCwlogsFirehose(s: Section): CwlogsFirehoseConfig | null {
  if (!s.has('firehose')) return null;
  const f = s.section('firehose', ['bufferSeconds', 'bufferMiB', 'subscribeOwnGroups']);
  // Firehose's own bounds for an S3 destination without dynamic partitioning.
  return { bufferSeconds: f.int('bufferSeconds', 300, 0, 900), bufferMiB: f.int('bufferMiB', 64, 1, 128), subscribeOwnGroups: f.bool('subscribeOwnGroups', false) };
}

/**
 * The log-group map document (`LOGLAKE_LOG_GROUPS`, docs/cwlogs.md) of the settings that name a
 * format, and the region of Firehose-delivered log groups; null when there is neither (the
 * built-in entries alone apply).
 */
export function logGroupMapOf(groups: readonly LogGroupSetting[], region: string | null = null): { logGroups: Array<Record<string, string>>; region?: string } | null {
  const entries = groups.flatMap((g) => (g.format === null ? [] : [{ [g.match]: g.text, format: g.format, ...(g.header !== null ? { header: g.header } : {}) }]));
  return entries.length === 0 && region === null ? null : { logGroups: entries, ...(region !== null ? { region } : {}) };
}

function readTags(top: Section): Record<string, string> {
  const t = top.section('tags', null, 'an object of string values');
  const tags: Record<string, string> = {};
  for (const k of t.keys()) {
    const v = t.raw(k);
    if (typeof v !== 'string') t.problem(k, `must be a string, got ${show(v)}`);
    else tags[k] = v;
  }
  return tags;
}

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};

/**
 * Validates a parsed configuration object and applies the defaults.
 *
 * Throws one `LoglakeConfigError` listing every problem, so a user fixes the file in one pass.
 */
export function parseConfig(value: unknown, origin = 'configuration'): LoglakeConfig {
  const problems: Problem[] = [];
  const top = new Section(value, { problems, known: ['name', 'account', 'region', 'tags', 'sources', 'lake', 'worker', 'athena', 'alarms', 'rdsExport', 'cloudwatchLogs', 'integrity'] });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoglakeConfigError(origin, [`the configuration must be a JSON object, got ${show(value)}`]);
  }
  const name = top.string('name', 'loglake', NAME, 'a deployment name (2-32 lowercase letters, digits and hyphens, starting with a letter)');

  const expected = 'a non-empty array of source buckets';
  if (!top.has('sources')) top.problem('sources', `must be ${expected}, got ${show(top.raw('sources'))}`);
  const sources = top.sections('sources', SOURCE_KEYS, { expected, nonEmpty: true }).map(readSource);
  checkOverlaps(sources, problems);

  const config: LoglakeConfig = {
    name,
    account: top.optionalString('account', ACCOUNT, 'a 12-digit AWS account id'),
    region: top.optionalString('region', REGION, 'an AWS region such as eu-west-1'),
    tags: readTags(top),
    sources,
    lake: readLake(top, top.has('rdsExport')),
    worker: readWorker(top, sources),
    athena: readAthena(top, name),
    alarms: readAlarms(top),
    rdsExport: readRdsExport(top),
    cloudwatchLogs: readCloudWatchLogs(top, typeof top.raw('account') === 'string' ? (top.raw('account') as string) : null),
    integrity: readIntegrity(top),
  };
  checkSourceAccess(config, problems);
  if (config.account !== null) {
    sources.forEach((src, i) => {
      if (src.account === config.account) {
        problems.push({ path: `sources[${i}].account`, message: 'is the deployment account; leave it out for same-account buckets' });
      }
    });
  }
  if (problems.length > 0) throw new LoglakeConfigError(origin, problems.map(problemText));
  return deepFreeze(config);
}

/** Where the configuration of a synthesis came from. */
export interface LoadedConfig {
  readonly config: LoglakeConfig;
  /** File path or `context:loglake`. */
  readonly origin: string;
  /** True when no configuration was given and the bundled example was used. */
  readonly isExample: boolean;
}

/** File read when no configuration is given, so `cdk synth` works from a clean clone. */
export const EXAMPLE_CONFIG_FILE = 'loglake.config.example.json';
/** File a user creates next to `cdk.json`. */
export const DEFAULT_CONFIG_FILE = 'loglake.config.json';

function readJsonFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new LoglakeConfigError(path, [`not valid JSON: ${(e as Error).message}`]);
  }
}

/**
 * Finds and validates the configuration: CDK context `loglake` (an object, or a JSON string
 * from `-c loglake=…`), else the file named by context `loglakeConfig`, else
 * `loglake.config.json`, else the bundled example.
 */
export function loadConfig(context: (key: string) => unknown, dir: string): LoadedConfig {
  const inline = context('loglake');
  if (inline !== undefined) {
    let value: unknown = inline;
    if (typeof inline === 'string') {
      try {
        value = JSON.parse(inline) as unknown;
      } catch (e) {
        throw new LoglakeConfigError('context:loglake', [`not valid JSON: ${(e as Error).message}`]);
      }
    }
    return { config: parseConfig(value, 'context:loglake'), origin: 'context:loglake', isExample: false };
  }
  const named = context('loglakeConfig');
  if (named !== undefined) {
    if (typeof named !== 'string') throw new LoglakeConfigError('context:loglakeConfig', [`must be a file path, got ${show(named)}`]);
    const path = resolve(dir, named);
    if (!existsSync(path)) throw new LoglakeConfigError(path, ['the file does not exist']);
    return { config: parseConfig(readJsonFile(path), path), origin: path, isExample: false };
  }
  const own = resolve(dir, DEFAULT_CONFIG_FILE);
  if (existsSync(own)) return { config: parseConfig(readJsonFile(own), own), origin: own, isExample: false };
  const example = resolve(dir, EXAMPLE_CONFIG_FILE);
  return { config: parseConfig(readJsonFile(example), example), origin: example, isExample: true };
}
