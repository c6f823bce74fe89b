/**
 * Encodes the column chunks of one row group of an `events` file into uncompressed Parquet
 * pages (DATA_PAGE v1, PLAIN or RLE_DICTIONARY values, RLE levels).
 *
 * Why not hyparquet-writer's `ParquetWriter`: it is general (any schema, nested values through a
 * recursive Dremel walk, a TextEncoder allocation per string) and measured at ~9k rows/s on our
 * CloudTrail rows, 3x short of the budget (bench/README.md). This module knows our one schema —
 * flat columns plus two string maps — and writes strings straight into page buffers. File
 * structure (page headers, footer thrift, RLE/bit-packing) still comes from hyparquet-writer.
 */
import { ByteWriter } from 'hyparquet-writer';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { COLUMNS, type ColumnType } from '../schema/index.js';

/** Target uncompressed size of a data page: large enough to compress well, small enough for readers. */
export const PAGE_BYTES = 1024 * 1024;
/** Dictionaries larger than this are abandoned for PLAIN encoding. */
const MAX_DICTIONARY_ENTRIES = 32_768;
/** A column whose first values are this distinct is not worth a dictionary (raw lines, ids). */
const SAMPLE = 64;
const SAMPLE_DISTINCT_LIMIT = 40;
/** Level entries per data page at most, so dictionary-encoded pages stay small too. */
const MAX_PAGE_ENTRIES = 131_072;

export type PhysicalType = 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY';

/** One leaf column of the file schema, in file order. */
export interface Leaf {
  readonly path: readonly string[];
  readonly column: string;
  readonly type: PhysicalType;
  readonly logical: ColumnType;
  /** `key` / `value` for the leaves of a map, null for flat columns. */
  readonly mapPart: 'key' | 'value' | null;
  readonly maxDef: number;
  readonly maxRep: number;
  /** Write min/max statistics (cheap for numbers and dictionaries; used by Athena to skip data). */
  readonly minMax: boolean;
}

const PHYSICAL: Record<ColumnType, PhysicalType> = {
  timestamp: 'INT64',
  string: 'BYTE_ARRAY',
  int: 'INT32',
  bigint: 'INT64',
  double: 'DOUBLE',
  map: 'BYTE_ARRAY',
};

/** Leaves in the order of `parquetSchema()`. */
export const LEAVES: readonly Leaf[] = COLUMNS.flatMap((c): Leaf[] => {
  const required = 'required' in c && c.required;
  if (c.type === 'map') {
    return [
      { path: [c.name, 'key_value', 'key'], column: c.name, type: 'BYTE_ARRAY', logical: 'string', mapPart: 'key', maxDef: 2, maxRep: 1, minMax: false },
      { path: [c.name, 'key_value', 'value'], column: c.name, type: 'BYTE_ARRAY', logical: 'string', mapPart: 'value', maxDef: 3, maxRep: 1, minMax: false },
    ];
  }
  const minMax = c.type !== 'string' || ['category', 'account_id', 'region', 'action', 'outcome', 'status', 'parser_version'].includes(c.name);
  return [{ path: [c.name], column: c.name, type: PHYSICAL[c.type], logical: c.type, mapPart: null, maxDef: required ? 0 : 1, maxRep: 0, minMax }];
});

/** An uncompressed page, ready for compression and a header. */
export interface RawPage {
  readonly kind: 'DATA_PAGE' | 'DICTIONARY_PAGE';
  readonly bytes: Uint8Array;
  readonly numValues: number;
  readonly encoding: 'PLAIN' | 'RLE_DICTIONARY';
}

export interface EncodedChunk {
  readonly leaf: Leaf;
  readonly pages: RawPage[];
  /** Level entries (values + null placeholders) in the chunk. */
  readonly numValues: number;
  readonly nullCount: number;
  readonly min: unknown;
  readonly max: unknown;
  readonly dictionary: boolean;
}

/** A growable byte buffer for page bodies, writing strings without intermediate allocations. */
class PageBuffer {
  buf: Buffer;
  off = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.off + n <= this.buf.byteLength) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.byteLength * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  /**
   * A length-prefixed UTF-8 string. Short ASCII strings (most field values) are copied by a JS
   * loop, which measured 1.6x faster than `Buffer.write` for them; others go to the native encoder.
   */
  string(s: string): void {
    const len = s.length;
    // Reserve the UTF-8 worst case only when it might not fit, so pages sized by character
    // count do not regrow (and copy) for their last string.
    if (this.off + 4 + len * 3 > this.buf.byteLength) this.ensure(4 + Buffer.byteLength(s));
    const buf = this.buf;
    const start = this.off + 4;
    let n = -1;
    if (len < 64) {
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[start + i] = c;
      }
      if (i === len) n = len;
    }
    if (n < 0) n = buf.write(s, start, 'utf8');
    const o = this.off;
    buf[o] = n & 0xff;
    buf[o + 1] = (n >>> 8) & 0xff;
    buf[o + 2] = (n >>> 16) & 0xff;
    buf[o + 3] = n >>> 24;
    this.off = start + n;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.off);
    this.off += 4;
  }

  int64(v: number): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(v), this.off);
    this.off += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.off);
    this.off += 8;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v;
  }

  /** ULEB128, as RLE run headers are written. */
  varint(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.off++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.off++] = v;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.byteLength);
    this.buf.set(b, this.off);
    this.off += b.byteLength;
  }

  take(): Uint8Array {
    return this.buf.subarray(0, this.off);
  }
}

/** RLE/bit-packed hybrid of levels or dictionary indexes, via hyparquet-writer's encoder. */
function rle(values: readonly number[], bitWidth: number): Uint8Array {
  const w = new ByteWriter();
  writeRleBitPackedHybrid(w as never, values as number[], bitWidth);
  return w.getBytes();
}

function bitWidthOf(max: number): number {
  return max <= 0 ? 1 : 32 - Math.clz32(max);
}

/**
 * One column of a row group as level entries: `vals[e]` is the value of entry `e` (null where
 * undefined), `def`/`rep` its levels. Flat columns have one entry per row and no rep levels; a
 * map column has one entry per key (at least one per row) and is flattened once for both leaves.
 */
interface Levels {
  readonly entries: number;
  readonly rep: ArrayLike<number> | null;
  readonly def: ArrayLike<number> | null;
  readonly vals: ArrayLike<unknown>;
  readonly nonNull: number;
}

function flatLevels(leaf: Leaf, column: readonly unknown[]): Levels {
  const n = column.length;
  if (leaf.maxDef === 0) {
    for (let i = 0; i < n; i++) {
      if (column[i] === null || column[i] === undefined) throw new Error(`parquet: required column ${leaf.column} has a null value`);
    }
    return { entries: n, rep: null, def: null, vals: column, nonNull: n };
  }
  const def = new Uint8Array(n);
  let nonNull = 0;
  for (let i = 0; i < n; i++) {
    const v = column[i];
    if (v !== null && v !== undefined) {
      def[i] = 1;
      nonNull++;
    }
  }
  return { entries: n, rep: null, def, vals: column, nonNull };
}

interface FlatMap {
  readonly rep: number[];
  readonly keyDef: number[];
  readonly valueDef: number[];
  readonly keys: Array<string | null>;
  readonly values: Array<string | null>;
  readonly keyCount: number;
  readonly valueCount: number;
}

/** Flattens a map column once; its key and value leaves are encoded from the same arrays. */
function flattenMap(column: readonly unknown[]): FlatMap {
  const rep: number[] = [];
  const keyDef: number[] = [];
  const valueDef: number[] = [];
  const keys: Array<string | null> = [];
  const values: Array<string | null> = [];
  let keyCount = 0;
  let valueCount = 0;
  for (let r = 0; r < column.length; r++) {
    const m = column[r] as Record<string, string | null | undefined> | null | undefined;
    let first = true;
    if (m !== null && m !== undefined) {
      for (const k in m) {
        const v = m[k];
        rep.push(first ? 0 : 1);
        first = false;
        keyDef.push(2);
        keys.push(k);
        keyCount++;
        if (v === null || v === undefined) {
          valueDef.push(2);
          values.push(null);
        } else {
          valueDef.push(3);
          values.push(v);
          valueCount++;
        }
      }
    }
    if (first) {
      // a null or empty map: one placeholder entry, defined up to nothing
      rep.push(0);
      keyDef.push(0);
      valueDef.push(0);
      keys.push(null);
      values.push(null);
    }
  }
  return { rep, keyDef, valueDef, keys, values, keyCount, valueCount };
}

function mapLevels(leaf: Leaf, m: FlatMap): Levels {
  return leaf.mapPart === 'key'
    ? { entries: m.rep.length, rep: m.rep, def: m.keyDef, vals: m.keys, nonNull: m.keyCount }
    : { entries: m.rep.length, rep: m.rep, def: m.valueDef, vals: m.values, nonNull: m.valueCount };
}

function writeValue(page: PageBuffer, type: PhysicalType, v: unknown): void {
  switch (type) {
    case 'BYTE_ARRAY':
      page.string(v as string);
      break;
    case 'INT32':
      page.int32(v as number);
      break;
    case 'INT64':
      page.int64(v as number);
      break;
    case 'DOUBLE':
      page.double(v as number);
      break;
  }
}

/**
 * Builds a dictionary over the defined entries of a string column, or returns null when the
 * column is too distinct for one to pay (decided on a sample first, so unique columns cost little).
 */
function dictionaryOf(levels: Levels, maxDef: number): { dict: string[]; indexes: Int32Array } | null {
  const { vals, def, rep, entries } = levels;
  const sample = new Set<unknown>();
  for (let e = 0; e < entries && sample.size <= SAMPLE_DISTINCT_LIMIT && e < SAMPLE * 4; e++) {
    if (def === null || def[e] === maxDef) sample.add(vals[e]);
    if (sample.size >= SAMPLE) break;
  }
  if (sample.size > SAMPLE_DISTINCT_LIMIT) return null;
  const map = new Map<string, number>();
  const dict: string[] = [];
  const indexes = new Int32Array(levels.nonNull);
  const limit = Math.min(MAX_DICTIONARY_ENTRIES, (levels.nonNull >> 1) + 16);
  // Map keys repeat in the same order row after row: remembering the key seen at each position
  // of the previous row skips most hash lookups.
  const lastAt: string[] = [];
  const lastIdx: number[] = [];
  let pos = 0;
  let j = 0;
  for (let e = 0; e < entries; e++) {
    if (rep !== null) pos = rep[e] === 0 ? 0 : pos + 1;
    if (def !== null && def[e] !== maxDef) continue;
    const v = vals[e] as string;
    if (rep !== null && lastAt[pos] === v) {
      indexes[j++] = lastIdx[pos] as number;
      continue;
    }
    let idx = map.get(v);
    if (rep !== null) {
      lastAt[pos] = v;
      lastIdx[pos] = idx ?? dict.length;
    }
    if (idx === undefined) {
      idx = dict.length;
      if (idx >= limit) return null;
      map.set(v, idx);
      dict.push(v);
    }
    indexes[j++] = idx;
  }
  return { dict, indexes };
}

function minMaxOf(values: ArrayLike<unknown>, def: ArrayLike<number> | null, maxDef: number): { min: unknown; max: unknown } {
  let min: unknown = undefined;
  let max: unknown = undefined;
  for (let i = 0; i < values.length; i++) {
    if (def !== null && def[i] !== maxDef) continue;
    const v = values[i] as number;
    if (min === undefined || v < (min as number)) min = v;
    if (max === undefined || v > (max as number)) max = v;
  }
  return { min, max };
}

/** Approximate encoded size of one entry, used only to decide where pages end. */
function entrySize(type: PhysicalType, v: unknown): number {
  return type === 'BYTE_ARRAY' ? 4 + (v as string).length : type === 'INT32' ? 4 : 8;
}

/**
 * Levels as pure RLE runs (valid RLE/bit-packed hybrid): levels come in long runs (a column
 * without nulls is one run; a map row is `0` then `1`s), so runs beat bit-packing here and need
 * no copy of the level array. Levels are at most 3, so a run value is one byte.
 */
function levelBytes(levels: ArrayLike<number>, start: number, end: number): Uint8Array {
  const out = new PageBuffer(64);
  let i = start;
  while (i < end) {
    const v = levels[i] as number;
    let j = i + 1;
    while (j < end && levels[j] === v) j++;
    out.varint((j - i) * 2);
    out.byte(v);
    i = j;
  }
  return out.take();
}

/**
 * Encodes one leaf column of a row group: pages of about `PAGE_BYTES` cut at row boundaries,
 * each written once into its own buffer: levels, then PLAIN values or dictionary indexes.
 */
function encodeChunk(leaf: Leaf, levels: Levels): EncodedChunk {
  const { entries, rep, def, vals } = levels;
  const maxDef = leaf.maxDef;
  const dictionary = leaf.type === 'BYTE_ARRAY' ? dictionaryOf(levels, maxDef) : null;
  const pages: RawPage[] = [];
  let min: unknown = undefined;
  let max: unknown = undefined;

  if (dictionary) {
    const page = new PageBuffer(Math.max(64, dictionary.dict.length * 24));
    for (const v of dictionary.dict) page.string(v);
    pages.push({ kind: 'DICTIONARY_PAGE', bytes: page.take(), numValues: dictionary.dict.length, encoding: 'PLAIN' });
    if (leaf.minMax) ({ min, max } = minMaxOf(dictionary.dict, null, 0));
  } else if (leaf.minMax && leaf.type !== 'BYTE_ARRAY') {
    ({ min, max } = minMaxOf(vals, def, maxDef));
  }

  const bitWidth = dictionary ? bitWidthOf(dictionary.dict.length - 1) : 0;
  let start = 0;
  let valueIndex = 0;
  while (start < entries) {
    // find the end of this page: a row boundary past PAGE_BYTES or MAX_PAGE_ENTRIES
    let end = start;
    let bytes = 0;
    while (end < entries) {
      if (end > start && (bytes >= PAGE_BYTES || end - start >= MAX_PAGE_ENTRIES) && (rep === null || rep[end] === 0)) break;
      if (def === null || def[end] === maxDef) bytes += dictionary ? 1 : entrySize(leaf.type, vals[end]);
      end++;
    }
    const page = new PageBuffer(64 + (dictionary ? (end - start) >> 1 : bytes + (bytes >> 3)));
    if (rep !== null) {
      const b = levelBytes(rep, start, end);
      page.int32(b.byteLength);
      page.bytes(b);
    }
    if (def !== null) {
      const b = levelBytes(def, start, end);
      page.int32(b.byteLength);
      page.bytes(b);
    }
    if (dictionary) {
      let count = 0;
      for (let e = start; e < end; e++) if (def === null || def[e] === maxDef) count++;
      page.bytes(Uint8Array.of(bitWidth));
      page.bytes(rle(Array.prototype.slice.call(dictionary.indexes, valueIndex, valueIndex + count) as number[], bitWidth));
      valueIndex += count;
    } else {
      const type = leaf.type;
      for (let e = start; e < end; e++) {
        if (def === null || def[e] === maxDef) writeValue(page, type, vals[e]);
      }
    }
    pages.push({ kind: 'DATA_PAGE', bytes: page.take(), numValues: end - start, encoding: dictionary ? 'RLE_DICTIONARY' : 'PLAIN' });
    start = end;
  }
  return { leaf, pages, numValues: entries, nullCount: entries - levels.nonNull, min, max, dictionary: dictionary !== null };
}

/** Encodes every leaf of a row group from its column arrays (keyed by column name). */
export function encodeRowGroup(columns: Readonly<Record<string, readonly unknown[]>>): EncodedChunk[] {
  const maps = new Map<string, FlatMap>();
  return LEAVES.map((leaf) => {
    const column = columns[leaf.column] as readonly unknown[];
    if (!leaf.mapPart) return encodeChunk(leaf, flatLevels(leaf, column));
    let flat = maps.get(leaf.column);
    if (flat === undefined) {
      flat = flattenMap(column);
      maps.set(leaf.column, flat);
    }
    return encodeChunk(leaf, mapLevels(leaf, flat));
  });
}
