/**
 * Names of the environment variables the ingest worker reads. Shared with `infra/` (the one
 * thing infra may import from outside `schema/`), so the stack and the function cannot disagree.
 */
export const INGEST_ENV = {
  /** Central bucket name (required). */
  lakeBucket: 'LOGLAKE_LAKE_BUCKET',
  /** Routing rules JSON, same format as the CLI's `--rules` file. @default built-in patterns only */
  routingRules: 'LOGLAKE_ROUTING_RULES',
  /** URL of the queue that receives continuation messages (normally the replay queue). */
  continuationQueueUrl: 'LOGLAKE_CONTINUATION_QUEUE_URL',
  /** `true` to copy each source object to `raw/…` with CopyObject. @default false */
  archiveRaw: 'LOGLAKE_ARCHIVE_RAW',
  /** `false` to leave the `raw` column empty. @default true */
  keepRaw: 'LOGLAKE_KEEP_RAW',
  /** `true` to keep records caused by the pipeline's own requests. @default false */
  keepSelfTraffic: 'LOGLAKE_KEEP_SELF_TRAFFIC',
  /** Milliseconds before the Lambda deadline at which the worker hands over. @default 30000 */
  deadlineMarginMs: 'LOGLAKE_DEADLINE_MARGIN_MS',
  /** Messages of one batch processed at the same time; bounds memory with large objects. @default 4 */
  maxConcurrentMessages: 'LOGLAKE_MAX_CONCURRENT_MESSAGES',
  /** Rows per Parquet row group: memory per open partition is about this times the row size. @default 20000 */
  rowGroupRows: 'LOGLAKE_ROW_GROUP_ROWS',
  /**
   * Threads that parse, validate and encode (1 = no worker thread); the output is the same bytes
   * whatever the number. @default the function's vCPUs (about one per 1,769 MB of memory)
   */
  threads: 'LOGLAKE_THREADS',
  /** An S3-compatible endpoint (path-style), for the local runner and tests. @default AWS */
  s3Endpoint: 'LOGLAKE_S3_ENDPOINT',
  /** CloudWatch Logs log-group map JSON (docs/cwlogs.md), for Firehose objects of subscription payloads. @default built-in entries only */
  logGroups: 'LOGLAKE_LOG_GROUPS',
  /** `true` to check CloudTrail digests into the `integrity` table (docs/integrity.md); the stack sets it. @default false */
  integrity: 'LOGLAKE_INTEGRITY',
  /** Hours after a digest's end at which a listed log file still not ingested is `missing_log`. @default 24 */
  missingLogAfterHours: 'LOGLAKE_MISSING_LOG_AFTER_HOURS',
  /** ARN of the SNS topic integrity findings are published to. @default none: findings are in the `integrity` table only */
  alarmTopicArn: 'LOGLAKE_ALARM_TOPIC_ARN',
  /**
   * Owner of each source bucket and the roles that read sources (JSON, written by the stack from
   * the configuration; `pipeline/storage/source-access.ts`): every read names the bucket's
   * expected owner, and a source with a `roleArn` is read with that role's credentials. @default none
   */
  sourceAccess: 'LOGLAKE_SOURCE_ACCESS',
} as const;

/**
 * CloudWatch metrics the worker emits (EMF through Powertools), for alarms and the dashboard.
 * Every metric carries the Powertools `service` dimension; the per-object ones also `source`,
 * the error ones `code` (a stable error code).
 */
export const INGEST_METRICS = {
  namespace: 'Loglake',
  /** Objects completed, per source. */
  objects: 'ObjectsProcessed',
  /** Objects recognized and deliberately not parsed (digests, ignore rules, superseded continuations), per reason as `source`. */
  objectsIgnored: 'ObjectsIgnored',
  linesIn: 'LinesIn',
  records: 'RecordsWritten',
  rejected: 'LinesRejected',
  skipped: 'LinesSkipped',
  /** Records caused by the pipeline's own requests, dropped (a subset of LinesSkipped). */
  selfTraffic: 'SelfTrafficSkipped',
  /** Frames with fields the parser's format version does not know. */
  drift: 'SchemaDrift',
  bytesIn: 'BytesIn',
  bytesOut: 'BytesOut',
  /** Seconds from the source object's last-modified time to its lake output (one value per object). */
  lag: 'IngestLagSeconds',
  /** Runs that stopped at the deadline and sent a continuation. */
  continuations: 'Continuations',
  /** Objects that failed permanently, per `code` (ObjectError codes). */
  objectErrors: 'ObjectErrors',
  /** Messages retried because of throttling, 5xx, timeouts, per `code`. */
  transientErrors: 'TransientErrors',
  /** Messages that could not be decoded, per `code` (MessageError codes): they end in the DLQ. */
  messageErrors: 'MessageErrors',
  /** Failures that fit no class: bugs. */
  internalErrors: 'InternalErrors',
  /** Messages acknowledged without work (S3 test events, informational Config messages), per `shape`. */
  messagesIgnored: 'MessagesIgnored',
} as const;
