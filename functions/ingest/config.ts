/**
 * The worker's configuration, read once from the environment at cold start, validated and
 * frozen. A bad value stops the cold start with a message naming the variable, instead of
 * failing every message later. Unknown `LOGLAKE_*` names are errors too: a typo in a stack
 * should not silently fall back to a default.
 */
import { ConfigError, parseRules, resolveOptions, type PipelineOptions, type RoutingRules } from '../../pipeline/index.js';
import { INGEST_ENV } from './env-names.js';

/** Everything the ingest worker is configured with. */
export interface WorkerConfig {
  readonly lakeBucket: string;
  /** S3-compatible endpoint, or null for AWS. */
  readonly s3Endpoint: string | null;
  readonly rules: RoutingRules | null;
  /** Queue for continuations and hand-overs; null disables yielding at the deadline. */
  readonly continuationQueueUrl: string | null;
  readonly archiveRaw: boolean;
  readonly options: PipelineOptions;
  readonly deadlineMarginMs: number;
  readonly maxConcurrentMessages: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const KNOWN = new Set<string>(Object.values(INGEST_ENV));

function flag(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError('invalid_option', `${name} must be true or false, got ${JSON.stringify(v)}`);
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError('invalid_option', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

function optional(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v === '' ? null : v;
}

/** Reads and validates the worker configuration; throws `ConfigError` naming the variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  for (const name of Object.keys(env)) {
    if (name.startsWith('LOGLAKE_') && !KNOWN.has(name)) {
      throw new ConfigError('unknown_option', `unknown environment variable ${name}; known: ${[...KNOWN].join(', ')}`);
    }
  }
  const lakeBucket = optional(env, INGEST_ENV.lakeBucket);
  if (lakeBucket === null) throw new ConfigError('invalid_option', `${INGEST_ENV.lakeBucket} is required: the name of the central bucket`);
  const endpoint = optional(env, INGEST_ENV.s3Endpoint);
  if (endpoint !== null && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new ConfigError('invalid_option', `${INGEST_ENV.s3Endpoint} must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  const rulesText = optional(env, INGEST_ENV.routingRules);
  return Object.freeze({
    lakeBucket,
    s3Endpoint: endpoint,
    rules: rulesText === null ? null : parseRules(rulesText, INGEST_ENV.routingRules),
    continuationQueueUrl: optional(env, INGEST_ENV.continuationQueueUrl),
    archiveRaw: flag(env, INGEST_ENV.archiveRaw, false),
    options: resolveOptions({
      keepRaw: flag(env, INGEST_ENV.keepRaw, true),
      keepSelfTraffic: flag(env, INGEST_ENV.keepSelfTraffic, false),
      rowGroupRows: optional(env, INGEST_ENV.rowGroupRows) === null ? undefined : positiveInt(env, INGEST_ENV.rowGroupRows, 1),
    }),
    deadlineMarginMs: positiveInt(env, INGEST_ENV.deadlineMarginMs, 30_000),
    maxConcurrentMessages: positiveInt(env, INGEST_ENV.maxConcurrentMessages, 4),
  });
}
