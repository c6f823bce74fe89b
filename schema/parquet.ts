/**
 * The Parquet schema of `events` files, derived from `COLUMNS`.
 *
 * Elements are plain objects in the shape of parquet-format's `SchemaElement` (as used by
 * hyparquet), so this module needs no writer library. Types follow what Athena reads without
 * surprises: INT64 millisecond UTC timestamps, signed integers only, plain UTF8 strings and
 * real MAP groups with REQUIRED keys.
 */
import { COLUMNS, type ColumnType } from './columns.js';

/** The subset of parquet-format's SchemaElement that the schema uses. */
export interface ParquetSchemaElement {
  name: string;
  type?: 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY';
  repetition_type?: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  converted_type?: 'UTF8' | 'MAP' | 'TIMESTAMP_MILLIS' | 'INT_32' | 'INT_64';
  logical_type?: { type: 'STRING' } | { type: 'TIMESTAMP'; isAdjustedToUTC: boolean; unit: 'MILLIS' };
  num_children?: number;
}

function leaf(name: string, type: ColumnType, required: boolean): ParquetSchemaElement[] {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
  switch (type) {
    case 'timestamp':
      return [
        {
          name,
          type: 'INT64',
          repetition_type,
          converted_type: 'TIMESTAMP_MILLIS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        },
      ];
    case 'string':
      return [{ name, type: 'BYTE_ARRAY', repetition_type, converted_type: 'UTF8', logical_type: { type: 'STRING' } }];
    case 'int':
      return [{ name, type: 'INT32', repetition_type }];
    case 'bigint':
      return [{ name, type: 'INT64', repetition_type }];
    case 'double':
      return [{ name, type: 'DOUBLE', repetition_type }];
    case 'map':
      return [
        { name, repetition_type, converted_type: 'MAP', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
        { name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
      ];
  }
}

/** The flattened Parquet schema (root first) of an `events` file. */
export function parquetSchema(): ParquetSchemaElement[] {
  const elements: ParquetSchemaElement[] = [{ name: 'root', num_children: COLUMNS.length }];
  for (const column of COLUMNS) {
    elements.push(...leaf(column.name, column.type, 'required' in column && column.required));
  }
  return elements;
}
