/**
 * Names of the environment variables the replay function reads, and the metrics it emits.
 * Shared with `infra/` (like `functions/ingest/env-names.ts`), so the stack, its alarms and the
 * function cannot disagree.
 */
export const REPLAY_ENV = {
  /** Central bucket name: manifests, run records, control objects (required). */
  lakeBucket: 'LOGLAKE_LAKE_BUCKET',
  /** URL of the worker's replay queue, where the replay messages go (required). */
  replayQueueUrl: 'LOGLAKE_REPLAY_QUEUE_URL',
  /** URL of the function's own control queue, where it sends `replay-continue` (required). */
  controlQueueUrl: 'LOGLAKE_CONTROL_QUEUE_URL',
  /** Milliseconds before the Lambda deadline at which a run stops and continues in a new invocation. @default 120000 */
  yieldMarginMs: 'LOGLAKE_YIELD_MARGIN_MS',
  /** An S3-compatible endpoint (path-style), for tests. @default AWS */
  s3Endpoint: 'LOGLAKE_S3_ENDPOINT',
  /** The same document as the worker's `LOGLAKE_SOURCE_ACCESS`: listings name the owner and go through a source's role. @default none */
  sourceAccess: 'LOGLAKE_SOURCE_ACCESS',
} as const;

/**
 * CloudWatch metrics of the replay function (EMF through Powertools, namespace `Loglake`, the
 * Powertools `service` dimension only), one value each per invocation.
 */
export const REPLAY_METRICS = {
  namespace: 'Loglake',
  /** Objects the invocation enqueued to the replay queue, over all its runs. */
  enqueued: 'ReplayEnqueued',
  /** Errors the invocation's runs recorded (`errors_total` grew by this) plus requests that failed. */
  errors: 'ReplayErrors',
} as const;
