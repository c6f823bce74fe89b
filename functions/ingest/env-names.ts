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
} as const;
