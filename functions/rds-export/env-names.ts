/**
 * Names of the environment variables the RDS log exporter reads, and the metrics it emits.
 * Shared with `infra/` (like `functions/ingest/env-names.ts`), so the stack, its alarms and the
 * function cannot disagree.
 */
export const RDS_EXPORT_ENV = {
  /** Central bucket name: the downloaded portions (`raw/rds/…`) and the state (`rds-export/…`) (required). */
  lakeBucket: 'LOGLAKE_LAKE_BUCKET',
  /** URL of the worker's replay queue, where one replay message per written object goes (required). */
  replayQueueUrl: 'LOGLAKE_REPLAY_QUEUE_URL',
  /** The DB instances and their log file filters, JSON: `[{"identifier":"db-1","logFiles":["error/"]}]` (required). */
  instances: 'LOGLAKE_RDS_INSTANCES',
  /** Account of the instances (the deployment account), a path segment of every key (required). */
  account: 'LOGLAKE_RDS_ACCOUNT',
  /** Region of the instances (the deployment region): the RDS client's region and a path segment of every key (required). */
  region: 'LOGLAKE_RDS_REGION',
  /** Milliseconds before the Lambda deadline at which a run stops downloading, writes what it holds and ends. @default 30000 */
  deadlineMarginMs: 'LOGLAKE_DEADLINE_MARGIN_MS',
  /** `NumberOfLines` of one `DownloadDBLogFilePortion` call, halved for a portion RDS truncated at 1 MB. @default 1000 */
  linesPerPortion: 'LOGLAKE_RDS_LINES_PER_PORTION',
  /** Uncompressed bytes one written object holds at most (portions are gathered until then). @default 8388608 */
  objectBytes: 'LOGLAKE_RDS_OBJECT_BYTES',
  /** An S3-compatible endpoint (path-style), for tests. @default AWS */
  s3Endpoint: 'LOGLAKE_S3_ENDPOINT',
} as const;

/**
 * CloudWatch metrics of the RDS log exporter (EMF through Powertools, namespace `Loglake`, the
 * Powertools `service` dimension only), one value each per invocation.
 */
export const RDS_EXPORT_METRICS = {
  namespace: 'Loglake',
  /** Objects written to `raw/rds/…` (each announced to the worker by one replay message). */
  objects: 'RdsExportObjects',
  /** Uncompressed bytes of log downloaded and written. */
  bytes: 'RdsExportBytes',
  /** Instances that failed (not found, access denied, RDS or S3 failing) plus messages that could not be sent. */
  errors: 'RdsExportErrors',
} as const;

/**
 * A DB instance identifier as RDS stores it: 1-63 lowercase letters, digits and hyphens, starting
 * with a letter, no trailing or doubled hyphen. Checked by the stack's configuration and by the
 * function, so a typo fails `cdk synth` instead of every run.
 */
export const RDS_INSTANCE_ID = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;

/** One instance in {@link RDS_EXPORT_ENV.instances}: what the stack writes and the function reads. */
export interface RdsInstanceSetting {
  readonly identifier: string;
  /** Prefixes of the log file names to export (`error/`, `slowquery/mysql-slowquery.log.`); `""` is every file. */
  readonly logFiles: readonly string[];
}

/** What is wrong with one log file name prefix of an instance's filter, or null. */
export function logFilePrefixProblem(p: string): string | null {
  if (p.startsWith('/')) return `must not start with "/" (RDS log file names have none), got ${JSON.stringify(p)}`;
  if (/[*?]/.test(p)) return `must not contain * or ? (it is a literal prefix of the log file name, not a pattern), got ${JSON.stringify(p)}`;
  return null;
}
