/**
 * The Parquet writer checked by two independent readers — hyparquet (JavaScript) and DuckDB
 * (C++) — over every column type, nulls, maps, several row groups and multi-page chunks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LakeQuery } from '../../query/lake-query.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { hasZstd, type ParquetCodec } from '../../pipeline/run/options.js';
import { ParquetFileWriter } from '../../pipeline/parquet/parquet-writer.js';
import type { EventFields, EventRow } from '../../schema/index.js';
import { tempDir } from '../helpers/lake.js';

const BASE = Date.UTC(2024, 4, 1);
const STAMP = { object: 's3://bucket/key', objectId: 'abc', ingestedAt: BASE + 99, parserVersion: 'test@1' };

function row(i: number): Partial<EventRow> {
  return {
    time: BASE + i * 1000,
    category: i % 2 ? 'api_activity' : 'http_activity',
    account_id: i % 5 === 0 ? null : '111122223333',
    region: ['us-east-1', 'eu-west-1', 'global'][i % 3] as string,
    actor: `user-${i}`,
    action: i % 7 === 0 ? null : `Action${i % 4}`,
    src_ip: i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i % 250}`,
    src_port: i % 4 === 0 ? null : 1024 + i,
    dst_port: 443,
    status: String(200 + (i % 3)),
    outcome: i % 11 === 0 ? 'failure' : 'success',
    bytes_in: i % 6 === 0 ? null : i * 1_000_003,
    bytes_out: 2 ** 40 + i,
    duration_ms: i % 9 === 0 ? null : i / 8,
    amount: i % 2 ? -0.125 * i : null,
    tags: i % 4 === 0 ? null : i % 4 === 1 ? {} : { team: `t${i % 3}`, 'user:Cost Center': 'ü€' },
    fields: { k1: `v${i}`, empty: '', n: null as unknown as string, [`dyn${i % 5}`]: 'x' },
    raw: `raw line ${i} ${'é'.repeat(i % 13)}`,
    object: 's3://bucket/key',
    ordinal: i + 1,
    record_id: `abc-${i + 1}`,
    ingested_at: BASE + 99,
    parser_version: 'test@1',
  };
}

/** What a reader should return for a row: a null or missing map as an empty map, never NULL. */
function expected(r: Partial<EventRow>): Record<string, unknown> {
  const fields = r.fields as Record<string, string | null>;
  return {
    time: r.time,
    category: r.category,
    account_id: r.account_id,
    region: r.region,
    actor: r.actor,
    action: r.action,
    src_ip: r.src_ip,
    src_port: r.src_port,
    dst_port: r.dst_port,
    status: r.status,
    outcome: r.outcome,
    bytes_in: r.bytes_in,
    bytes_out: r.bytes_out,
    duration_ms: r.duration_ms,
    amount: r.amount,
    tags: r.tags ?? {},
    fields,
    raw: r.raw,
    object: r.object,
    ordinal: r.ordinal,
    record_id: r.record_id,
    parser_version: r.parser_version,
  };
}

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

async function write(rows: Array<Partial<EventRow>>, codec: ParquetCodec, rowGroupRows: number): Promise<string> {
  const sink = new LocalLakeSink(dir.path);
  const key = 'lake/source=cloudtrail/dt=2024-05-01/test.parquet';
  const w = new ParquetFileWriter(await sink.create(key), { codec, rowGroupRows, createdBy: 'loglake test', stamp: STAMP });
  for (const r of rows) {
    w.add(r as EventFields, r.raw ?? null, r.ordinal as number);
    if (w.full) await w.flush();
  }
  const size = await w.close();
  const path = join(dir.path, key);
  expect(readFileSync(path).byteLength).toBe(size);
  return path;
}

/** A file's bytes as an ArrayBuffer of their own (a read Buffer may sit in a larger pooled one, as on Node 24). */
function fileBytes(path: string): ArrayBuffer {
  const buf = readFileSync(path);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function readHyparquet(path: string): Promise<Array<Record<string, unknown>>> {
  const file = fileBytes(path);
  const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
  const compressors = { GZIP: (b: Uint8Array) => new Uint8Array(gunzipSync(b)), ...(zstd ? { ZSTD: (b: Uint8Array) => new Uint8Array(zstd(b)) } : {}) };
  return parquetReadObjects({ file, compressors }) as Promise<Array<Record<string, unknown>>>;
}

function normalizeHyparquet(r: Record<string, unknown>): Record<string, unknown> {
  const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);
  return {
    ...Object.fromEntries(Object.keys(expected(row(0))).map((k) => [k, r[k]])),
    time: (r.time as Date).getTime(),
    bytes_in: num(r.bytes_in),
    bytes_out: num(r.bytes_out),
    ordinal: num(r.ordinal),
  };
}

describe('ParquetFileWriter', () => {
  if (!hasZstd()) it.skip(`round-trips every column (ZSTD): node:zlib of Node ${process.version} has no zstd (Node >= 22.15 has)`, () => undefined);
  for (const codec of [...(hasZstd() ? (['ZSTD'] as const) : []), 'GZIP', 'UNCOMPRESSED', 'SNAPPY'] as const) {
    it(`round-trips every column through hyparquet and DuckDB (${codec}, several row groups)`, async () => {
      const rows = Array.from({ length: 1000 }, (_, i) => row(i));
      const path = await write(rows, codec, 300);
      const meta = parquetMetadata(fileBytes(path));
      expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([300, 300, 300, 100]);
      expect(new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(new Set([codec]));
      expect(meta.created_by).toBe('loglake test');

      const viaHyparquet = (await readHyparquet(path)).map(normalizeHyparquet);
      expect(viaHyparquet).toEqual(rows.map(expected));

      const q = await LakeQuery.open(dir.path);
      try {
        const viaDuck = (
          await q.rows(
            'SELECT epoch_ms(time) AS time, category, account_id, region, actor, action, src_ip, src_port, dst_port, status, outcome, bytes_in, bytes_out, duration_ms, amount, tags, fields, raw, object, ordinal, record_id, parser_version FROM events ORDER BY ordinal',
          )
        ).rows.map((r) => ({
          ...r,
          time: Number(r.time),
          bytes_in: r.bytes_in === null ? null : Number(r.bytes_in),
          bytes_out: Number(r.bytes_out),
          ordinal: Number(r.ordinal),
          tags: Object.fromEntries((r.tags as Array<{ key: string; value: string }>).map((e) => [e.key, e.value])),
          fields: Object.fromEntries((r.fields as Array<{ key: string; value: string }>).map((e) => [e.key, e.value])),
        }));
        expect(viaDuck).toEqual(rows.map(expected));
      } finally {
        q.close();
      }
    });
  }

  it('writes Athena-safe types and time statistics in the footer', async () => {
    const path = await write(Array.from({ length: 50 }, (_, i) => row(i)), 'GZIP', 1000);
    const meta = parquetMetadata(fileBytes(path));
    const time = meta.schema.find((e) => e.name === 'time');
    expect(time).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
    const timeChunk = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'time');
    expect(timeChunk?.meta_data?.statistics).toMatchObject({ null_count: 0n });
    expect(Number((timeChunk?.meta_data?.statistics?.min_value as Date).getTime())).toBe(BASE);
    expect(Number((timeChunk?.meta_data?.statistics?.max_value as Date).getTime())).toBe(BASE + 49_000);
    expect(meta.schema.some((e) => /UINT|INT96/.test(String(e.converted_type ?? '') + String(e.type ?? '')))).toBe(false);
  });

  it('splits large chunks into pages of about 1 MiB and keeps map rows whole across pages', async () => {
    const big = Array.from({ length: 400 }, (_, i) => ({ ...row(i), raw: `${i}:${'x'.repeat(10_000)}`, fields: Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`key${k}`, `${i}-${k}-${'y'.repeat(200)}`])) }));
    const path = await write(big, 'GZIP', 10_000);
    const read = await readHyparquet(path);
    expect(read).toHaveLength(400);
    expect(read.map((r) => r.raw)).toEqual(big.map((r) => r.raw));
    expect(read.map((r) => r.fields)).toEqual(big.map((r) => r.fields));
  });

  it('cuts PLAIN pages whose levels do not fit in front of their values, and those after them, without mixing values', async () => {
    // `actor` is unique (PLAIN) and null in every third row: the definition levels of a page
    // are hundreds of runs, more than the room kept in front of the values at first, so the
    // first page is copied and the next ones are made in place with a larger room.
    const rows = Array.from({ length: 9_000 }, (_, i) => ({ ...row(i), actor: i % 3 === 0 ? null : `${i}-${'a'.repeat(400)}` }));
    const path = await write(rows, 'GZIP', 9_000);
    const meta = parquetMetadata(fileBytes(path));
    const actor = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'actor');
    expect(actor?.meta_data?.encodings).not.toContain('RLE_DICTIONARY');
    const back = await readHyparquet(path);
    expect(back.map((r) => r.actor ?? null)).toEqual(rows.map((r) => r.actor));
    expect(back.map((r) => r.raw)).toEqual(rows.map((r) => r.raw));
  });

  it('switches a column from dictionary to PLAIN when its values turn out distinct, mid row group or at its end', async () => {
    // `actor` repeats for the sampled first rows, so a dictionary is chosen; then it is unique:
    // past 32,768 entries the dictionary is abandoned mid row group (first file), and a
    // dictionary holding more than half distinct values is dropped when the group closes (second).
    // The third repeats 1,000 long values three times: few enough distinct for a dictionary by
    // count, but past 1 MiB of dictionary text, so it too is abandoned mid row group.
    for (const [count, group, actorOf] of [
      [40_000, 40_000, (i: number): string => `user-${i}`],
      [1_000, 1_000, (i: number): string => `user-${i}`],
      [3_100, 3_100, (i: number): string => `${i % 1_000}-${'x'.repeat(2_000)}`],
    ] as const) {
      const rows = Array.from({ length: count }, (_, i) => ({ ...row(i), actor: i < 100 ? 'same' : actorOf(i) }));
      const path = await write(rows, 'GZIP', group);
      const meta = parquetMetadata(fileBytes(path));
      const actor = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'actor');
      expect(actor?.meta_data?.encodings).not.toContain('RLE_DICTIONARY');
      expect(actor?.meta_data?.dictionary_page_offset).toBeUndefined();
      const category = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'category');
      expect(category?.meta_data?.encodings).toContain('RLE_DICTIONARY');
      const back = await readHyparquet(path);
      expect(back.map((r) => r.actor)).toEqual(rows.map((r) => r.actor));
      expect(back.map((r) => r.fields)).toEqual(rows.map((r) => expected(r).fields));
      dir.cleanup();
      dir = tempDir();
    }
  });

  it('writes dictionary indexes wider than a byte, as RLE runs and bit-packed groups, readable by both readers', async () => {
    // 600 distinct actions (10-bit indexes): runs of ten equal values alternate with stretches
    // that change every row, so both hybrid forms occur, and RLE run values take two bytes.
    const rows = Array.from({ length: 6_000 }, (_, i) => ({ ...row(i), action: `Action${i % 20 < 10 ? Math.floor(i / 20) % 600 : (i * 7) % 600}` }));
    const path = await write(rows, 'GZIP', 6_000);
    const meta = parquetMetadata(fileBytes(path));
    const action = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'action');
    expect(action?.meta_data?.encodings).toContain('RLE_DICTIONARY');
    expect((await readHyparquet(path)).map((r) => r.action)).toEqual(rows.map((r) => r.action));
    const q = await LakeQuery.open(dir.path);
    try {
      expect((await q.rows('SELECT action FROM events ORDER BY ordinal')).rows.map((r) => r.action)).toEqual(rows.map((r) => r.action));
    } finally {
      q.close();
    }
  });

  it('closes a row group by size before rowGroupRows when rows are large', async () => {
    const big = Array.from({ length: 600 }, (_, i) => ({ ...row(i), raw: 'z'.repeat(30_000) }));
    const path = await write(big, 'GZIP', 1_000_000);
    const meta = parquetMetadata(fileBytes(path));
    expect(meta.row_groups.length).toBeGreaterThan(1);
    expect(meta.row_groups.reduce((a, g) => a + Number(g.num_rows), 0)).toBe(600);
  });

  it('writes an empty map, never NULL, for tags and fields a record leaves out, so cardinality() is 0 as Athena counts it', async () => {
    // Athena: cardinality(NULL) is NULL, so `WHERE cardinality(tags) = 0` would miss NULL maps.
    const rows = [
      { ...row(1), tags: undefined, fields: undefined },
      { ...row(2), tags: null, fields: null },
      { ...row(3), tags: {}, fields: {} },
      { ...row(4), tags: { team: 'a' }, fields: { k: 'v' } },
    ] as Array<Partial<EventRow>>;
    const path = await write(rows, 'GZIP', 1000);
    const back = await readHyparquet(path);
    expect(back.map((r) => [r.tags, r.fields])).toEqual([
      [{}, {}],
      [{}, {}],
      [{}, {}],
      [{ team: 'a' }, { k: 'v' }],
    ]);
    const q = await LakeQuery.open(dir.path);
    try {
      const sql = 'SELECT ordinal, cardinality(tags) AS t, cardinality(fields) AS f, tags IS NULL AS tags_null, fields IS NULL AS fields_null FROM events ORDER BY ordinal';
      expect((await q.rows(sql)).rows.map((r) => ({ ...r, ordinal: Number(r.ordinal), t: Number(r.t), f: Number(r.f) }))).toEqual([
        { ordinal: 2, t: 0, f: 0, tags_null: false, fields_null: false },
        { ordinal: 3, t: 0, f: 0, tags_null: false, fields_null: false },
        { ordinal: 4, t: 0, f: 0, tags_null: false, fields_null: false },
        { ordinal: 5, t: 1, f: 1, tags_null: false, fields_null: false },
      ]);
    } finally {
      q.close();
    }
  });

  it('writes string min/max statistics in UTF-8 byte order, which readers prune row groups by', async () => {
    // JavaScript's `<` compares UTF-16 code units: an astral character (surrogates D83D DE00)
    // sorts before U+E000 and U+FFFD, while its UTF-8 bytes (F0 9F 98 80) sort after theirs.
    // A lone surrogate is written as U+FFFD (EF BF BD), so it must compare as that.
    const values = ['a', '\uE000', '\uFFFD', '😀', 'b\uD800'];
    const rows = Array.from({ length: 200 }, (_, i) => ({ ...row(i), action: values[i % values.length] as string }));
    const path = await write(rows, 'GZIP', 1000);
    const meta = parquetMetadata(fileBytes(path));
    const action = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'action')?.meta_data;
    expect(action?.encodings).toContain('RLE_DICTIONARY');
    expect(action?.statistics).toMatchObject({ min_value: 'a', max_value: '😀' });
    const q = await LakeQuery.open(dir.path);
    try {
      for (const v of values) {
        // The lone surrogate was stored as U+FFFD, so that is what a query asks for.
        const n = (await q.rows(`SELECT count(*) AS n FROM events WHERE action = '${v.replace('\uD800', '\uFFFD')}'`)).rows[0]?.n;
        expect(Number(n), v).toBe(40);
      }
      const above = (await q.rows("SELECT count(*) AS n FROM events WHERE action > '\uFFFD'")).rows[0]?.n;
      expect(Number(above)).toBe(40);
    } finally {
      q.close();
    }
  });

  it('refuses a null in a required column instead of writing a corrupt file', async () => {
    const sink = new LocalLakeSink(dir.path);
    const w = new ParquetFileWriter(await sink.create('x.parquet'), { codec: 'GZIP', rowGroupRows: 10, createdBy: 't', stamp: STAMP });
    w.add({ ...row(1), time: null as unknown as number } as EventFields, 'raw', 1);
    await expect(w.close()).rejects.toThrow('required column time has a null value');
    await w.abort();
  });

  it('parks small remainders on disk under memory pressure and writes them as one row group at close', async () => {
    const parks = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`loglake-park-${process.pid}-`));
    const before = parks().length;
    const sink = new LocalLakeSink(dir.path);
    const key = 'lake/source=cloudtrail/dt=2024-05-01/parked.parquet';
    const w = new ParquetFileWriter(await sink.create(key), { codec: 'GZIP', rowGroupRows: 1000, createdBy: 't', stamp: STAMP });
    const rows = Array.from({ length: 45 }, (_, i) => row(i));
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as Partial<EventRow>;
      w.add(r as EventFields, r.raw ?? null, r.ordinal as number);
      if (i % 4 === 3) await w.release();
    }
    expect(parks().length).toBe(before + 1);
    expect(w.unwritten).toBe(45);
    await w.close();
    expect(parks().length).toBe(before);
    const path = join(dir.path, key);
    const meta = parquetMetadata(fileBytes(path));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([45]);
    const back = (await readHyparquet(path)).map(normalizeHyparquet).sort((a, b) => (a.ordinal as number) - (b.ordinal as number));
    expect(back).toEqual(rows.map(expected));
  });

  it('writes a row group instead of parking once parked and buffered rows make half a group', async () => {
    const sink = new LocalLakeSink(dir.path);
    const key = 'lake/source=cloudtrail/dt=2024-05-01/half.parquet';
    const w = new ParquetFileWriter(await sink.create(key), { codec: 'GZIP', rowGroupRows: 320, createdBy: 't', stamp: STAMP });
    for (let i = 0; i < 400; i++) {
      const r = row(i);
      w.add(r as EventFields, r.raw ?? null, r.ordinal as number);
      if (i % 4 === 3) await w.release();
    }
    await w.close();
    const meta = parquetMetadata(fileBytes(join(dir.path, key)));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([160, 160, 80]);
  });

  it('writes rather than parks rows that are not a tiny row group', async () => {
    const sink = new LocalLakeSink(dir.path);
    const key = 'lake/source=cloudtrail/dt=2024-05-01/modest.parquet';
    const w = new ParquetFileWriter(await sink.create(key), { codec: 'GZIP', rowGroupRows: 640, createdBy: 't', stamp: STAMP });
    for (let i = 0; i < 30; i++) {
      const r = row(i);
      w.add(r as EventFields, r.raw ?? null, r.ordinal as number);
      if (i % 15 === 14) await w.release();
    }
    await w.close();
    const meta = parquetMetadata(fileBytes(join(dir.path, key)));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([15, 15]);
  });

  it('removes its parked rows when aborted', async () => {
    const parks = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`loglake-park-${process.pid}-`));
    const before = parks().length;
    const sink = new LocalLakeSink(dir.path);
    const w = new ParquetFileWriter(await sink.create('aborted.parquet'), { codec: 'GZIP', rowGroupRows: 1000, createdBy: 't', stamp: STAMP });
    const r = row(1);
    w.add(r as EventFields, r.raw ?? null, 1);
    await w.release();
    expect(parks().length).toBe(before + 1);
    await w.abort();
    expect(parks().length).toBe(before);
  });
});
