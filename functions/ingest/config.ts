/**
 * The worker's configuration, read once from the environment at cold start, validated and
 * frozen. A bad value stops the cold start with a message naming the variable, instead of
 * failing every message later. Unknown `LOGLAKE_*` names are errors too: a typo in a stack
 * should not silently fall back to a default.
 */
import { ConfigError, defaultThreads, MAX_THREADS, parseLogGroupMap, parseRules, parseSourceAccess, resolveOptions, type LogGroupMap, type PipelineOptions, type RoutingRules, type SourceAccess } from '../../pipeline/index.js';
import { Section, problemsText } from '../../schema/checks.js';
import { INGEST_ENV } from './env-names.js';

/** Everything the ingest worker is configured with. */
export interface WorkerConfig {
  readonly lakeBucket: string;
  /** S3-compatible endpoint, or null for AWS. */
  readonly s3Endpoint: string | null;
  readonly rules: RoutingRules | null;
  /** CloudWatch Logs log-group map for Firehose objects of subscription payloads; null for the built-in entries. */
  readonly logGroups: LogGroupMap | null;
  /** Owners of the source buckets and the roles that read sources; null: own credentials, no owner check. */
  readonly sourceAccess: SourceAccess | null;
  /** Queue for continuations and hand-overs; null disables yielding at the deadline. */
  readonly continuationQueueUrl: string | null;
  readonly archiveRaw: boolean;
  readonly options: PipelineOptions;
  readonly deadlineMarginMs: number;
  readonly maxConcurrentMessages: number;
  /** CloudTrail digest checking (`LOGLAKE_INTEGRITY`): the missing-log age and the alarm topic; null when off. */
  readonly integrity: IntegrityConfig | null;
}

export interface IntegrityConfig {
  readonly missingLogAfterMs: number;
  readonly alarmTopicArn: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the worker configuration; throws `ConfigError` naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  const s = new Section(env, { text: true, known: Object.values(INGEST_ENV), noun: 'environment variable', only: (name) => name.startsWith('LOGLAKE_') });
  s.required(INGEST_ENV.lakeBucket, 'the name of the central bucket');
  const config = {
    lakeBucket: s.string(INGEST_ENV.lakeBucket, ''),
    s3Endpoint: s.optionalString(INGEST_ENV.s3Endpoint, /^https?:\/\/[^/\s]+/, 'an http(s) URL'),
    continuationQueueUrl: s.optionalString(INGEST_ENV.continuationQueueUrl),
    archiveRaw: s.bool(INGEST_ENV.archiveRaw, false),
    keepRaw: s.bool(INGEST_ENV.keepRaw, true),
    keepSelfTraffic: s.bool(INGEST_ENV.keepSelfTraffic, false),
    rowGroupRows: s.optionalInt(INGEST_ENV.rowGroupRows, 1) ?? undefined,
    threads: s.int(INGEST_ENV.threads, defaultThreads(), 1, MAX_THREADS),
    deadlineMarginMs: s.int(INGEST_ENV.deadlineMarginMs, 30_000, 1),
    maxConcurrentMessages: s.int(INGEST_ENV.maxConcurrentMessages, 4, 1),
  };
  const integrity = s.bool(INGEST_ENV.integrity, false);
  const missingLogAfterHours = s.int(INGEST_ENV.missingLogAfterHours, 24, 1);
  const alarmTopicArn = s.optionalString(INGEST_ENV.alarmTopicArn, /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'an SNS topic ARN');
  const [first] = s.problems;
  if (first !== undefined) throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems));
  const rulesText = s.optionalString(INGEST_ENV.routingRules);
  const logGroupsText = s.optionalString(INGEST_ENV.logGroups);
  const accessText = s.optionalString(INGEST_ENV.sourceAccess);
  const { keepRaw, keepSelfTraffic, rowGroupRows, threads, ...rest } = config;
  return Object.freeze({
    ...rest,
    integrity: integrity ? { missingLogAfterMs: missingLogAfterHours * 3_600_000, alarmTopicArn } : null,
    rules: rulesText === null ? null : parseRules(rulesText, INGEST_ENV.routingRules),
    logGroups: logGroupsText === null ? null : parseLogGroupMap(logGroupsText, INGEST_ENV.logGroups),
    sourceAccess: accessText === null ? null : parseSourceAccess(accessText, INGEST_ENV.sourceAccess),
    options: resolveOptions({ keepRaw, keepSelfTraffic, rowGroupRows, threads }),
  });
}
