/**
 * The machinery of the compliance suite: an in-memory object source whose reads can be cut
 * anywhere, an in-memory lake sink, runs of `processObject` (whole, cut, handed over and
 * continued), and readers that owe nothing to the pipeline: decompression with `node:zlib` and a
 * zip reader of its own, frame counts from the decompressed bytes, and DuckDB over what a run
 * wrote.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { constants as zlibConstants, gunzipSync, inflateRawSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import type { Framing, Parser } from '../../parsers/index.js';
import { ObjectError } from '../../pipeline/run/errors.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { resolveOptions, type PipelineOptions } from '../../pipeline/run/options.js';
import { processObject, type ObjectReport, type ProcessDeps } from '../../pipeline/index.js';
import type { Pin } from '../../pipeline/route/route.js';
import type { LakeSink, ObjectRef, ObjectSource, OpenedObject, OutputFile } from '../../pipeline/storage/storage.js';
import { COLUMNS, ERROR_COLUMNS, type FormatName } from '../../schema/index.js';

export type Row = Record<string, unknown>;

/** The bucket every compliance run reads from; keys are the case labels (`samples/…`, `corpus/…`). */
export const BUCKET = 'compliance';

/** One clock for every run of a test file, so `ingested_at` is comparable across runs. */
export const NOW = Date.now();

/**
 * Split runs write uncompressed Parquet: the rows are what is compared, and GZIP pages cost most
 * of a small run's time. Reference runs keep the default codec (their files are what the two
 * Parquet readers check).
 */
export const SPLIT_OPTIONS: PipelineOptions = resolveOptions({ codec: 'UNCOMPRESSED' });
export const DEFAULT_OPTIONS: PipelineOptions = resolveOptions();

// ---------------------------------------------------------------------------------------------
// Sources and sinks

/** Chunk ends (exclusive offsets) for reads of `size` bytes. */
export function fixedCuts(length: number, size: number): number[] {
  const ends: number[] = [];
  for (let i = size; i < length; i += size) ends.push(i);
  ends.push(length);
  return ends;
}

/** Chunk ends just after each `\n`, so every read ends a line. */
export function lineCuts(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] === 0x0a) ends.push(i + 1);
  if (ends.at(-1) !== bytes.byteLength) ends.push(bytes.byteLength);
  return ends.filter((e) => e > 0);
}

/** An object held in memory, served in reads that end at `cuts`, with an ETag like S3's. */
export class BytesSource implements ObjectSource {
  opens = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly cuts: readonly number[] = [bytes.byteLength],
    readonly etag = '"compliance-1"',
  ) {}

  async open(ref: ObjectRef): Promise<OpenedObject> {
    if (ref.etag !== undefined && ref.etag !== this.etag) throw new ObjectError('object_changed', `${ref.key}: ETag ${this.etag}, expected ${ref.etag}`);
    this.opens++;
    const { bytes, cuts } = this;
    return {
      etag: this.etag,
      size: bytes.byteLength,
      // Every read is a fresh copy, as a network stream's would be.
      body: (async function* (): AsyncGenerator<Uint8Array> {
        let start = 0;
        for (const end of cuts) {
          if (end > start) yield new Uint8Array(bytes.subarray(start, end));
          start = end;
        }
      })(),
    };
  }
}

/** A lake in memory; `dump` writes what it holds to a folder for DuckDB. */
export class MemorySink implements LakeSink {
  readonly files = new Map<string, Buffer>();

  describe(key: string): string {
    return `memory:${key}`;
  }

  async create(key: string): Promise<OutputFile> {
    const parts: Buffer[] = [];
    const files = this.files;
    return {
      async write(bytes: Uint8Array): Promise<void> {
        parts.push(Buffer.from(bytes));
      },
      async close(): Promise<void> {
        files.set(key, Buffer.concat(parts));
      },
      async abort(): Promise<void> {
        parts.length = 0;
      },
    };
  }

  async put(key: string, bytes: Uint8Array | string): Promise<void> {
    this.files.set(key, Buffer.from(bytes));
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.files.get(key) ?? null;
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    const bytes = this.files.get(fromKey);
    if (bytes === undefined) return false;
    this.files.set(toKey, bytes);
    return true;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.files.delete(k);
  }

  /** Keys of the data and errors files it holds (what readers of the lake see). */
  outputKeys(): string[] {
    return [...this.files.keys()].filter((k) => k.startsWith('lake/') || k.startsWith('errors/')).sort();
  }

  dump(root: string): void {
    for (const [key, bytes] of this.files) {
      const path = join(root, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Runs

export interface RunSpec {
  readonly key: string;
  readonly bytes: Buffer;
  readonly cuts?: readonly number[];
  readonly pin?: Pin | null;
  readonly options?: PipelineOptions;
}

function depsOf(source: ObjectSource, sink: LakeSink, spec: RunSpec, extra: Partial<ProcessDeps> = {}): ProcessDeps {
  const pin = spec.pin ?? null;
  return { source, sink, options: spec.options ?? SPLIT_OPTIONS, now: () => NOW, ...(pin !== null ? { rule: () => pin } : {}), ...extra };
}

/** One uninterrupted run into `sink`. */
export async function runOnce(spec: RunSpec, sink: LakeSink): Promise<ObjectReport> {
  const source = new BytesSource(spec.bytes, spec.cuts);
  return processObject({ bucket: BUCKET, key: spec.key }, depsOf(source, sink, spec));
}

/**
 * Runs an object the way a deadline hand-over does: each run yields after `every` chunks
 * (`shouldYield` is only asked once a run has made progress; `{ runs }` picks the period that
 * gives about that many hand-overs), and the next run is what a
 * continuation message makes of the partial manifest: the same object at the same ETag, pinned
 * to the exact parser the first run chose, resumed at `resume`. Stops when a run is final.
 */
export async function runHandedOver(spec: RunSpec, sink: LakeSink, every: number | { runs: number }, maxRuns = 5000): Promise<ObjectReport[]> {
  const source = new BytesSource(spec.bytes, spec.cuts);
  if (typeof every !== 'number') {
    // Calibrate: count the chances to yield one run would get, and spread about `runs` hand-overs over them.
    let chances = 0;
    await processObject({ bucket: BUCKET, key: spec.key }, depsOf(source, new MemorySink(), spec, { shouldYield: () => (chances++, false) }));
    every = Math.max(1, Math.ceil(chances / every.runs));
  }
  const period = every;
  const reports: ObjectReport[] = [];
  let ref: ObjectRef = { bucket: BUCKET, key: spec.key };
  let extra: Partial<ProcessDeps> = {};
  for (;;) {
    let calls = 0;
    const report = await processObject(ref, depsOf(source, sink, spec, { ...extra, shouldYield: () => ++calls % period === 0 }));
    reports.push(report);
    const m = report.manifest;
    if (m.status !== 'partial') return reports;
    if (m.resume == null) throw new Error(`a partial manifest without resume: ${JSON.stringify(m)}`);
    if (reports.length >= maxRuns) throw new Error(`no final manifest after ${maxRuns} runs`);
    const format = (m.parser_id ?? m.source) as FormatName;
    ref = { bucket: m.bucket, key: m.key, ...(m.etag !== null ? { etag: m.etag } : {}) };
    const pin: Pin = { kind: 'pin', format, exact: m.parser_id != null };
    extra = { resume: m.resume };
    spec = { ...spec, pin };
  }
}

// ---------------------------------------------------------------------------------------------
// Independent decoding and counting

export interface Entry {
  readonly name: string | null;
  readonly data: Buffer;
}

export interface Decoded {
  readonly compression: 'gzip' | 'zip' | 'parquet' | 'none' | 'empty';
  readonly entries: readonly Entry[];
  /** Set when the compressed stream is damaged: `entries` hold what decodes before the damage. */
  readonly damaged: boolean;
}

/** The entries of a zip archive, read from its central directory with `node:zlib` (no fflate). */
function unzipEntries(buf: Buffer): Entry[] {
  let eocd = -1;
  for (let i = buf.byteLength - 22; i >= Math.max(0, buf.byteLength - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('zip: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const found: Array<{ offset: number; entry: Entry }> = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('zip: bad central directory entry');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const offset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (buf.readUInt32LE(offset) !== 0x04034b50) throw new Error('zip: bad local header');
    const start = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
    const raw = buf.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw new Error(`zip: method ${method}`);
    found.push({ offset, entry: { name, data: method === 0 ? Buffer.from(raw) : inflateRawSync(raw) } });
  }
  return found.sort((a, b) => a.offset - b.offset).map((f) => f.entry);
}

/**
 * A Parquet object as the JSON lines the pipeline makes of it (one object per row, columns in
 * file order, 64-bit integers as numbers when exact), read with parquet-wasm (arrow-rs), not
 * the pipeline's hyparquet.
 */
function parquetAsJsonLines(bytes: Buffer): Buffer {
  const table = tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream());
  const names = table.schema.fields.map((f) => f.name);
  const vectors = names.map((n) => table.getChild(n));
  let text = '';
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    names.forEach((n, c) => {
      const v: unknown = vectors[c]?.get(i) ?? null;
      row[n] = typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v;
    });
    text += `${JSON.stringify(row)}\n`;
  }
  return Buffer.from(text, 'utf8');
}

/** What an object decompresses to, by magic bytes like the pipeline, decoded by other code. */
export function decodeIndependently(bytes: Buffer): Decoded {
  if (bytes.byteLength === 0) return { compression: 'empty', entries: [], damaged: false };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return { compression: 'gzip', entries: [{ name: null, data: gunzipSync(bytes) }], damaged: false };
    } catch {
      return { compression: 'gzip', entries: [{ name: null, data: gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH }) }], damaged: true };
    }
  }
  if (bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6)) {
    return { compression: 'zip', entries: unzipEntries(bytes), damaged: false };
  }
  if (bytes.byteLength >= 4 && bytes.toString('latin1', 0, 4) === 'PAR1') {
    try {
      return { compression: 'parquet', entries: [{ name: null, data: parquetAsJsonLines(bytes) }], damaged: false };
    } catch {
      return { compression: 'parquet', entries: [], damaged: true };
    }
  }
  return { compression: 'none', entries: [{ name: null, data: bytes }], damaged: false };
}

/** Newline-terminated lines, plus a last line without its newline. */
export function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) n++;
  return data.byteLength > 0 && data[data.byteLength - 1] !== 0x0a ? n + 1 : n;
}

/**
 * Records of a format whose records span lines (`LineParser.recordStart`): each line that starts
 * a record, plus each line before the first one (a frame of its own). Read from the whole text
 * split at `\n`, not from bytes as they arrive.
 */
export function countJoinedRecords(data: Buffer, startsRecord: (line: string) => boolean): number {
  const lines = data.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  let n = 0;
  let open = false;
  for (const line of lines) {
    if (startsRecord(line.endsWith('\r') ? line.slice(0, -1) : line)) {
      open = true;
      n++;
    } else if (!open) {
      n++;
    }
  }
  return n;
}

/**
 * RFC 4180 records: a newline ends a record unless it is inside quotes (a quoted cell may hold
 * line breaks); a leading BOM is not content. A quote still open at the end of the entry is the
 * documented resync case: the first line of that record counts as one (rejected) row and the
 * lines after it are records of their own.
 */
export function countCsvRecords(data: Buffer): number {
  let start = data.byteLength >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  let n = 0;
  for (;;) {
    let inQuotes = false;
    let rowStart = start;
    let firstNlInRow = -1;
    let i = start;
    for (; i < data.byteLength; i++) {
      const c = data[i];
      if (c === 0x22) inQuotes = !inQuotes;
      else if (c === 0x0a) {
        if (inQuotes) {
          if (firstNlInRow < 0) firstNlInRow = i;
        } else {
          n++;
          rowStart = i + 1;
          firstNlInRow = -1;
        }
      }
    }
    if (!inQuotes) return rowStart < data.byteLength ? n + 1 : n;
    n++;
    if (firstNlInRow < 0) return n;
    start = firstNlInRow + 1;
  }
}

/** Records one parsed JSON value yields: elements of its container arrays, else itself. */
function jsonValueRecords(v: unknown, containerKeys: readonly string[]): number | null {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const present = containerKeys.filter((k) => Object.hasOwn(o, k));
    if (present.length === 0) return 1;
    if (present.some((k) => !Array.isArray(o[k]))) return null;
    return present.reduce((sum, k) => sum + (o[k] as unknown[]).length, 0);
  }
  return 1;
}

/**
 * JSON records by `JSON.parse`: of the whole document, or else of each line (NDJSON), where a
 * line that is not JSON and does not open an object or array is one (rejected) frame. Null when
 * neither reading applies (a document that is not JSON as a whole nor line by line).
 */
export function countJsonRecords(data: Buffer, containerKeys: readonly string[]): number | null {
  const text = data.toString('utf8');
  if (text.trim() === '') return 0;
  try {
    return jsonValueRecords(JSON.parse(text), containerKeys);
  } catch {
    // not one document: try NDJSON below
  }
  let n = 0;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    try {
      const c = jsonValueRecords(JSON.parse(t), containerKeys);
      if (c === null) return null;
      n += c;
    } catch {
      if (t.startsWith('{') || t.startsWith('[')) return null;
      n++;
    }
  }
  return n;
}

/** End offset of the JSON value starting at `at` (strings and nesting tracked), or -1 when it does not end. */
function jsonValueEnd(text: string, at: number): number {
  let depth = 0;
  let inString = false;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Frames of a CloudWatch Logs payload object (concatenated subscription payloads; gzip inside
 * gzip undone): each data payload's events, one per `CONTROL_MESSAGE`; null when the content is
 * not such payloads through and through (one is damaged, or is no payload).
 */
export function countPayloadEvents(data: Buffer): number | null {
  const text = (data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8');
  let n = 0;
  for (let at = text.search(/\S/); at >= 0; ) {
    const end = jsonValueEnd(text, at);
    if (end < 0) return null;
    let v: unknown;
    try {
      v = JSON.parse(text.slice(at, end));
    } catch {
      return null;
    }
    const p = v as { messageType?: unknown; logEvents?: unknown };
    if (p.messageType === 'CONTROL_MESSAGE') n++;
    else if (p.messageType === 'DATA_MESSAGE' && Array.isArray(p.logEvents)) n += p.logEvents.length;
    else return null;
    const next = text.slice(end).search(/\S/);
    at = next < 0 ? -1 : end + next;
  }
  return n;
}

/** True when decoded content is CloudWatch Logs payloads (or gzip inside gzip), not an export-task object's lines. */
const isPayloadContent = (data: Buffer): boolean => (data[0] === 0x1f && data[1] === 0x8b) || /^\s*\{/.test(data.subarray(0, 64).toString('utf8'));

/** Frames an independent reader finds in the decompressed content, or null when it cannot tell. */
export function independentFrames(parser: Parser, decoded: Decoded): number | null {
  let total = 0;
  for (const e of decoded.entries) {
    // A cwlogs object read by the Firehose path counts events, not lines (its export-task objects count lines).
    if (parser.id === 'cwlogs' && isPayloadContent(e.data)) {
      const events = countPayloadEvents(e.data);
      if (events === null) return null;
      total += events;
      continue;
    }
    const n =
      parser.framing === 'lines' && parser.recordStart !== undefined
        ? countJoinedRecords(e.data, (line) => parser.recordStart?.(line) === true)
        : countFrames(parser.framing, e.data, parser.framing === 'json-records' ? parser.containerKeys : []);
    if (n === null) return null;
    total += n;
  }
  return total;
}

function countFrames(framing: Framing, data: Buffer, containerKeys: readonly string[]): number | null {
  switch (framing) {
    case 'lines':
      return countLines(data);
    case 'csv':
      return countCsvRecords(data);
    case 'json-records':
      return countJsonRecords(data, containerKeys);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a lake with DuckDB

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

function filesWith(root: string, sub: string, suffix: string): boolean {
  try {
    return readdirSync(join(root, sub), { recursive: true, encoding: 'utf8' }).some((n) => n.endsWith(suffix) && statSync(join(root, sub, n)).isFile());
  } catch {
    return false;
  }
}

/** One DuckDB session for a whole test file (an instance costs ~100 ms to start). */
export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<Duck> {
    const instance = await DuckDBInstance.create(':memory:');
    return new Duck(instance, await instance.connect());
  }

  async json(sql: string): Promise<Row[]> {
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
  }

  async js(sql: string): Promise<{ columns: string[]; rows: Row[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJS() as Row[] };
  }

  /**
   * Every row under `root/lake/`, as the lake's readers see it (hive `source` and `dt`), by
   * ordinal, then record id (the virtual objects of a CloudWatch Logs payload object each count
   * their ordinals from 1). Unlike `LakeQuery` no `union_by_name`: every file here comes from
   * one writer, and reconciling schemas costs a small query several times its run time.
   */
  async events(root: string): Promise<Row[]> {
    if (!filesWith(root, 'lake', '.parquet')) return [];
    const glob = quote(join(root, 'lake', '**', '*.parquet'));
    const columns = COLUMNS.map((c) => c.name).join(', ');
    return this.json(
      `SELECT ${columns}, source, dt FROM read_parquet(${glob}, hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR}) ORDER BY ordinal, record_id`,
    );
  }

  /** Every rejected line under `root/errors/`, by ordinal. */
  async errors(root: string): Promise<Row[]> {
    if (!filesWith(root, 'errors', '.jsonl.gz')) return [];
    const glob = quote(join(root, 'errors', '**', '*.jsonl.gz'));
    const cols = ERROR_COLUMNS.map((c) => `${c.name}: '${c.type === 'bigint' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
    return this.json(
      `SELECT source, dt, ${ERROR_COLUMNS.map((c) => c.name).join(', ')} FROM read_json(${glob}, format = 'newline_delimited', columns = {${cols}}, hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR}) ORDER BY ordinal, object`,
    );
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// Temporary folders

const made: string[] = [];

export function tempRoot(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  made.push(path);
  return path;
}

export function removeTempRoots(): void {
  for (const p of made.splice(0)) rmSync(p, { recursive: true, force: true });
}

/** A run into a real local lake folder with the default options: what the Parquet readers check. */
export async function runToFolder(spec: RunSpec, root: string): Promise<ObjectReport> {
  return runOnce({ ...spec, options: spec.options ?? DEFAULT_OPTIONS }, new LocalLakeSink(root));
}

/** The counts two runs of the same object must agree on. */
export function counts(m: Manifest): Pick<Manifest, 'lines_in' | 'records' | 'rejected' | 'skipped' | 'rejected_by_reason' | 'skipped_by_reason' | 'invalid_utf8_lines'> & { schema_drift: number } {
  return {
    lines_in: m.lines_in,
    records: m.records,
    rejected: m.rejected,
    skipped: m.skipped,
    rejected_by_reason: m.rejected_by_reason,
    skipped_by_reason: m.skipped_by_reason,
    invalid_utf8_lines: m.invalid_utf8_lines,
    schema_drift: m.schema_drift ?? 0,
  };
}
