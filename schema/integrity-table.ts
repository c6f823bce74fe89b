/**
 * The `integrity` table as stored: JSON lines under `integrity/rows/` of the central bucket, one
 * object per CloudTrail digest. The Glue table (`infra/catalog.ts`) and the DuckDB view
 * (`query/lake-query.ts`) take their columns from here, derived from `INTEGRITY_COLUMNS`.
 *
 * Times are written as `yyyy-MM-dd HH:mm:ss.SSS` (UTC): the text form of `java.sql.Timestamp`,
 * which Athena's JSON SerDe reads into a `timestamp` column and DuckDB casts to `TIMESTAMP`.
 */
import { INTEGRITY_COLUMNS } from './integrity.js';
import { LAKE_LAYOUT } from './lake-layout.js';
import type { JsonTableColumn } from './objects.js';

/** Where the table's files are: its Glue location and the DuckDB view's folder. */
export const INTEGRITY_ROWS_PREFIX = `${LAKE_LAYOUT.integrity.prefix}rows/`;

const ENGINE_TYPES = { string: { athena: 'string', duckdb: 'VARCHAR' }, timestamp: { athena: 'timestamp', duckdb: 'TIMESTAMP' } } as const;

/** The columns of `integrity`, typed for each engine. */
export const INTEGRITY_TABLE_COLUMNS: readonly JsonTableColumn[] = INTEGRITY_COLUMNS.map((c) => ({ name: c.name, ...ENGINE_TYPES[c.type], comment: c.doc.replaceAll('`', '') }));

/** A time of an integrity row as the table stores it. */
export function integrityTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
