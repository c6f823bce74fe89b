/**
 * The worker's configuration, read once from the environment at cold start, validated and
 * frozen. A bad value stops the cold start with a message naming the variable, instead of
 * failing every message later. Unknown `LOGLAKE_*` names are errors too: a typo in a stack
 * should not silently fall back to a default.
 */
import { ConfigError, parseLogGroupMap, parseRules, resolveOptions, type LogGroupMap, type PipelineOptions, type RoutingRules } from '../../pipeline/index.js';
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
  /** Queue for continuations and hand-overs; null disables yielding at the deadline. */
  readonly continuationQueueUrl: string | null;
  readonly archiveRaw: boolean;
  readonly options: PipelineOptions;
  readonly deadlineMarginMs: number;
  readonly maxConcurrentMessages: number;
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
    deadlineMarginMs: s.int(INGEST_ENV.deadlineMarginMs, 30_000, 1),
    maxConcurrentMessages: s.int(INGEST_ENV.maxConcurrentMessages, 4, 1),
  };
  const [first] = s.problems;
  if (first !== undefined) throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems));
  const rulesText = s.optionalString(INGEST_ENV.routingRules);
  const logGroupsText = s.optionalString(INGEST_ENV.logGroups);
  const { keepRaw, keepSelfTraffic, rowGroupRows, ...rest } = config;
  return Object.freeze({
    ...rest,
    rules: rulesText === null ? null : parseRules(rulesText, INGEST_ENV.routingRules),
    logGroups: logGroupsText === null ? null : parseLogGroupMap(logGroupsText, INGEST_ENV.logGroups),
    options: resolveOptions({ keepRaw, keepSelfTraffic, rowGroupRows }),
  });
}
