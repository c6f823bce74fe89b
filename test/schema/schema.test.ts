import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS, glueColumns, gluePartitionKeys, parquetSchema, renderSchemaDoc, SOURCES } from '../../schema/index.js';

describe('schema', () => {
  it('docs/schema.md is generated from the schema table (run npm run docs:schema when this fails)', () => {
    expect(readFileSync(new URL('../../docs/schema.md', import.meta.url), 'utf8')).toBe(renderSchemaDoc());
  });

  it('keeps the column contract of DESIGN.md in order', () => {
    expect(COLUMNS.map((c) => c.name)).toEqual([
      'time', 'category', 'account_id', 'region', 'actor', 'actor_type', 'action', 'resource', 'resource_type',
      'src_ip', 'dst_ip', 'src_port', 'dst_port', 'user_agent', 'status', 'outcome', 'error', 'bytes_in', 'bytes_out',
      'duration_ms', 'request_id', 'amount', 'quantity', 'currency', 'tags', 'fields', 'raw', 'object', 'ordinal',
      'record_id', 'ingested_at', 'parser_version',
    ]);
  });

  it('derives Athena-safe Parquet types: INT64 millisecond UTC timestamps, signed ints, UTF8 strings, MAPs with required keys', () => {
    const schema = parquetSchema();
    expect(schema[0]).toEqual({ name: 'root', num_children: COLUMNS.length });
    const byName = new Map(schema.map((e) => [e.name, e]));
    expect(byName.get('time')).toEqual({
      name: 'time',
      type: 'INT64',
      repetition_type: 'REQUIRED',
      converted_type: 'TIMESTAMP_MILLIS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
    });
    expect(byName.get('src_port')).toEqual({ name: 'src_port', type: 'INT32', repetition_type: 'OPTIONAL' });
    expect(byName.get('bytes_in')).toEqual({ name: 'bytes_in', type: 'INT64', repetition_type: 'OPTIONAL' });
    expect(byName.get('raw')).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } });
    const tags = schema.findIndex((e) => e.name === 'tags');
    expect(schema.slice(tags, tags + 4)).toEqual([
      { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
      { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
      { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
      { name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
    ]);
    expect(schema.some((e) => /UINT|INT96/.test(JSON.stringify(e)))).toBe(false);
  });

  it('derives Glue columns and partition keys that never repeat a data column', () => {
    const cols = glueColumns();
    expect(cols.find((c) => c.name === 'tags')?.type).toBe('map<string,string>');
    expect(cols.find((c) => c.name === 'time')?.type).toBe('timestamp');
    expect(cols.find((c) => c.name === 'ordinal')?.type).toBe('bigint');
    const partitions = gluePartitionKeys().map((c) => c.name);
    expect(partitions).toEqual(['source', 'dt']);
    expect(cols.some((c) => partitions.includes(c.name))).toBe(false);
    expect(SOURCES).toContain('cloudtrail');
  });
});
