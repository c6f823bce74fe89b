/**
 * Default concurrency of the worker, sized from the configuration so that a burst of
 * notifications can never take the account's whole Lambda concurrency (docs/deploy.md, "Security
 * and capacity"). Plain numbers, no aws-cdk-lib: the configuration reader applies them.
 */

/** What the cap needs of a source; structural, so that the configuration reader can import this module. */
interface NotifiedSource {
  readonly notification: string;
}

/**
 * Invocations the ingest queue may use per notified source. Log deliveries come in bursts (a
 * CloudTrail or load balancer file per region and node every 5 minutes, all at once); five
 * invocations of up to four objects each drain a burst of twenty objects in one round.
 */
export const INGEST_PER_SOURCE = 5;
/** Floor of the ingest cap: even one source gets room for a backlog after an outage. */
export const MIN_INGEST_CONCURRENCY = 10;
/** Ceiling of the default ingest cap: a tenth of the default account quota of 1,000. */
export const MAX_DEFAULT_INGEST_CONCURRENCY = 100;
/** Replays and continuations come in bulk and can wait: the default stays far below ingestion. */
export const DEFAULT_REPLAY_CONCURRENCY = 2;

/**
 * The default cap of the ingest event source: {@link INGEST_PER_SOURCE} per source that sends
 * notifications (poll sources reach the worker through the replay queue), from
 * {@link MIN_INGEST_CONCURRENCY} to {@link MAX_DEFAULT_INGEST_CONCURRENCY}.
 */
export function defaultIngestConcurrency(sources: readonly NotifiedSource[]): number {
  const notified = sources.filter((s) => s.notification !== 'poll').length;
  return Math.min(MAX_DEFAULT_INGEST_CONCURRENCY, Math.max(MIN_INGEST_CONCURRENCY, INGEST_PER_SOURCE * notified));
}

/**
 * The default reserved concurrency: exactly what the two event sources may use together, so
 * neither is throttled by the function's own ceiling and nothing else can run it wider.
 */
export function defaultReservedConcurrency(ingest: number, replay: number): number {
  return ingest + replay;
}
