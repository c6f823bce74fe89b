/**
 * TypeScript views of a row, derived from `COLUMNS` so they cannot drift from the table.
 */
import type { Column, ColumnType } from './columns.js';

interface TsTypeOf {
  timestamp: number;
  string: string;
  int: number;
  bigint: number;
  double: number;
  map: Record<string, string>;
}

type ValueOf<C extends Column> = C extends { required: true }
  ? TsTypeOf[C['type'] & ColumnType]
  : TsTypeOf[C['type'] & ColumnType] | null;

/** A complete row of table `events` (without its partition keys); timestamps are epoch ms. */
export type EventRow = { [C in Column as C['name']]: ValueOf<C> };

type ParserColumn = Exclude<Column, { stamped: true }>;
type RequiredParserColumn = Extract<ParserColumn, { required: true }>['name'];

/**
 * What a parser produces for one record: `time`, `category` and `outcome` always; any other
 * data column when the source has it. The pipeline stamps `raw`, `object`, `ordinal`,
 * `record_id`, `ingested_at` and `parser_version`.
 */
export type EventFields = { [K in RequiredParserColumn]: EventRow[K] } & {
  [K in Exclude<ParserColumn['name'], RequiredParserColumn>]?: EventRow[K];
};
