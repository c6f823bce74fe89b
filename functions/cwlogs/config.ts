/**
 * The intake function's configuration, read once from the environment at cold start, validated
 * and frozen, as the ingest worker does (`functions/ingest/config.ts`): a bad value stops the
 * cold start naming the variable, and unknown `LOGLAKE_*` names are errors.
 */
import { ConfigError, DEFAULT_LOG_GROUP_MAP, parseLogGroupMap, resolveOptions, type LogGroupMap, type PipelineOptions } from '../../pipeline/index.js';
import { Section, problemsText } from '../../schema/checks.js';
import { CWLOGS_ENV } from './env-names.js';

/** Everything the intake function is configured with. */
export interface CwlogsConfig {
  readonly lakeBucket: string;
  /** S3-compatible endpoint, or null for AWS. */
  readonly s3Endpoint: string | null;
  readonly map: LogGroupMap;
  /**
   * Region of the subscribed log groups: the function's own (`AWS_REGION`), since a subscription
   * filter delivers only to a function in its log group's region. Empty when unknown.
   */
  readonly region: string;
  readonly options: PipelineOptions;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws `ConfigError` naming every bad variable. */
export function loadCwlogsConfig(env: Env): CwlogsConfig {
  const s = new Section(env, { text: true, known: Object.values(CWLOGS_ENV), noun: 'environment variable', only: (name) => name.startsWith('LOGLAKE_') });
  s.required(CWLOGS_ENV.lakeBucket, 'the name of the central bucket');
  const lakeBucket = s.string(CWLOGS_ENV.lakeBucket, '');
  const s3Endpoint = s.optionalString(CWLOGS_ENV.s3Endpoint, /^https?:\/\/[^/\s]+/, 'an http(s) URL');
  const keepRaw = s.bool(CWLOGS_ENV.keepRaw, true);
  const keepSelfTraffic = s.bool(CWLOGS_ENV.keepSelfTraffic, false);
  const rowGroupRows = s.optionalInt(CWLOGS_ENV.rowGroupRows, 1) ?? undefined;
  const mapText = s.optionalString(CWLOGS_ENV.logGroups);
  const [first] = s.problems;
  if (first !== undefined) throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems));
  return Object.freeze({
    lakeBucket,
    s3Endpoint,
    map: mapText === null ? DEFAULT_LOG_GROUP_MAP : parseLogGroupMap(mapText, CWLOGS_ENV.logGroups),
    region: env.AWS_REGION ?? '',
    options: resolveOptions({ keepRaw, keepSelfTraffic, rowGroupRows }),
  });
}
