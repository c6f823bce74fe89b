/**
 * Parquet objects as content (`pipeline/decode/parquet-rows.ts`): a flow-log-shaped Parquet file,
 * GZIP-coded as AWS writes them, several row groups, read through `decompress` in small reads,
 * comes out as one JSON line per row in order, 64-bit integers as numbers, nulls kept; SNAPPY too;
 * a truncated or damaged file is `corrupt_archive`; the spool folder is removed.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { decompress, detectCompression } from '../../pipeline/decode/decompress.js';
import { PARQUET_SLICE_ROWS } from '../../pipeline/decode/parquet-rows.js';
import { ObjectError } from '../../pipeline/run/errors.js';

const ROWS = PARQUET_SLICE_ROWS * 2 + 123;

function flowRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    version: 5,
    account_id: '123456789012',
    interface_id: `eni-${(i % 7).toString(16).padStart(17, '0')}`,
    srcaddr: `10.0.${i % 256}.${(i * 7) % 256}`,
    dstaddr: '203.0.113.12',
    srcport: 40000 + (i % 2000),
    dstport: i % 3 === 0 ? 443 : 22,
    protocol: 6n,
    packets: BigInt(i + 1),
    bytes: BigInt((i + 1) * 1500),
    start: 1_700_000_000n + BigInt(i),
    end: 1_700_000_060n + BigInt(i),
    action: i % 5 === 0 ? 'REJECT' : 'ACCEPT',
    log_status: 'OK',
    vpc_id: i % 11 === 0 ? null : 'vpc-0abc',
  }));
}

function parquetFile(rows: Record<string, unknown>[], codec: 'GZIP' | 'SNAPPY'): Uint8Array {
  const names = Object.keys(rows[0] as object);
  const types: Record<string, 'INT32' | 'INT64' | 'STRING'> = { version: 'INT32', srcport: 'INT32', dstport: 'INT32', protocol: 'INT64', packets: 'INT64', bytes: 'INT64', start: 'INT64', end: 'INT64' };
  const buffer = parquetWriteBuffer({
    columnData: names.map((name) => ({ name, data: rows.map((r) => r[name]), type: types[name] ?? 'STRING', nullable: true })),
    codec,
    compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
    rowGroupSize: 3000,
  });
  return new Uint8Array(buffer);
}

async function* reads(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.byteLength; i += size) yield buf.subarray(i, i + size);
}

async function lines(buf: Uint8Array): Promise<{ lines: string[]; compression: string | null; starts: number }> {
  let compression: string | null = null;
  let text = '';
  let starts = 0;
  const counter = { bytes: 0 };
  for await (const c of decompress(reads(buf, 4093), 'test://flow.log.parquet', counter, (x) => (compression = x))) {
    if (c.entryStart) starts++;
    text += c.data.toString('utf8');
  }
  expect(counter.bytes).toBe(buf.byteLength);
  return { lines: text.split('\n').slice(0, -1), compression, starts };
}

const spools = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('loglake-parquet-'));

describe('Parquet objects as JSON lines', () => {
  it('reads every row of a GZIP-coded, multi-row-group file in order, 64-bit integers as numbers, nulls kept', async () => {
    const rows = flowRows(ROWS);
    const file = parquetFile(rows, 'GZIP');
    expect(detectCompression(file.subarray(0, 4))).toBe('parquet');
    const before = spools();
    const out = await lines(file);
    expect(out.compression).toBe('parquet');
    expect(out.starts).toBe(1);
    expect(out.lines).toHaveLength(ROWS);
    const expected = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
    expect(out.lines).toEqual(expected);
    expect(JSON.parse(out.lines[0] as string)).toMatchObject({ packets: 1, start: 1_700_000_000, vpc_id: null });
    expect(spools()).toEqual(before);
  });

  it('reads SNAPPY-coded files too', async () => {
    const rows = flowRows(50);
    const out = await lines(parquetFile(rows, 'SNAPPY'));
    expect(out.lines.map((l) => (JSON.parse(l) as { srcaddr: string }).srcaddr)).toEqual(rows.map((r) => r.srcaddr));
  });

  it('a truncated or damaged file is corrupt_archive, and its spool is removed', async () => {
    const file = parquetFile(flowRows(100), 'GZIP');
    const before = spools();
    for (const bad of [file.subarray(0, file.byteLength - 20), Uint8Array.from([...file.subarray(0, 200), ...new Uint8Array(50), ...file.subarray(250)])]) {
      const e = await lines(bad).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ObjectError);
      expect((e as ObjectError).code).toBe('corrupt_archive');
      expect((e as ObjectError).message).toMatch(/^test:\/\/flow\.log\.parquet: /);
    }
    expect(spools()).toEqual(before);
  });

  it('text that happens to start with PAR1 but is not Parquet fails clearly, not silently', async () => {
    const e = await lines(Buffer.from('PAR1 is the name of a column\nmore text\n')).then(
      () => null,
      (err: unknown) => err,
    );
    expect((e as ObjectError).code).toBe('corrupt_archive');
    expect((e as ObjectError).message).toContain('not a readable Parquet file');
  });
});
