/**
 * Names of the environment variables the CloudWatch Logs intake function reads, and the metrics
 * it emits. Shared with `infra/` (like `functions/ingest/env-names.ts`), so the stack, its
 * alarms and the function cannot disagree.
 */
export const CWLOGS_ENV = {
  /** Central bucket name (required). */
  lakeBucket: 'LOGLAKE_LAKE_BUCKET',
  /** Log-group map JSON (docs/cwlogs.md): which format each log group's events go to. @default built-in entries only */
  logGroups: 'LOGLAKE_LOG_GROUPS',
  /** `false` to leave the `raw` column empty (generic `cwlogs` records then keep no message). @default true */
  keepRaw: 'LOGLAKE_KEEP_RAW',
  /** `true` to keep records caused by the pipeline's own requests. @default false */
  keepSelfTraffic: 'LOGLAKE_KEEP_SELF_TRAFFIC',
  /** Rows per Parquet row group. @default 20000 */
  rowGroupRows: 'LOGLAKE_ROW_GROUP_ROWS',
  /** An S3-compatible endpoint (path-style), for tests. @default AWS */
  s3Endpoint: 'LOGLAKE_S3_ENDPOINT',
} as const;

/**
 * CloudWatch metrics of the intake function (EMF through Powertools, namespace `Loglake`, the
 * Powertools `service` dimension). Per source, the worker's own names (`ObjectsProcessed`,
 * `LinesIn`, `RecordsWritten`, `LinesRejected`, `LinesSkipped`), so the per-source dashboard and
 * the rejected-line alarms cover events that arrive through CloudWatch Logs too.
 */
export const CWLOGS_METRICS = {
  namespace: 'Loglake',
  /** Subscription payloads received (one per invocation), control messages included. */
  payloads: 'CwlogsPayloads',
  /** Log events of the data payloads. */
  events: 'CwlogsEvents',
  /** `CONTROL_MESSAGE` payloads: CloudWatch Logs checking the destination; counted, not written. */
  controlMessages: 'CwlogsControlMessages',
  /** Invocations that failed, per `code`: the event was not a payload, a write failed, or a bug. */
  errors: 'CwlogsIntakeErrors',
} as const;
