/**
 * The bounds every reader of the lake agrees on. The writer rejects a record outside them and
 * the Glue table projects exactly this range, so a row DuckDB sees is a row Athena sees.
 */

/**
 * Event times the lake accepts: from the first day AWS wrote any of these logs (S3 launched in
 * March 2006; every supported format is younger) to the day after the clock's today. Athena's
 * partition projection enumerates `dt` over the same range (`<firstDay>,NOW+<daysAhead>DAYS`),
 * evaluated when a query runs, which is never before the row was written.
 */
export const EVENT_TIME_RANGE = { firstDay: '2006-01-01', daysAhead: 1 } as const;

const DAY_MS = 86_400_000;

/** Epoch ms of the first instant of `EVENT_TIME_RANGE.firstDay`. */
export const EARLIEST_EVENT_MS = Date.parse(`${EVENT_TIME_RANGE.firstDay}T00:00:00Z`);

/** Epoch ms just past the last accepted instant, for a writer whose clock reads `nowMs`. */
export function latestEventMsExclusive(nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1 + EVENT_TIME_RANGE.daysAhead) * DAY_MS;
}

/** Athena's `projection.dt.range` for the lake's partitions. */
export function projectionDayRange(firstDay: string = EVENT_TIME_RANGE.firstDay): string {
  return `${firstDay},NOW+${EVENT_TIME_RANGE.daysAhead}DAYS`;
}
