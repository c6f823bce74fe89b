/**
 * Glue / Athena column lists of the `events` and `errors` tables, derived from the schema.
 * `infra/` builds the tables from these; nothing else spells a column type for Athena.
 */
import { COLUMNS, COLUMN_TYPES, ERROR_COLUMNS, PARTITION_KEYS } from './columns.js';

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

const strip = (doc: string): string => doc.replaceAll('`', '');

/** Data columns of `events` as Glue declares them. */
export function glueColumns(): GlueColumn[] {
  return COLUMNS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}

/** Partition keys shared by `events` and `errors`. */
export function gluePartitionKeys(): GlueColumn[] {
  return PARTITION_KEYS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}

/** Data columns of `errors` (JSON lines, gzip). */
export function glueErrorColumns(): GlueColumn[] {
  return ERROR_COLUMNS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}
