/**
 * The replay function's configuration, read once from the environment at cold start, validated
 * and frozen, as the ingest worker does (`functions/ingest/config.ts`): a bad value stops the
 * cold start naming the variable, and unknown `LOGLAKE_*` names are errors.
 */
import { ConfigError, parseSourceAccess, type SourceAccess } from '../../pipeline/index.js';
import { Section, problemsText } from '../../schema/checks.js';
import { REPLAY_ENV } from './env-names.js';

/** Everything the replay function is configured with. */
export interface ReplayConfig {
  readonly lakeBucket: string;
  readonly replayQueueUrl: string;
  readonly controlQueueUrl: string;
  /** A run yields when the invocation has less than this left. */
  readonly yieldMarginMs: number;
  /** S3-compatible endpoint, or null for AWS. */
  readonly s3Endpoint: string | null;
  /** Owners of the source buckets and the roles that read sources; null: own credentials, no owner check. */
  readonly sourceAccess: SourceAccess | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Default of {@link ReplayConfig.yieldMarginMs}: a chunk (1,000 manifest reads, 100 batch sends) and a record write fit in it. */
export const DEFAULT_YIELD_MARGIN_MS = 120_000;

const QUEUE_URL = /^https?:\/\/\S+$/;

/** Reads and validates the replay configuration; throws `ConfigError` naming every bad variable. */
export function loadReplayConfig(env: Env): ReplayConfig {
  const s = new Section(env, { text: true, known: Object.values(REPLAY_ENV), noun: 'environment variable', only: (name) => name.startsWith('LOGLAKE_') });
  s.required(REPLAY_ENV.lakeBucket, 'the name of the central bucket');
  s.required(REPLAY_ENV.replayQueueUrl, 'the queue the replay messages go to');
  s.required(REPLAY_ENV.controlQueueUrl, 'the queue a run continues through');
  const config: Omit<ReplayConfig, 'sourceAccess'> = {
    lakeBucket: s.string(REPLAY_ENV.lakeBucket, ''),
    replayQueueUrl: s.string(REPLAY_ENV.replayQueueUrl, '', QUEUE_URL, 'a queue URL'),
    controlQueueUrl: s.string(REPLAY_ENV.controlQueueUrl, '', QUEUE_URL, 'a queue URL'),
    yieldMarginMs: s.int(REPLAY_ENV.yieldMarginMs, DEFAULT_YIELD_MARGIN_MS, 1),
    s3Endpoint: s.optionalString(REPLAY_ENV.s3Endpoint, /^https?:\/\/[^/\s]+/, 'an http(s) URL'),
  };
  const [first] = s.problems;
  if (first !== undefined) throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems));
  const accessText = s.optionalString(REPLAY_ENV.sourceAccess);
  return Object.freeze({ ...config, sourceAccess: accessText === null ? null : parseSourceAccess(accessText, REPLAY_ENV.sourceAccess) });
}
