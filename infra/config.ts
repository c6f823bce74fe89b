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
import { EVENT_TIME_RANGE, FORMAT_NAMES, PARSER_SOURCES, SOURCES, isFormatName, type FormatName, type ParserId, type Source } from '../schema/index.js';

/** How a source bucket tells the pipeline that a new object exists. */
export const NOTIFICATION_TYPES = {
  s3: 'S3 event notifications straight to the ingest queue',
  's3-sns': 'S3 event notifications to an existing SNS topic, which the ingest queue subscribes to',
  'cloudtrail-sns': "CloudTrail's own SNS topic (one message per delivered log file)",
  'config-sns': "AWS Config's delivery SNS topic (snapshots, history files, configuration item changes)",
  eventbridge: 'EventBridge "Object Created" events of the bucket',
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
  /** Days after which `lake/`, `errors/`, `manifests/` and `assemblies/` objects expire. @default null (never) */
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
  /** Most concurrent invocations the replay queue may use, so replays never starve live ingestion. @default 2 */
  readonly replayMaxConcurrency: number;
  /** Most concurrent invocations the ingest queue may use. @default null (unbounded) */
  readonly ingestMaxConcurrency: number | null;
  /** Reserved concurrency of the function. @default null (none) */
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
}

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

type Obj = Readonly<Record<string, unknown>>;

const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
};

/** Reads one JSON object, recording problems instead of throwing, so all of them are reported. */
class Section {
  private readonly obj: Obj;
  constructor(
    value: unknown,
    private readonly path: string,
    private readonly issues: string[],
    known: readonly string[],
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (value !== undefined) issues.push(`${path}: must be an object, got ${show(value)}`);
      this.obj = {};
      return;
    }
    this.obj = value as Obj;
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) issues.push(`${this.at(key)}: unknown key; known keys: ${known.join(', ')}`);
    }
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  string(key: string, fallback: string, pattern: RegExp, expected: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !pattern.test(v)) {
      this.issues.push(`${this.at(key)}: must be ${expected}, got ${show(v)}`);
      return fallback;
    }
    return v;
  }

  optionalString(key: string, pattern: RegExp, expected: string): string | null {
    return this.has(key) ? this.string(key, '', pattern, expected) || null : null;
  }

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly string[]): T {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v)) {
      this.issues.push(`${this.at(key)}: must be one of ${allowed.join(', ')}, got ${show(v)}`);
      return fallback;
    }
    return v as T;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.issues.push(`${this.at(key)}: must be true or false, got ${show(v)}`);
      return fallback;
    }
    return v;
  }

  int(key: string, fallback: number, min: number, max: number): number {
    return this.optionalInt(key, min, max) ?? fallback;
  }

  optionalInt(key: string, min: number, max: number): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.issues.push(`${this.at(key)}: must be an integer from ${min} to ${max}, got ${show(v)}`);
      return null;
    }
    return v;
  }

  number(key: string, fallback: number, min: number, max: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.issues.push(`${this.at(key)}: must be a number from ${min} to ${max}, got ${show(v)}`);
      return fallback;
    }
    return v;
  }
}

/**
 * `format` of a source: `auto`, a source or a parser id. Anything else is refused here, at synth
 * time, naming what exists: the deployed worker would otherwise fail every cold start on it.
 */
function readFormat(s: Section, issues: string[]): SourceFormat {
  const v = s.raw('format');
  if (v === undefined || v === null || v === 'auto') return 'auto';
  if (typeof v === 'string' && isFormatName(v)) return v;
  issues.push(
    `${s.at('format')}: must be auto, a source (${SOURCES.join(', ')}) or a parser id (${PARSER_ONLY_IDS.join(', ')}), got ${show(v)}`,
  );
  return 'auto';
}

function readSource(value: unknown, path: string, issues: string[]): SourceConfig {
  const s = new Section(value, path, issues, ['bucket', 'account', 'prefixes', 'format', 'notification', 'topicArn', 'kmsKeyArn']);
  if (!s.has('bucket')) issues.push(`${s.at('bucket')}: is required (the name of the existing bucket the logs land in)`);
  const bucket = s.string('bucket', '', BUCKET, 'an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)');

  let prefixes: string[] = [''];
  const rawPrefixes = s.raw('prefixes');
  if (rawPrefixes !== undefined) {
    if (!Array.isArray(rawPrefixes) || rawPrefixes.length === 0) {
      issues.push(`${s.at('prefixes')}: must be a non-empty array of key prefixes, got ${show(rawPrefixes)}`);
    } else {
      prefixes = [];
      rawPrefixes.forEach((p: unknown, i) => {
        const at = `${s.at('prefixes')}[${i}]`;
        if (typeof p !== 'string') issues.push(`${at}: must be a string, got ${show(p)}`);
        else if (p.startsWith('/')) issues.push(`${at}: must not start with "/" (S3 keys have no leading slash), got ${show(p)}`);
        else if (PREFIX_FORBIDDEN.test(p)) issues.push(`${at}: must not contain *, ? or $ (it is a literal prefix, not a pattern), got ${show(p)}`);
        else prefixes.push(p);
      });
    }
  }

  const notification = s.oneOf<NotificationType>('notification', 's3', Object.keys(NOTIFICATION_TYPES));
  const format = readFormat(s, issues);
  const topicArn = s.optionalString('topicArn', TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)');
  const needsTopic = notification.endsWith('-sns');
  if (needsTopic && !s.has('topicArn')) issues.push(`${s.at('topicArn')}: is required when notification is ${notification}`);
  if (!needsTopic && s.has('topicArn')) issues.push(`${s.at('topicArn')}: only applies to the *-sns notification types, not ${notification}`);
  const pinned = sourceOfFormat(format);
  if (notification === 'cloudtrail-sns' && pinned !== null && pinned !== 'cloudtrail') {
    issues.push(`${s.at('format')}: a cloudtrail-sns source carries CloudTrail files, got ${show(format)}`);
  }
  if (notification === 'config-sns' && pinned !== null && pinned !== 'config') {
    issues.push(`${s.at('format')}: a config-sns source carries AWS Config files, got ${show(format)}`);
  }
  return {
    bucket,
    account: s.optionalString('account', ACCOUNT, 'a 12-digit AWS account id'),
    prefixes,
    format,
    notification,
    topicArn,
    kmsKeyArn: s.optionalString('kmsKeyArn', KMS_KEY_ARN, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)'),
  };
}

/** Two prefixes of one bucket overlap when one starts with the other: objects would be ingested twice. */
function checkOverlaps(sources: readonly SourceConfig[], issues: string[]): void {
  const seen: Array<{ bucket: string; prefix: string; at: string }> = [];
  sources.forEach((src, i) => {
    src.prefixes.forEach((prefix, j) => {
      const at = `sources[${i}].prefixes[${j}]`;
      const clash = seen.find((o) => o.bucket === src.bucket && (o.prefix.startsWith(prefix) || prefix.startsWith(o.prefix)));
      if (clash) {
        issues.push(`${at}: ${show(prefix)} overlaps ${show(clash.prefix)} of ${clash.at} in bucket ${src.bucket}; objects would be ingested twice`);
      }
      seen.push({ bucket: src.bucket, prefix, at });
    });
  });
}

/** True for a `YYYY-MM-DD` that names a day that exists (Date.parse rolls 02-30 over to March). */
function isCalendarDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

function readLake(value: unknown, issues: string[]): LakeConfig {
  const s = new Section(value, 'lake', issues, [
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
    const o = new Section(s.raw('objectLock'), 'lake.objectLock', issues, ['mode', 'days']);
    if (!o.has('days')) issues.push('lake.objectLock.days: is required (default retention of every new object)');
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
    issues.push(
      `lake.glacierInstantAfterDays: must be later than infrequentAccessAfterDays (${lake.infrequentAccessAfterDays}), got ${lake.glacierInstantAfterDays}`,
    );
  }
  if (lake.retentionDays !== null && lake.retentionDays <= lake.infrequentAccessAfterDays) {
    issues.push(
      `lake.retentionDays: must be later than infrequentAccessAfterDays (${lake.infrequentAccessAfterDays}), or set infrequentAccessAfterDays lower; got ${lake.retentionDays}`,
    );
  }
  if (lake.retentionDays !== null && lake.glacierInstantAfterDays !== null && lake.retentionDays <= lake.glacierInstantAfterDays) {
    issues.push(`lake.glacierInstantAfterDays: must be earlier than retentionDays (${lake.retentionDays}), or null to skip it; got ${lake.glacierInstantAfterDays}`);
  }
  if (lake.rawRetentionDays !== null && lake.rawRetentionDays <= lake.rawGlacierAfterDays) {
    issues.push(`lake.rawRetentionDays: must be later than rawGlacierAfterDays (${lake.rawGlacierAfterDays}), got ${lake.rawRetentionDays}`);
  }
  if (lake.objectLock && lake.retentionDays !== null && lake.retentionDays < lake.objectLock.days) {
    issues.push(`lake.retentionDays: must be at least objectLock.days (${lake.objectLock.days}), got ${lake.retentionDays}; locked objects cannot expire earlier`);
  }
  // Athena accepts a projection range only of real days; the pattern alone lets 2024-02-30 by.
  if (!isCalendarDay(lake.partitionsFrom)) {
    issues.push(`lake.partitionsFrom: must be a calendar day as YYYY-MM-DD, got ${show(lake.partitionsFrom)}`);
  }
  if (!lake.archiveRaw && (s.has('rawRetentionDays') || s.has('rawGlacierAfterDays'))) {
    issues.push('lake.archiveRaw: raw/ lifecycle settings are given but archiveRaw is not true; nothing would be archived');
  }
  return lake;
}

function readWorker(value: unknown, issues: string[]): WorkerConfig {
  const s = new Section(value, 'worker', issues, [
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
    replayMaxConcurrency: s.int('replayMaxConcurrency', 2, 2, 1000),
    ingestMaxConcurrency: s.optionalInt('ingestMaxConcurrency', 2, 1000),
    reservedConcurrency: s.optionalInt('reservedConcurrency', 1, 10_000),
    maxReceiveCount: s.int('maxReceiveCount', 5, 1, 1000),
    logRetentionDays: s.int('logRetentionDays', 30, 1, 3653),
    logLevel: s.oneOf('logLevel', 'INFO', ['DEBUG', 'INFO', 'WARN', 'ERROR']),
  };
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(worker.logRetentionDays)) {
    issues.push(`worker.logRetentionDays: must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${worker.logRetentionDays}`);
  }
  if (worker.reservedConcurrency !== null && worker.reservedConcurrency <= worker.replayMaxConcurrency) {
    issues.push(
      `worker.reservedConcurrency: must exceed replayMaxConcurrency (${worker.replayMaxConcurrency}) so live ingestion always has capacity, got ${worker.reservedConcurrency}`,
    );
  }
  // Above that, the two consumers would poll more than the function may run and be throttled.
  const consumers = worker.ingestMaxConcurrency === null ? null : worker.ingestMaxConcurrency + worker.replayMaxConcurrency;
  if (worker.reservedConcurrency !== null && consumers !== null && consumers > worker.reservedConcurrency) {
    issues.push(
      `worker.reservedConcurrency: must be at least ingestMaxConcurrency + replayMaxConcurrency (${consumers}), got ${worker.reservedConcurrency}`,
    );
  }
  return worker;
}

function readAthena(value: unknown, name: string, issues: string[]): AthenaConfig {
  const s = new Section(value, 'athena', issues, ['databaseName', 'workgroupName', 'maxScannedMiBPerQuery', 'resultRetentionDays']);
  return {
    databaseName: s.string('databaseName', name.replaceAll('-', '_'), GLUE_NAME, 'a Glue database name (lowercase letters, digits, underscores)'),
    workgroupName: s.string('workgroupName', name, WORKGROUP, 'an Athena workgroup name (letters, digits, . _ -)'),
    // Athena's own lower bound for a per-query limit is 10 MB.
    maxScannedMiBPerQuery: s.int('maxScannedMiBPerQuery', 10_240, 10, 1_048_576 * 1024),
    resultRetentionDays: s.int('resultRetentionDays', 30, 1, 36_500),
  };
}

function readAlarms(value: unknown, issues: string[]): AlarmsConfig {
  const s = new Section(value, 'alarms', issues, ['email', 'maxMessageAgeSeconds', 'maxRejectedPercent']);
  return {
    email: s.optionalString('email', EMAIL, 'an e-mail address'),
    maxMessageAgeSeconds: s.int('maxMessageAgeSeconds', 1800, 60, 1_209_600),
    maxRejectedPercent: s.number('maxRejectedPercent', 1, 0, 100),
  };
}

function readTags(value: unknown, issues: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push(`tags: must be an object of string values, got ${show(value)}`);
    return {};
  }
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') issues.push(`tags.${k}: must be a string, got ${show(v)}`);
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
  const issues: string[] = [];
  const top = new Section(value, '', issues, ['name', 'account', 'region', 'tags', 'sources', 'lake', 'worker', 'athena', 'alarms']);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LoglakeConfigError(origin, [`the configuration must be a JSON object, got ${show(value)}`]);
  }
  const name = top.string('name', 'loglake', NAME, 'a deployment name (2-32 lowercase letters, digits and hyphens, starting with a letter)');

  const rawSources = top.raw('sources');
  const sources: SourceConfig[] = [];
  if (!Array.isArray(rawSources) || rawSources.length === 0) {
    issues.push(`sources: must be a non-empty array of source buckets, got ${show(rawSources)}`);
  } else {
    rawSources.forEach((v: unknown, i) => sources.push(readSource(v, `sources[${i}]`, issues)));
    checkOverlaps(sources, issues);
  }

  const config: LoglakeConfig = {
    name,
    account: top.optionalString('account', ACCOUNT, 'a 12-digit AWS account id'),
    region: top.optionalString('region', REGION, 'an AWS region such as eu-west-1'),
    tags: readTags(top.raw('tags'), issues),
    sources,
    lake: readLake(top.raw('lake'), issues),
    worker: readWorker(top.raw('worker'), issues),
    athena: readAthena(top.raw('athena'), name, issues),
    alarms: readAlarms(top.raw('alarms'), issues),
  };
  if (config.account !== null) {
    sources.forEach((src, i) => {
      if (src.account === config.account) {
        issues.push(`sources[${i}].account: is the deployment account; leave it out for same-account buckets`);
      }
    });
  }
  if (issues.length > 0) throw new LoglakeConfigError(origin, issues);
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
