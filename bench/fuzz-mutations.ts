/**
 * Seeded mutation fuzzing of every registered parser, shared by `test/compliance/fuzz.test.ts`
 * (a small default in `npm test`, `LOGLAKE_FUZZ_N` to raise it) and `bench/fuzz.bench.ts`
 * (>= 100,000 mutated frames per parser). Nothing here names a format: parsers come from
 * `PARSERS`, seeds from the records the pipeline accepts in `samples/`, so a new parser with a
 * sample is fuzzed without an edit.
 *
 * Two levels:
 * - **frames** (`fuzzFrames`): a valid sample line/record is mutated, cut into frames by the
 *   pipeline's own framer and handed to the parser exactly as `ObjectRun.frame` does (a line
 *   parser's `header` then `parse`, `JSON.parse` then `parse`, a CSV row's cells), after the
 *   frames that precede it in its sample have rebuilt the parser's per-object state. Exceptions
 *   are caught to be counted, not hidden: one thrown by a parser, by `validateRecord` or by the
 *   Parquet writer (the last two run outside the pipeline's safety net) is a bug. Every call is
 *   timed; a frame over `SLOW_MS` is timed again and flagged when it stays slow.
 * - **objects** (`fuzzObjects`): whole mutated objects through `processObject` into a temporary
 *   lake, compared with their clean original: nothing escapes, `lines_in = records + rejected +
 *   skipped`, and damage costs at most the records whose bytes it changed.
 */
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PARSERS, type ParseContext, type ParseResult, type Parser } from '../parsers/index.js';
import { REJECT_REASONS, SKIP_REASONS, timeBounds, validateRecord, type EventFields, type ParserId, type TimeBounds } from '../schema/index.js';
import { decompress } from '../pipeline/decode/decompress.js';
import { ObjectError } from '../pipeline/run/errors.js';
import type { FrameSink } from '../pipeline/framing/framing.js';
import { framerFor, parseFrame } from '../pipeline/framing/parse-frame.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import type { Manifest } from '../pipeline/run/manifest.js';
import { resolveOptions, type PipelineOptions } from '../pipeline/run/options.js';
import { ParquetFileWriter } from '../pipeline/parquet/parquet-writer.js';
import { processObject } from '../pipeline/index.js';
import { SELF_USER_AGENT_MARK } from '../pipeline/run/process-object.js';
import { HEAD_BYTES, routeByContent, routeByKey, type Pin } from '../pipeline/route/route.js';
import { decodeVisible } from '../pipeline/decode/utf8.js';
import { prng } from '../test/helpers/prng.js';

export type Rng = () => number;

/** A frame slower than this, on every one of three timings, is flagged. */
export const SLOW_MS = 50;

/** The size of the "10 MB line" special case. */
export const HUGE_LINE_BYTES = 10 * 1024 * 1024;

/** The nesting of the "JSON nested 10,000 levels" special case. */
export const DEEP_LEVELS = 10_000;

export const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)] as T;

/** Short, printable, escaped view of bytes for reports (JSON string syntax, `\xNN` for bad UTF-8). */
export function show(bytes: Buffer | string, max = 240): string {
  const text = typeof bytes === 'string' ? bytes : decodeVisible(bytes, 0, bytes.byteLength).text;
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return JSON.stringify(cut);
}

// ---------------------------------------------------------------------------------------------
// Seeds: the frames of every sample, classified the way the pipeline classifies them.
// ---------------------------------------------------------------------------------------------

/** What the pipeline handed the parser: a frame (text, its cells for CSV) or a framer rejection. */
export type Cut =
  | { readonly type: 'frame'; readonly text: string; readonly invalid: boolean; readonly cells?: readonly string[] }
  | { readonly type: 'reject'; readonly reason: string; readonly raw: string };

export interface SeedFrame {
  readonly cut: Cut;
  /** What the pipeline made of it: `record`, `reject`, `skip` (`header` is a skip reason). */
  readonly kind: 'record' | 'reject' | 'skip';
  readonly reason: string;
  /** Byte span of the frame in its entry's content (without line ending); -1 when unknown. */
  readonly start: number;
  readonly end: number;
}

export interface SeedEntry {
  /** Sample path relative to `samples/`, plus `#entry` for an archive entry. */
  readonly name: string;
  /** Object URI the parser sees in `ctx.object` (some parsers read a month from it). */
  readonly object: string;
  /** File name to give a mutated copy (compression suffixes dropped). */
  readonly fileName: string;
  readonly content: Buffer;
  readonly frames: readonly SeedFrame[];
}

export interface ParserSeeds {
  readonly parser: Parser;
  readonly entries: readonly SeedEntry[];
  /** `[entry, frame]` of every frame the pipeline turns into a record. */
  readonly records: ReadonlyArray<readonly [number, number]>;
}

function sampleFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.(md|expected\.jsonl|rejects\.jsonl)$/.test(name)) out.push(path);
    }
  };
  walk(root);
  return out;
}

/** Cuts bytes into what the framer hands on; an `ObjectError` of the framer is returned, anything else thrown. */
export function cutFrames(parser: Parser, bytes: Buffer, options: PipelineOptions): { cuts: Cut[]; objectError: ObjectError | null } {
  const cuts: Cut[] = [];
  const sink: FrameSink = {
    frame: (text, invalid, cells) => void cuts.push(cells === undefined ? { type: 'frame', text, invalid } : { type: 'frame', text, invalid, cells }),
    reject: (reason, raw) => void cuts.push({ type: 'reject', reason, raw }),
  };
  const framer = framerFor(parser, sink, options, 'fuzz');
  try {
    framer.push(bytes);
    framer.end();
  } catch (e) {
    if (e instanceof ObjectError) return { cuts, objectError: e };
    throw e;
  }
  return { cuts, objectError: null };
}

/** The outcome of one frame, as `ObjectRun.frame` decides it. */
export interface Evaluation {
  readonly kind: 'record' | 'reject' | 'skip';
  readonly reason: string;
  /** Milliseconds of the parser call (with `JSON.parse` for JSON frames). */
  readonly ms: number;
  /** The exception the parser threw (the pipeline turns it into a `parser_error` reject). */
  readonly parserThrew?: unknown;
  /** An exception of `validateRecord`, which runs outside the pipeline's try/catch. */
  readonly validatorThrew?: unknown;
  /** A result outside the parser contract (unknown reason code, malformed result). */
  readonly contract?: string;
  readonly record?: EventFields;
}

const REJECTS: ReadonlySet<string> = new Set(Object.keys(REJECT_REASONS));
const SKIPS: ReadonlySet<string> = new Set(Object.keys(SKIP_REASONS));

function contractOf(result: unknown): string | undefined {
  if (result === null) return undefined;
  if (typeof result !== 'object') return `result is ${typeof result}`;
  const r = result as { ok?: unknown; reason?: unknown; record?: unknown };
  if (r.ok === true) return typeof r.record === 'object' && r.record !== null ? undefined : 'ok result without a record object';
  if (r.ok === false) return typeof r.reason === 'string' && REJECTS.has(r.reason) ? undefined : `reject reason ${JSON.stringify(r.reason)} is not a RejectReason`;
  if (r.ok === 'skip') return typeof r.reason === 'string' && SKIPS.has(r.reason) ? undefined : `skip reason ${JSON.stringify(r.reason)} is not a SkipReason`;
  return `result.ok is ${JSON.stringify(r.ok)}`;
}

/** One frame through the parser and the validator, mirroring `ObjectRun.frame` (not resuming). */
export function evaluate(parser: Parser, cut: Cut, ctx: ParseContext, bounds: TimeBounds, options: PipelineOptions): Evaluation {
  // Every frame and every framer rejection is one unit of `lines_in`, as in `ObjectRun`.
  ctx.ordinal++;
  if (cut.type === 'reject') return { kind: 'reject', reason: cut.reason, ms: 0 };
  if (cut.text.length === 0) return { kind: 'skip', reason: 'blank', ms: 0 };
  let result: ParseResult | null;
  let parserThrew: unknown;
  const t0 = performance.now();
  try {
    // A mutated frame is handed over as text, so the parse of a JSON frame is timed here too.
    result = parseFrame(parser, cut.text, cut.cells, ctx);
  } catch (e) {
    parserThrew = e;
    result = { ok: false, reason: 'parser_error' };
  }
  const ms = performance.now() - t0;
  const contract = contractOf(result);
  const extra = { ms, ...(parserThrew !== undefined ? { parserThrew } : {}), ...(contract !== undefined ? { contract } : {}) };
  if (result === null) return { kind: 'skip', reason: 'header', ...extra };
  if (contract !== undefined) return { kind: 'reject', reason: 'contract', ...extra };
  if (result.ok === false) return { kind: 'reject', reason: result.reason, ...extra };
  if (result.ok === 'skip') return { kind: 'skip', reason: result.reason, ...extra };
  const record = result.record;
  let invalid;
  try {
    invalid = validateRecord(record, bounds, {});
  } catch (e) {
    return { kind: 'reject', reason: 'validator_threw', validatorThrew: e, ...extra };
  }
  if (invalid !== null) return { kind: 'reject', reason: invalid.reason, ...extra };
  if (!options.keepSelfTraffic && record.user_agent != null && record.user_agent.includes(SELF_USER_AGENT_MARK)) return { kind: 'skip', reason: 'self_traffic', ...extra };
  return { kind: 'record', reason: 'record', record, ...extra };
}

/** A fresh per-object context, as `ObjectRun` builds it. */
export function newContext(parser: Parser, object: string): ParseContext {
  return { object, ordinal: 0, state: parser.createState?.(), drift: 0 };
}

async function decompressFile(path: string): Promise<Array<{ entry: string | null; content: Buffer }>> {
  const entries: Array<{ entry: string | null; chunks: Buffer[] }> = [];
  for await (const c of decompress(createReadStream(path), path, { bytes: 0 })) {
    if (c.entryStart) entries.push({ entry: c.entry, chunks: [] });
    entries[entries.length - 1]?.chunks.push(c.data);
  }
  return entries.map((e) => ({ entry: e.entry, content: Buffer.concat(e.chunks) }));
}

/** Classifies the frames of one entry and finds where each lies in its bytes. */
function seedEntry(parser: Parser, name: string, object: string, fileName: string, content: Buffer, options: PipelineOptions, bounds: TimeBounds): SeedEntry {
  const { cuts } = cutFrames(parser, content, options);
  const ctx = newContext(parser, object);
  const frames: SeedFrame[] = [];
  let cursor = 0;
  for (const cut of cuts) {
    const ev = evaluate(parser, cut, ctx, bounds, options);
    let start = -1;
    if (cut.type === 'frame' && cut.text.length > 0 && !cut.invalid) {
      start = content.indexOf(Buffer.from(cut.text, 'utf8'), cursor);
      if (start >= 0) cursor = start + Buffer.byteLength(cut.text);
    }
    frames.push({ cut, kind: ev.kind, reason: ev.reason, start, end: start < 0 ? -1 : start + Buffer.byteLength((cut as { text: string }).text) });
  }
  return { name, object, fileName, content, frames };
}

/** Seeds of every registered parser (an empty list for a parser without a sample). */
export async function loadSeeds(root = SAMPLES_DIR, options: PipelineOptions = resolveOptions()): Promise<Map<ParserId, ParserSeeds>> {
  const bounds = timeBounds(Date.now());
  const byParser = new Map<ParserId, SeedEntry[]>();
  for (const path of sampleFiles(root)) {
    let entries: Array<{ entry: string | null; content: Buffer }>;
    try {
      entries = await decompressFile(path);
    } catch {
      continue; // a sample whose compression is damaged on purpose is no seed
    }
    const first = entries[0];
    if (first === undefined) continue;
    const route = routeByKey(path) ?? routeByContent(decodeVisible(first.content, 0, Math.min(first.content.byteLength, HEAD_BYTES)).text);
    if (route.kind !== 'parse') continue;
    const parser = route.parser;
    const rel = relative(root, path);
    for (const e of entries) {
      const name = e.entry === null ? rel : `${rel}#${e.entry}`;
      // An archive entry is fuzzed as the file it is, under its own name (a DBR entry's name
      // carries the billing month its totals rows need).
      const fileName = e.entry === null ? basename(path).replace(/\.(gz|zip)$/, '') : basename(e.entry);
      const list = byParser.get(parser.id) ?? [];
      list.push(seedEntry(parser, name, path, fileName, e.content, options, bounds));
      byParser.set(parser.id, list);
    }
  }
  const out = new Map<ParserId, ParserSeeds>();
  for (const parser of PARSERS) {
    const entries = byParser.get(parser.id) ?? [];
    const records: Array<readonly [number, number]> = [];
    entries.forEach((e, i) => e.frames.forEach((f, j) => f.kind === 'record' && f.start >= 0 && records.push([i, j] as const)));
    out.set(parser.id, { parser, entries, records });
  }
  return out;
}

/** The bytes of a seed frame. */
export function frameBytes(entry: SeedEntry, frame: SeedFrame): Buffer {
  return entry.content.subarray(frame.start, frame.end);
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

export interface Mutation {
  readonly name: string;
  readonly bytes: Buffer;
}

type Framing = Parser['framing'];
type Mutator = (rng: Rng, b: Buffer, framing: Framing) => Buffer | null;

const splice = (b: Buffer, at: number, del: number, ins: Buffer | string): Buffer =>
  Buffer.concat([b.subarray(0, at), typeof ins === 'string' ? Buffer.from(ins, 'utf8') : ins, b.subarray(at + del)]);

/** Numbers where numbers (often integers) are expected: limits, overflow, fractions, spellings JavaScript accepts. */
export const SPECIAL_NUMBERS = [
  '1e308', '1e400', '-1e400', '-0', '0', '9223372036854775808', '9223372036854775807', '-9223372036854775809',
  '18446744073709551616', '4294967296', '2147483648', '-2147483649', '1.5', '0.000001', '-1', 'NaN', 'Infinity',
  '-Infinity', '0x1F', '1e-400', '0001', '123456789012345678901234567890', '1_000', '+1', '.5', '5.', '1e', '--1', '٣',
] as const;

/** Timestamps that are almost right, out of range, or only look like one. */
export const SPECIAL_TIMES = [
  '9999-12-31T23:59:59Z', '0000-00-00T00:00:00Z', '2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z', '2024-12-31T23:59:60Z',
  '1969-12-31T23:59:59Z', '2005-12-31T23:59:59Z', '2106-02-07T06:28:16Z', '+275760-09-13T00:00:00.000Z',
  '2024-05-01T24:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01T10:10:00.9999999999999999999Z', '2024-05-01', '99:99:99',
  '23:59:60', '00:00:00', '2024-5-1T1:1:1Z', '2024-05-01T10:10:00+05:00', '31/Feb/2024:00:00:00 +0000', '01/Foo/2024:00:00:00 +0000',
  '01/May/2024:00:00:00 -9999', '2024-05-01 10:10:00', '2024-05-01T10:10:00', '1714558200', '1714558200000',
] as const;

/** Values put in place of a JSON value (text, inserted as is: `1e400` is not valid in JSON.stringify). */
export const JSON_SPECIALS = [
  '1e308', '1e400', '-1e400', '-0', '9223372036854775808', '1.5', '-1', '0', '1e-400', '123456789012345678901234567890',
  '""', 'null', 'true', 'false', '{}', '[]', '[null]', '[[[[[[]]]]]]', '{"":""}', '"\\u0000"', '"\\ud800"', '"a\\udc00b"',
  '"\\u2028"', '"\\u001b[31m"', '"-"', '" "', '"1e400"', '"NaN"', '"9999-99-99T99:99:99Z"', '"2024-02-30T00:00:00Z"',
  '"2024-02-29T23:59:60Z"', '"0000-01-01T00:00:00Z"', '"1969-12-31T23:59:59.999Z"', '"+275760-09-13T00:00:00.000Z"',
  '"2024-05-01T10:10:00.123456789012Z"', '"2024-05-01 10:10:00"', '"2024-05-01T10:10:00+00:00"', '"2024-05-01T10:10:00-05:00"',
  '1714558200', '1714558200000', '1e11', '-1e11', `"${'x'.repeat(70_000)}"`, '{"a":{"b":{"c":[1,2,{"d":null}]}}}',
  '"arn:aws:iam::"', '"arn:"', '"::"', '"Notification"', '{"Type":"Notification","Message":"{}"}', '"[1,2"', '"{\\"eventTime\\":1}"',
] as const;

const INSERTS = ['"', '\t', '\n', '\r', '\r\n', '\\', "'", ',', ' ', '{', '}', '[', ']', '""', '\\"', '%', '%G1', '%C3%28', '%ED%A0%80', '%00', '-', ':', '#', '#Fields: a b'] as const;
const BAD_UTF8 = [[0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xc3], [0xf0, 0x9f, 0x98]] as const;
const CONTROLS = [[0x00], [0x01], [0x07], [0x08], [0x0b], [0x0c], [0x1b], [0x7f], [0xc2, 0x85], [0xc2, 0x9b], [0xe2, 0x80, 0xa8], [0xef, 0xbb, 0xbf], [0xe2, 0x80, 0x8b], [0xe2, 0x80, 0xae]] as const;

/** Byte spans of fields: runs between separators (space/tab for lines, comma for CSV, comma/colon for JSON). */
function tokens(b: Buffer, framing: Framing): Array<[number, number]> {
  const seps = framing === 'lines' ? [0x20, 0x09] : framing === 'csv' ? [0x2c] : [0x2c, 0x3a];
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i <= b.byteLength; i++) {
    if (i === b.byteLength || seps.includes(b[i] as number)) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  return out;
}

function replaceMatch(rng: Rng, b: Buffer, re: RegExp, values: readonly string[]): Buffer | null {
  const text = b.toString('latin1');
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return null;
  const m = pick(rng, matches);
  // latin1 keeps one character per byte, so match offsets are byte offsets.
  return splice(b, m.index, m[0].length, pick(rng, values));
}

const TEXT_MUTATORS: Record<string, Mutator> = {
  truncate: (rng, b) => (b.byteLength > 0 ? b.subarray(0, int(rng, b.byteLength)) : null),
  flip: (rng, b) => {
    if (b.byteLength === 0) return null;
    const out = Buffer.from(b);
    const i = int(rng, b.byteLength);
    out[i] = rng() < 0.5 ? (out[i] as number) ^ (1 << int(rng, 8)) : int(rng, 256);
    return out;
  },
  insert: (rng, b) => splice(b, int(rng, b.byteLength + 1), 0, pick(rng, INSERTS)),
  number: (rng, b) => replaceMatch(rng, b, /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, SPECIAL_NUMBERS),
  time: (rng, b) => replaceMatch(rng, b, /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)?|\d{2}\/[A-Za-z]{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}|\d{2}:\d{2}:\d{2}/g, SPECIAL_TIMES),
  non_utf8: (rng, b) => {
    const seq = Buffer.from(pick(rng, BAD_UTF8));
    const at = int(rng, b.byteLength + 1);
    return rng() < 0.5 || b.byteLength === 0 ? splice(b, at, 0, seq) : splice(b, Math.min(at, b.byteLength - 1), 1, seq);
  },
  control: (rng, b) => splice(b, int(rng, b.byteLength + 1), 0, Buffer.from(pick(rng, CONTROLS))),
  empty_field: (rng, b, f) => {
    const [s, e] = pick(rng, tokens(b, f));
    return splice(b, s, e - s, pick(rng, ['', '-', '""', '" "']));
  },
  duplicate_field: (rng, b, f) => {
    const [s, e] = pick(rng, tokens(b, f));
    const sep = e < b.byteLength ? b.subarray(e, e + 1) : Buffer.from(f === 'csv' ? ',' : ' ');
    return splice(b, e, 0, Buffer.concat([sep, b.subarray(s, e)]));
  },
  drop_field: (rng, b, f) => {
    const [s, e] = pick(rng, tokens(b, f));
    return splice(b, s, Math.min(b.byteLength, e + 1) - s, '');
  },
  swap_fields: (rng, b, f) => {
    const t = tokens(b, f);
    if (t.length < 2) return null;
    const i = int(rng, t.length - 1);
    const j = i + 1 + int(rng, t.length - 1 - i);
    const [as, ae] = t[i] as [number, number];
    const [bs, be] = t[j] as [number, number];
    return Buffer.concat([b.subarray(0, as), b.subarray(bs, be), b.subarray(ae, bs), b.subarray(as, ae), b.subarray(be)]);
  },
  long_field: (rng, b) => {
    const n = rng() < 0.02 ? 1_000_000 : pick(rng, [256, 4096, 65_535, 65_536, 65_537, 200_000]);
    return splice(b, int(rng, b.byteLength + 1), 0, pick(rng, LONG_RUNS).repeat(n));
  },
  delete_range: (rng, b) => {
    if (b.byteLength === 0) return null;
    const at = int(rng, b.byteLength);
    return splice(b, at, 1 + int(rng, 16), '');
  },
  repeat_range: (rng, b) => {
    if (b.byteLength === 0) return null;
    const at = int(rng, b.byteLength);
    const len = 1 + int(rng, Math.min(64, b.byteLength - at));
    return splice(b, at, 0, b.subarray(at, at + len));
  },
};

const SENTINEL = '__loglake_fuzz__';

/** What `long_field` repeats. */
const LONG_RUNS = ['A', '%', ' ', '"', '\\', '[', '9', 'é'] as const;

/** `long_field(1000000 bytes of "\\" at byte 120)`: the run a long-field mutation inserted, read back from its bytes. */
function describeLongField(before: Buffer, after: Buffer): string {
  let s = 0;
  while (s < before.byteLength && before[s] === after[s]) s++;
  const n = after.byteLength - before.byteLength;
  const c = after.toString('utf8', s, Math.min(after.byteLength, s + 4))[0] ?? '?';
  return `long_field(${n} bytes of ${JSON.stringify(c)} at byte ${s})`;
}

interface JsonNode {
  readonly parent: Record<string, unknown> | unknown[] | null;
  readonly key: string | number;
  readonly value: unknown;
}

function jsonNodes(root: unknown): JsonNode[] {
  const out: JsonNode[] = [];
  const walk = (parent: Record<string, unknown> | unknown[], key: string | number, value: unknown, depth: number): void => {
    out.push({ parent, key, value });
    if (depth > 64 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) value.forEach((v, i) => walk(value, i, v, depth + 1));
    else for (const k of Object.keys(value)) walk(value as Record<string, unknown>, k, (value as Record<string, unknown>)[k], depth + 1);
  };
  if (typeof root === 'object' && root !== null) {
    if (Array.isArray(root)) root.forEach((v, i) => walk(root, i, v, 0));
    else for (const k of Object.keys(root)) walk(root as Record<string, unknown>, k, (root as Record<string, unknown>)[k], 0);
  }
  return out;
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Stringifies `root` and puts `text` where the sentinel string stands. */
function withSentinel(root: unknown, text: string): Buffer {
  return Buffer.from(JSON.stringify(root).replace(JSON.stringify(SENTINEL), () => text), 'utf8');
}

const JSON_MUTATORS: Record<string, Mutator> = {
  json_value: (rng, b) => {
    const root = parseJson(b);
    const nodes = jsonNodes(root);
    if (nodes.length === 0) return null;
    const n = pick(rng, nodes);
    (n.parent as Record<string | number, unknown>)[n.key] = SENTINEL;
    return withSentinel(root, pick(rng, JSON_SPECIALS));
  },
  json_time: (rng, b) => {
    const root = parseJson(b);
    const nodes = jsonNodes(root).filter((n) => typeof n.value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(n.value));
    if (nodes.length === 0) return null;
    const n = pick(rng, nodes);
    (n.parent as Record<string | number, unknown>)[n.key] = SENTINEL;
    return withSentinel(root, JSON.stringify(pick(rng, SPECIAL_TIMES)));
  },
  json_duplicate_key: (rng, b) => {
    const root = parseJson(b);
    const objects = [{ value: root } as { value: unknown }, ...jsonNodes(root)].filter((n) => typeof n.value === 'object' && n.value !== null && !Array.isArray(n.value) && Object.keys(n.value).length > 0);
    if (objects.length === 0) return null;
    const obj = pick(rng, objects).value as Record<string, unknown>;
    const key = pick(rng, Object.keys(obj));
    const dupKey = `${SENTINEL}dup`;
    const entries = Object.entries(obj);
    for (const k of Object.keys(obj)) delete obj[k];
    // The duplicate before the original (the original wins in JSON.parse) or after it (the duplicate wins).
    const first = rng() < 0.5;
    if (first) obj[dupKey] = SENTINEL;
    for (const [k, v] of entries) obj[k] = v;
    if (!first) obj[dupKey] = SENTINEL;
    const text = JSON.stringify(root).replace(`${JSON.stringify(dupKey)}:${JSON.stringify(SENTINEL)}`, () => `${JSON.stringify(key)}:${pick(rng, JSON_SPECIALS)}`);
    return Buffer.from(text, 'utf8');
  },
  json_string_edit: (rng, b) => {
    const root = parseJson(b);
    const nodes = jsonNodes(root).filter((n) => typeof n.value === 'string');
    if (nodes.length === 0) return null;
    const n = pick(rng, nodes);
    const s = n.value as string;
    const at = int(rng, s.length + 1);
    const ins = pick(rng, ['\u0000', '\ud800', '\u2028', '\t', '\n', '"', '\\', ' ', '%', '%ZZ', '\u00a0', '\ufeff', 'é', '😀', '\u0085', 'x'.repeat(65_537)]);
    (n.parent as Record<string | number, unknown>)[n.key] = s.slice(0, at) + ins + s.slice(at);
    return Buffer.from(JSON.stringify(root), 'utf8');
  },
  json_retype: (rng, b) => {
    const root = parseJson(b);
    const nodes = jsonNodes(root);
    if (nodes.length === 0) return null;
    const n = pick(rng, nodes);
    const v = n.value;
    const swaps: unknown[] = [[v], { v }, String(JSON.stringify(v) ?? ''), typeof v === 'string' ? Number(v) : v === null ? {} : null];
    (n.parent as Record<string | number, unknown>)[n.key] = pick(rng, swaps);
    return Buffer.from(JSON.stringify(root), 'utf8');
  },
  json_drop_key: (rng, b) => {
    const root = parseJson(b);
    const nodes = jsonNodes(root).filter((n) => n.parent !== null && !Array.isArray(n.parent));
    if (nodes.length === 0) return null;
    const n = pick(rng, nodes);
    delete (n.parent as Record<string, unknown>)[n.key as string];
    return Buffer.from(JSON.stringify(root), 'utf8');
  },
};

export const TEXT_MUTATOR_NAMES = Object.keys(TEXT_MUTATORS);
export const JSON_MUTATOR_NAMES = Object.keys(JSON_MUTATORS);

/** Applies the named mutator; null when it does not apply to these bytes. */
export function applyMutator(name: string, rng: Rng, b: Buffer, framing: Framing): Buffer | null {
  const m = TEXT_MUTATORS[name] ?? JSON_MUTATORS[name];
  if (m === undefined) throw new Error(`unknown mutator ${name}`);
  return m(rng, b, framing);
}

/** The mutator's name for a report: `long_field` says what run it inserted where. */
function labelOf(name: string, before: Buffer, after: Buffer): string {
  return name === 'long_field' ? describeLongField(before, after) : name;
}

/** A text mutator; `long_field` (up to 1 MB per input) is drawn 1/4 as often as the others. */
function pickText(rng: Rng): string {
  for (;;) {
    const name = pick(rng, TEXT_MUTATOR_NAMES);
    if (name !== 'long_field' || rng() < 0.25) return name;
  }
}

/**
 * One mutation of a frame: a single mutator (JSON frames draw half the time from the structured
 * JSON mutators), or a stack of 2–4.
 */
export function mutate(rng: Rng, b: Buffer, framing: Framing): Mutation {
  const one = (): Mutation => {
    for (;;) {
      const name = framing === 'json-records' && rng() < 0.5 ? pick(rng, JSON_MUTATOR_NAMES) : pickText(rng);
      const out = applyMutator(name, rng, b, framing);
      if (out !== null) return { name: labelOf(name, b, out), bytes: out };
    }
  };
  if (rng() >= 0.12) return one();
  const names: string[] = [];
  let bytes = b;
  const n = 2 + int(rng, 3);
  for (let i = 0; i < n; i++) {
    const name = framing === 'json-records' && i === 0 && rng() < 0.5 ? pick(rng, JSON_MUTATOR_NAMES) : pickText(rng);
    const out = applyMutator(name, rng, bytes, framing);
    if (out === null) continue;
    names.push(labelOf(name, bytes, out));
    bytes = out;
  }
  return names.length === 0 ? one() : { name: names.join('+'), bytes };
}

// ---------------------------------------------------------------------------------------------
// Special cases.
// ---------------------------------------------------------------------------------------------

/** `[[[…]]]` nested `levels` deep. */
export function deepArray(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/** `{"a":{"a":…}}` nested `levels` deep. */
export function deepObject(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** A copy of a record frame padded to about `bytes`: inside a JSON string value, or inside a field of a line/row. */
export function hugeFrame(frame: Buffer, framing: Framing, bytes: number): Buffer {
  if (framing === 'json-records') {
    const root = parseJson(frame);
    const nodes = jsonNodes(root).filter((n) => typeof n.value === 'string');
    const n = nodes.find((x) => x.key !== 'eventTime' && x.key !== 'configurationItemCaptureTime') ?? nodes[0];
    if (n !== undefined) {
      (n.parent as Record<string | number, unknown>)[n.key] = `${n.value as string}${'x'.repeat(bytes)}`;
      return Buffer.from(JSON.stringify(root), 'utf8');
    }
  }
  // A letter inside the longest field, so the field grows instead of splitting.
  const t = tokens(frame, framing).sort((a, b) => b[1] - b[0] - (a[1] - a[0]))[0] ?? [0, 0];
  const at = Math.max(t[0], Math.floor((t[0] + t[1]) / 2));
  return splice(frame, at, 0, 'x'.repeat(bytes));
}

/** A record carrying a value nested `levels` deep (JSON), or a line/row with `levels` `[` and `levels` `{` in its longest field. */
export function deepFrame(frame: Buffer, framing: Framing, levels: number): Buffer {
  if (framing === 'json-records') {
    const root = parseJson(frame);
    if (typeof root === 'object' && root !== null && !Array.isArray(root)) {
      (root as Record<string, unknown>).deep = SENTINEL;
      return withSentinel(root, deepArray(levels));
    }
    return Buffer.from(deepArray(levels));
  }
  const t = tokens(frame, framing).sort((a, b) => b[1] - b[0] - (a[1] - a[0]))[0] ?? [0, 0];
  return splice(frame, t[0] + 1, 0, '['.repeat(levels) + '{'.repeat(levels));
}

// ---------------------------------------------------------------------------------------------
// Level (a): frames.
// ---------------------------------------------------------------------------------------------

/** A problem found, with the input that shows it (minimized where that could be done). */
export interface Finding {
  readonly parser: string;
  readonly level: 'frames' | 'objects' | 'special';
  /** `parser_threw`, `validator_threw`, `writer_threw`, `framer_threw`, `contract`, `slow`, `escaped`, `reconcile`, `locality`, … */
  readonly kind: string;
  readonly mutator: string;
  readonly message: string;
  /** The seed the input came from (sample and frame). */
  readonly seed: string;
  readonly input: string;
  readonly minimized?: string;
  /** How many inputs showed the same problem. */
  count: number;
}

export interface FrameStats {
  readonly parser: string;
  inputs: number;
  frames: number;
  records: number;
  rejected: Record<string, number>;
  skipped: Record<string, number>;
  parserExceptions: number;
  validatorExceptions: number;
  writerExceptions: number;
  framerExceptions: number;
  framerObjectErrors: number;
  contractViolations: number;
  /** Frames over SLOW_MS on one timing / on all three. */
  slowOnce: number;
  slowConfirmed: number;
  maxMs: number;
  p99Ms: number;
  p999Ms: number;
  meanMs: number;
  seconds: number;
  inputMiB: number;
  readonly findings: Finding[];
}

function addFinding(findings: Finding[], f: Omit<Finding, 'count'>): Finding | null {
  const same = findings.find((x) => x.kind === f.kind && x.message === f.message);
  if (same) {
    same.count++;
    return null;
  }
  const nf: Finding = { ...f, count: 1 };
  findings.push(nf);
  return nf;
}

function errorText(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  return `${err.name}: ${err.message.slice(0, 160)}`;
}

/** Stable part of an error message (numbers and quoted text vary with the input). */
function errorKey(e: unknown): string {
  return errorText(e).replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"…"').slice(0, 120);
}

/**
 * Shrinks `input` while `fails` holds: removes chunks, halving their size (delta debugging),
 * within `budget` calls.
 */
export function minimize(input: Buffer, fails: (b: Buffer) => boolean, budget = 2000): Buffer {
  let cur = input;
  let chunk = Math.max(1, Math.floor(cur.byteLength / 2));
  let calls = 0;
  while (chunk >= 1 && calls < budget) {
    let progressed = false;
    for (let at = 0; at < cur.byteLength && calls < budget; ) {
      const cand = Buffer.concat([cur.subarray(0, at), cur.subarray(at + chunk)]);
      calls++;
      if (cand.byteLength < cur.byteLength && fails(cand)) {
        cur = cand;
        progressed = true;
      } else {
        at += chunk;
      }
    }
    if (!progressed) chunk = Math.floor(chunk / 2);
  }
  return cur;
}

/** A writer output that drops its bytes. */
const NULL_OUTPUT = { write: async (): Promise<void> => undefined, close: async (): Promise<void> => undefined, abort: async (): Promise<void> => undefined };

/** Writes records to a Parquet file in memory; the message of the first failure, if any. */
async function writeRecords(parser: Parser, records: ReadonlyArray<{ record: EventFields; raw: string }>): Promise<string | null> {
  try {
    const w = new ParquetFileWriter(NULL_OUTPUT, {
      codec: 'UNCOMPRESSED',
      rowGroupRows: 20_000,
      createdBy: 'loglake-fuzz',
      stamp: { object: 'fuzz', objectId: 'fuzz', ingestedAt: Date.now(), parserVersion: `${parser.id}@${parser.version}` },
    });
    records.forEach((r, i) => w.add(r.record, r.raw, i + 1));
    await w.close();
    return null;
  } catch (e) {
    return errorText(e);
  }
}

interface FrameRun {
  readonly evals: Evaluation[];
  readonly cuts: Cut[];
  readonly framerThrew?: unknown;
  readonly objectError?: ObjectError;
}

/** Replays the frames before `frameIdx` of the entry, then frames and evaluates `bytes` in that state. */
function runInput(seeds: ParserSeeds, entryIdx: number, frameIdx: number, bytes: Buffer, options: PipelineOptions, bounds: TimeBounds): FrameRun {
  const parser = seeds.parser;
  const entry = seeds.entries[entryIdx] as SeedEntry;
  const ctx = newContext(parser, entry.object);
  // Parsers keep per-object state only in `ctx.state` (types.ts): without one there is nothing to rebuild.
  if (parser.createState === undefined) ctx.ordinal = frameIdx;
  for (let j = 0; parser.createState !== undefined && j < frameIdx; j++) {
    try {
      evaluate(parser, (entry.frames[j] as SeedFrame).cut, ctx, bounds, options);
    } catch {
      // a seed frame never throws; the mutated one is what is looked at
    }
  }
  let cuts: Cut[];
  let objectError: ObjectError | null = null;
  try {
    ({ cuts, objectError } = cutFrames(parser, bytes, options));
  } catch (e) {
    return { evals: [], cuts: [], framerThrew: e };
  }
  const evals = cuts.map((c) => evaluate(parser, c, ctx, bounds, options));
  return { evals, cuts, ...(objectError !== null ? { objectError } : {}) };
}

/** What went wrong in one input, as a stable key, or null. */
function problemOf(run: FrameRun): { kind: string; key: string; error: unknown } | null {
  if (run.framerThrew !== undefined) return { kind: 'framer_threw', key: errorKey(run.framerThrew), error: run.framerThrew };
  for (const ev of run.evals) {
    if (ev.parserThrew !== undefined) return { kind: 'parser_threw', key: errorKey(ev.parserThrew), error: ev.parserThrew };
    if (ev.validatorThrew !== undefined) return { kind: 'validator_threw', key: errorKey(ev.validatorThrew), error: ev.validatorThrew };
    if (ev.contract !== undefined) return { kind: 'contract', key: ev.contract, error: ev.contract };
  }
  return null;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/**
 * Level (a): `n` mutated inputs for one parser, each a mutated seed record (or, one time in
 * twenty, a mutated header followed by the record after it).
 */
export async function fuzzFrames(seeds: ParserSeeds, n: number, seed: number, options: PipelineOptions = resolveOptions()): Promise<FrameStats> {
  const parser = seeds.parser;
  const rng = prng(seed);
  const bounds = timeBounds(Date.now());
  const stats: FrameStats = {
    parser: parser.id,
    inputs: 0,
    frames: 0,
    records: 0,
    rejected: {},
    skipped: {},
    parserExceptions: 0,
    validatorExceptions: 0,
    writerExceptions: 0,
    framerExceptions: 0,
    framerObjectErrors: 0,
    contractViolations: 0,
    slowOnce: 0,
    slowConfirmed: 0,
    maxMs: 0,
    p99Ms: 0,
    p999Ms: 0,
    meanMs: 0,
    seconds: 0,
    inputMiB: 0,
    findings: [],
  };
  if (seeds.records.length === 0) return stats;
  const times = new Float64Array(Math.max(16, n * 2));
  let nt = 0;
  let totalMs = 0;
  let bytesIn = 0;
  let toWrite: Array<{ record: EventFields; raw: string }> = [];
  const t0 = performance.now();
  const flushWrites = async (): Promise<void> => {
    const batch = toWrite;
    toWrite = [];
    if (batch.length === 0) return;
    const failure = await writeRecords(parser, batch);
    if (failure === null) return;
    // Find the record that breaks the writer, one at a time.
    for (const r of batch) {
      const one = await writeRecords(parser, [r]);
      if (one === null) continue;
      stats.writerExceptions++;
      addFinding(stats.findings, { parser: parser.id, level: 'frames', kind: 'writer_threw', mutator: '', message: one, seed: '', input: show(r.raw) });
    }
  };
  for (let i = 0; i < n; i++) {
    const [ei, fi] = pick(rng, seeds.records);
    const entry = seeds.entries[ei] as SeedEntry;
    // One input in twenty mutates the last header before the record instead of the record.
    let target = fi;
    if (rng() < 0.05) {
      for (let j = fi - 1; j >= 0; j--) {
        const f = entry.frames[j] as SeedFrame;
        if (f.reason === 'header' && f.start >= 0) {
          target = j;
          break;
        }
      }
    }
    const tf = entry.frames[target] as SeedFrame;
    const original = frameBytes(entry, tf);
    const mutation = mutate(rng, original, parser.framing);
    // A mutated header is followed by the rest of the entry up to and with the record.
    const bytes = target === fi ? mutation.bytes : Buffer.concat([mutation.bytes, entry.content.subarray(tf.end, (entry.frames[fi] as SeedFrame).end)]);
    stats.inputs++;
    bytesIn += bytes.byteLength;
    const run = runInput(seeds, ei, target, bytes, options, bounds);
    const seedName = `${entry.name} frame ${target + 1}`;
    if (run.framerThrew !== undefined) stats.framerExceptions++;
    if (run.objectError !== undefined) {
      stats.framerObjectErrors++;
      stats.rejected[`object:${run.objectError.code}`] = (stats.rejected[`object:${run.objectError.code}`] ?? 0) + 1;
    }
    for (const ev of run.evals) {
      stats.frames++;
      if (ev.kind === 'record') stats.records++;
      else if (ev.kind === 'reject') stats.rejected[ev.reason] = (stats.rejected[ev.reason] ?? 0) + 1;
      else stats.skipped[ev.reason] = (stats.skipped[ev.reason] ?? 0) + 1;
      if (ev.parserThrew !== undefined) stats.parserExceptions++;
      if (ev.validatorThrew !== undefined) stats.validatorExceptions++;
      if (ev.contract !== undefined) stats.contractViolations++;
      if (ev.ms > 0) {
        if (nt < times.length) times[nt++] = ev.ms;
        totalMs += ev.ms;
        if (ev.ms > stats.maxMs) stats.maxMs = ev.ms;
      }
      if (ev.record !== undefined) {
        const cut = run.cuts[run.evals.indexOf(ev)] as Cut & { text: string };
        toWrite.push({ record: ev.record, raw: cut.text });
      }
    }
    const slowest = run.evals.reduce((m, e) => Math.max(m, e.ms), 0);
    if (slowest > SLOW_MS) {
      stats.slowOnce++;
      let best = slowest;
      for (let k = 0; k < 2 && best > SLOW_MS; k++) {
        const again = runInput(seeds, ei, target, bytes, options, bounds);
        best = Math.min(best, again.evals.reduce((m, e) => Math.max(m, e.ms), 0));
      }
      if (best > SLOW_MS) {
        stats.slowConfirmed++;
        addFinding(stats.findings, {
          parser: parser.id,
          level: 'frames',
          kind: 'slow',
          mutator: mutation.name,
          message: `${best.toFixed(1)} ms (best of 3) for ${bytes.byteLength} bytes`,
          seed: seedName,
          input: show(bytes),
        });
      }
    }
    const problem = problemOf(run);
    if (problem !== null) {
      const f = addFinding(stats.findings, {
        parser: parser.id,
        level: 'frames',
        kind: problem.kind,
        mutator: mutation.name,
        message: errorText(problem.error),
        seed: seedName,
        input: show(bytes),
      });
      if (f !== null) {
        const still = (b: Buffer): boolean => {
          const p = problemOf(runInput(seeds, ei, target, b, options, bounds));
          return p !== null && p.kind === problem.kind && p.key === problem.key;
        };
        (f as { minimized?: string }).minimized = show(minimize(bytes, still), 400);
      }
    }
    if (toWrite.length >= 512) await flushWrites();
  }
  await flushWrites();
  stats.seconds = (performance.now() - t0) / 1000;
  stats.inputMiB = bytesIn / (1024 * 1024);
  const sorted = times.subarray(0, nt).sort();
  stats.p99Ms = percentile(sorted, 0.99);
  stats.p999Ms = percentile(sorted, 0.999);
  stats.meanMs = nt > 0 ? totalMs / nt : 0;
  return stats;
}

/** One special frame handed to the parser directly, bypassing the framer's limits. */
export interface SpecialFrameResult {
  readonly parser: string;
  readonly name: string;
  readonly bytes: number;
  /** What the parser and validator made of it, handed over directly. */
  readonly outcome: string;
  readonly ms: number;
  readonly threw: string | null;
  /** What the pipeline's framer does with it at default options (`frame` or a reject reason). */
  readonly framed: string;
  /** What the framer must do with it at default options. */
  readonly expectFramed: string;
  /**
   * True when the pipeline at default options can hand this frame to the parser, so the parser
   * must not throw on it; false for what the framer's limits keep from it (reported only).
   */
  readonly reachable: boolean;
}

/** Nesting a JSON record may have and still reach its parser at default options (`maxJsonDepth` 512). */
export const REACHABLE_DEPTH = 500;

/**
 * The special cases at the frame level, each handed to the parser directly, as if `maxJsonDepth`
 * and `maxLineBytes` had been raised, and through the framer at default options: a 10 MB line or
 * record; for JSON parsers a record holding a value nested 10,000 levels, a bare array and an
 * object nested 10,000 levels, and a record nested 500 levels (within `maxJsonDepth`); for the
 * others a field holding 10,000 `[` and 10,000 `{`.
 */
export function specialFrames(seeds: ParserSeeds, options: PipelineOptions = resolveOptions()): SpecialFrameResult[] {
  const parser = seeds.parser;
  const first = seeds.records[0];
  if (first === undefined) return [];
  const entry = seeds.entries[first[0]] as SeedEntry;
  const frame = frameBytes(entry, entry.frames[first[1]] as SeedFrame);
  const bounds = timeBounds(Date.now());
  const lifted = resolveOptions({ maxLineBytes: 64 * 1024 * 1024, maxJsonDepth: 100_000 });
  const json = parser.framing === 'json-records';
  const cases: Array<{ name: string; bytes: Buffer; expectFramed: string; reachable: boolean }> = [
    { name: '10 MB line', bytes: hugeFrame(frame, parser.framing, HUGE_LINE_BYTES), expectFramed: 'line_too_long', reachable: false },
  ];
  if (json) {
    cases.push(
      { name: `record holding a value nested ${DEEP_LEVELS} levels`, bytes: deepFrame(frame, parser.framing, DEEP_LEVELS), expectFramed: 'too_deep', reachable: false },
      { name: `bare array nested ${DEEP_LEVELS} levels`, bytes: Buffer.from(deepArray(DEEP_LEVELS)), expectFramed: 'too_deep', reachable: false },
      { name: `object nested ${DEEP_LEVELS} levels`, bytes: Buffer.from(deepObject(DEEP_LEVELS)), expectFramed: 'too_deep', reachable: false },
      { name: `record holding a value nested ${REACHABLE_DEPTH} levels`, bytes: deepFrame(frame, parser.framing, REACHABLE_DEPTH), expectFramed: 'frame', reachable: true },
    );
  } else {
    cases.push({ name: `field holding ${DEEP_LEVELS} [ and ${DEEP_LEVELS} {`, bytes: deepFrame(frame, parser.framing, DEEP_LEVELS), expectFramed: 'frame', reachable: true });
  }
  return cases.map(({ name, bytes, expectFramed, reachable }) => {
    const framed = cutFrames(parser, bytes, options).cuts.map((c) => (c.type === 'reject' ? c.reason : 'frame')).join(',') || 'nothing';
    const run = runInput(seeds, first[0], first[1], bytes, lifted, bounds);
    const problem = problemOf(run);
    return {
      parser: parser.id,
      name,
      bytes: bytes.byteLength,
      outcome: run.evals.map((e) => e.reason).join(',') || (run.framerThrew !== undefined ? 'framer threw' : 'nothing'),
      ms: run.evals.reduce((sum, e) => sum + e.ms, 0),
      threw: problem === null ? null : `${problem.kind}: ${errorText(problem.error)}`,
      framed,
      expectFramed,
      reachable,
    };
  });
}

export function formatSpecialFrames(results: readonly SpecialFrameResult[]): string {
  return results
    .map((r) => `  ${r.parser}: ${r.name} (${r.bytes.toLocaleString('en-US')} bytes): framer at defaults → ${r.framed}; parser alone → ${r.outcome} in ${r.ms.toFixed(1)} ms${r.threw !== null ? `, THREW ${r.threw}` : ''}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Level (b): whole objects through processObject.
// ---------------------------------------------------------------------------------------------

export interface ObjectStats {
  readonly parser: string;
  objects: number;
  statuses: Record<string, number>;
  records: number;
  rejected: Record<string, number>;
  skipped: Record<string, number>;
  escaped: number;
  reconcileFailures: number;
  /** Single-site / cut checks where "lost <= records whose bytes changed" is required. */
  localityChecks: number;
  localityFailures: number;
  /** Largest loss beyond the records whose bytes changed, over every checked object. */
  maxNeighbourLoss: number;
  /** JSON objects with single-site mutations other than a one-byte flip: reported, not required. */
  jsonReportedOnly: number;
  jsonReportedNeighbourLoss: number;
  jsonReportedMaxNeighbourLoss: number;
  specialChecks: number;
  specialFailures: number;
  seconds: number;
  readonly findings: Finding[];
}

interface Baseline {
  readonly manifest: Manifest;
}

/** Runs one object file through `processObject` into a fresh lake under `work`, pinned to the parser. */
async function runObject(parser: Parser, path: string, lake: string, options: PipelineOptions): Promise<{ manifest: Manifest | null; escaped: unknown }> {
  const pin: Pin = { kind: 'pin', format: parser.id, exact: true };
  try {
    const { manifest } = await processObject({ bucket: '', key: path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options, rule: () => pin });
    return { manifest, escaped: undefined };
  } catch (e) {
    return { manifest: null, escaped: e };
  }
}

/** What does not add up in a manifest; empty when it reconciles. */
export function reconcile(m: Manifest): string[] {
  const out: string[] = [];
  if (m.lines_in !== m.records + m.rejected + m.skipped) out.push(`lines_in ${m.lines_in} != records ${m.records} + rejected ${m.rejected} + skipped ${m.skipped}`);
  const rj = Object.values(m.rejected_by_reason).reduce((a, b) => a + (b ?? 0), 0);
  if (rj !== m.rejected) out.push(`rejected_by_reason sums to ${rj}, rejected is ${m.rejected}`);
  const sk = Object.values(m.skipped_by_reason).reduce((a, b) => a + (b ?? 0), 0);
  if (sk !== m.skipped) out.push(`skipped_by_reason sums to ${sk}, skipped is ${m.skipped}`);
  if (m.status !== 'failed') {
    const rows = m.outputs.reduce((a, o) => a + o.rows, 0);
    if (rows !== m.records) out.push(`outputs hold ${rows} rows, records is ${m.records}`);
  }
  return out;
}

/** A record frame is safely before `cut` when its end (JSON) or its line ending (lines, CSV) lies before it. */
function safeBefore(entry: SeedEntry, frame: SeedFrame, framing: Framing, cut: number): boolean {
  if (framing === 'json-records') return frame.end <= cut;
  const nl = entry.content.indexOf(0x0a, frame.end);
  return nl >= 0 && nl < cut;
}

function recordsOf(entry: SeedEntry): SeedFrame[] {
  return entry.frames.filter((f) => f.kind === 'record' && f.start >= 0);
}

/** What the bytes around a mutation site looked like before and after, for a report. */
function siteView(before: Buffer, after: Buffer): string {
  let s = 0;
  while (s < before.byteLength && s < after.byteLength && before[s] === after[s]) s++;
  let e1 = before.byteLength;
  let e2 = after.byteLength;
  while (e1 > s && e2 > s && before[e1 - 1] === after[e2 - 1]) {
    e1--;
    e2--;
  }
  const lo = Math.max(0, s - 30);
  return `at byte ${s}: ${show(before.subarray(lo, Math.min(before.byteLength, e1 + 30)), 200)} -> ${show(after.subarray(lo, Math.min(after.byteLength, e2 + 30)), 200)}`;
}

/** Mutated objects per parser that go with `n` mutated frames: 10 at the test default, 400 at 100,000. */
export function objectsFor(n: number): number {
  return Math.max(10, Math.round(n / 250));
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export interface ObjectFuzzOptions {
  /** Mutated objects per parser (specials not counted). */
  readonly objects: number;
  readonly seed: number;
  readonly options?: PipelineOptions;
  /** Run the special objects (damaged gzip/zip, 10 MB line, deep JSON). @default true */
  readonly specials?: boolean;
  /** Seed entries the damaged-compression specials run on. @default all */
  readonly specialDocs?: number;
}

/**
 * Level (b): mutated whole objects through `processObject`, each compared with its clean original.
 * Kinds, by draw: `site` (1–3 record frames mutated in place: lost <= sites; for JSON required
 * only when every site is a one-byte flip, otherwise the neighbour loss is reported), `cut`
 * (the object truncated: lost <= records not wholly before the cut), `chaos` (1–8 mutations
 * anywhere, plain or gzipped, the gzip bytes sometimes damaged: nothing escapes, counts
 * reconcile). Then the special objects.
 */
export async function fuzzObjects(seeds: ParserSeeds, o: ObjectFuzzOptions): Promise<ObjectStats> {
  const parser = seeds.parser;
  const options = o.options ?? resolveOptions();
  const rng = prng(o.seed);
  const stats: ObjectStats = {
    parser: parser.id,
    objects: 0,
    statuses: {},
    records: 0,
    rejected: {},
    skipped: {},
    escaped: 0,
    reconcileFailures: 0,
    localityChecks: 0,
    localityFailures: 0,
    maxNeighbourLoss: 0,
    jsonReportedOnly: 0,
    jsonReportedNeighbourLoss: 0,
    jsonReportedMaxNeighbourLoss: 0,
    specialChecks: 0,
    specialFailures: 0,
    seconds: 0,
    findings: [],
  };
  const docs = seeds.entries.map((e, i) => ({ e, i })).filter(({ e }) => recordsOf(e).length > 0);
  if (docs.length === 0) return stats;
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'loglake-fuzz-'));
  // One lake for every object of the run: each object has its own key, so its own manifest and outputs.
  const lake = join(work, 'lake');
  let counter = 0;
  const write = (entry: SeedEntry, bytes: Buffer, suffix = ''): string => {
    const dir = join(work, 'in', String(counter++));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, entry.fileName + suffix);
    writeFileSync(path, bytes);
    return path;
  };
  const baselines = new Map<number, Baseline>();
  const framing = parser.framing;
  try {
    for (const { e, i } of docs) {
      const { manifest, escaped } = await runObject(parser, write(e, e.content), lake, options);
      if (manifest === null) throw new Error(`${parser.id}: the clean sample ${e.name} throws out of processObject: ${errorText(escaped)}`);
      baselines.set(i, { manifest });
    }
    /** Runs one object and does the checks every object gets; the manifest when it ran. */
    const run = async (entry: SeedEntry, bytes: Buffer, what: string, suffix = ''): Promise<Manifest | null> => {
      const path = write(entry, bytes, suffix);
      const { manifest, escaped } = await runObject(parser, path, lake, options);
      stats.objects++;
      rmSync(path, { force: true });
      if (manifest === null) {
        stats.escaped++;
        addFinding(stats.findings, { parser: parser.id, level: 'objects', kind: 'escaped', mutator: what, message: errorText(escaped), seed: entry.name, input: show(bytes) });
        return null;
      }
      stats.statuses[manifest.status] = (stats.statuses[manifest.status] ?? 0) + 1;
      if (manifest.status === 'failed') stats.statuses[`failed:${manifest.reason}`] = (stats.statuses[`failed:${manifest.reason}`] ?? 0) + 1;
      stats.records += manifest.records;
      for (const [k, v] of Object.entries(manifest.rejected_by_reason)) stats.rejected[k] = (stats.rejected[k] ?? 0) + (v ?? 0);
      for (const [k, v] of Object.entries(manifest.skipped_by_reason)) stats.skipped[k] = (stats.skipped[k] ?? 0) + (v ?? 0);
      const bad = reconcile(manifest);
      if (bad.length > 0) {
        stats.reconcileFailures++;
        addFinding(stats.findings, { parser: parser.id, level: 'objects', kind: 'reconcile', mutator: what, message: bad.join('; '), seed: entry.name, input: show(bytes) });
      }
      return manifest;
    };
    for (let k = 0; k < o.objects; k++) {
      const { e, i } = pick(rng, docs);
      const base = (baselines.get(i) as Baseline).manifest;
      const draw = rng();
      if (draw < 0.6) {
        // site: 1–3 distinct record frames mutated in place
        const recs = recordsOf(e);
        const sites = Math.min(recs.length, 1 + (rng() < 0.7 ? 0 : int(rng, 3)));
        const chosen = [...recs].sort(() => rng() - 0.5).slice(0, sites).sort((a, b) => a.start - b.start);
        const flipOnly = framing === 'json-records' && rng() < 0.5;
        const names: string[] = [];
        const pieces: Buffer[] = [];
        let views = '';
        let at = 0;
        for (const f of chosen) {
          const before = frameBytes(e, f);
          const m = flipOnly ? { name: 'flip', bytes: applyMutator('flip', rng, before, framing) as Buffer } : mutate(rng, before, framing);
          names.push(m.name);
          pieces.push(e.content.subarray(at, f.start), m.bytes);
          at = f.end;
          if (views === '') views = `record ${e.frames.indexOf(f) + 1} ${siteView(before, m.bytes)}`;
        }
        pieces.push(e.content.subarray(at));
        const bytes = Buffer.concat(pieces);
        const what = `site×${sites}: ${names.join(', ')}`;
        const m = await run(e, bytes, what);
        if (m === null) continue;
        const lost = base.records - m.records;
        const neighbours = lost - sites;
        const strict = framing !== 'json-records' || names.every((n) => n === 'flip');
        if (strict) {
          stats.localityChecks++;
          stats.maxNeighbourLoss = Math.max(stats.maxNeighbourLoss, neighbours);
          if (neighbours > 0) {
            stats.localityFailures++;
            addFinding(stats.findings, {
              parser: parser.id,
              level: 'objects',
              kind: 'locality',
              mutator: what,
              message: `${sites} record(s) changed, ${lost} lost (${base.records} → ${m.records}; rejected ${JSON.stringify(m.rejected_by_reason)}, status ${m.status}${m.reason ? ` ${m.reason}` : ''})`,
              seed: e.name,
              input: views,
            });
          }
        } else {
          stats.jsonReportedOnly++;
          if (neighbours > 0) stats.jsonReportedNeighbourLoss++;
          stats.jsonReportedMaxNeighbourLoss = Math.max(stats.jsonReportedMaxNeighbourLoss, neighbours);
        }
      } else if (draw < 0.7) {
        // cut: the object truncated at a random point
        const cut = int(rng, e.content.byteLength);
        const m = await run(e, e.content.subarray(0, cut), `cut at byte ${cut}`);
        if (m === null) continue;
        const safe = recordsOf(e).filter((f) => safeBefore(e, f, framing, cut)).length;
        stats.localityChecks++;
        const neighbours = safe - m.records;
        stats.maxNeighbourLoss = Math.max(stats.maxNeighbourLoss, neighbours);
        if (neighbours > 0) {
          stats.localityFailures++;
          addFinding(stats.findings, {
            parser: parser.id,
            level: 'objects',
            kind: 'locality',
            mutator: 'cut',
            message: `truncated at byte ${cut} of ${e.content.byteLength}: ${safe} records end before the cut, ${m.records} kept`,
            seed: e.name,
            input: show(e.content.subarray(Math.max(0, cut - 80), cut)),
          });
        }
      } else {
        // chaos: 1–8 mutations anywhere, sometimes gzipped, the gzip sometimes damaged
        let bytes: Buffer = e.content;
        const names: string[] = [];
        const n = 1 + int(rng, 8);
        for (let j = 0; j < n; j++) {
          const name = pick(rng, TEXT_MUTATOR_NAMES.filter((x) => x !== 'long_field'));
          const out = applyMutator(name, rng, bytes, framing);
          if (out !== null) {
            bytes = out;
            names.push(name);
          }
        }
        let suffix = '';
        if (rng() < 0.35) {
          bytes = gzipSync(bytes);
          suffix = '.gz';
          const d = rng();
          if (d < 0.25) bytes = bytes.subarray(0, int(rng, bytes.byteLength));
          else if (d < 0.5) bytes = applyMutator('flip', rng, bytes, framing) as Buffer;
          else if (d < 0.6) bytes = Buffer.concat([bytes, Buffer.from(Array.from({ length: 1 + int(rng, 64) }, () => int(rng, 256)))]);
          names.push(d < 0.25 ? 'gzip truncated' : d < 0.5 ? 'gzip byte flipped' : d < 0.6 ? 'gzip garbage tail' : 'gzip');
        }
        await run(e, bytes, `chaos: ${names.join(', ')}`, suffix);
      }
    }
    if (o.specials !== false) await specialObjects(seeds, docs.slice(0, o.specialDocs ?? docs.length), baselines, run, stats, rng);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}

type Runner = (entry: SeedEntry, bytes: Buffer, what: string, suffix?: string) => Promise<Manifest | null>;

async function specialObjects(
  seeds: ParserSeeds,
  docs: ReadonlyArray<{ e: SeedEntry; i: number }>,
  baselines: ReadonlyMap<number, Baseline>,
  run: Runner,
  stats: ObjectStats,
  rng: Rng,
): Promise<void> {
  const parser = seeds.parser;
  const framing = parser.framing;
  const check = (e: SeedEntry, what: string, ok: boolean, expected: string, got: string): void => {
    stats.specialChecks++;
    if (ok) return;
    stats.specialFailures++;
    addFinding(stats.findings, { parser: parser.id, level: 'special', kind: 'special', mutator: what, message: `expected ${expected}, got ${got}`, seed: e.name, input: '' });
  };
  const got = (m: Manifest): string => `${m.status}${m.reason ? ` (${m.reason})` : ''}, ${m.records} records, rejected ${JSON.stringify(m.rejected_by_reason)}`;
  for (const { e, i } of docs) {
    const base = (baselines.get(i) as Baseline).manifest;
    const gz = gzipSync(e.content);
    // Truncated gzip, at two points: keeps every record that decodes before the cut.
    for (let k = 0; k < 2; k++) {
      const cut = 10 + int(rng, Math.max(1, gz.byteLength - 10));
      const truncated = gz.subarray(0, cut);
      let decodable = 0;
      try {
        decodable = gunzipSync(truncated, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).byteLength;
      } catch {
        decodable = 0;
      }
      const safe = recordsOf(e).filter((f) => safeBefore(e, f, framing, decodable)).length;
      const m = await run(e, truncated, `gzip truncated at ${cut}/${gz.byteLength}`, '.gz');
      // Nothing decodable: a failed object loses nothing; otherwise the object is damaged, not failed.
      if (m !== null) check(e, `gzip truncated at byte ${cut} of ${gz.byteLength} (${decodable} bytes decodable)`, m.records >= safe && (decodable === 0 || m.status !== 'failed'), `>= ${safe} records${decodable > 0 ? ', not failed' : ''}`, got(m));
    }
    // Garbage after a complete gzip member: nothing of the content is lost.
    const garbage = Buffer.from(Array.from({ length: 1 + int(rng, 200) }, () => int(rng, 256)));
    const mg = await run(e, Buffer.concat([gz, garbage]), 'gzip + garbage tail', '.gz');
    if (mg !== null) check(e, `gzip + ${garbage.byteLength} garbage bytes`, mg.records === base.records, `${base.records} records (all)`, got(mg));
    // A zip of three copies, the second damaged in the middle of its compressed data.
    const zip = Buffer.from(zipSync({ 'a.txt': e.content, 'b.txt': e.content, 'c.txt': e.content }, { level: 6 }));
    const second = zip.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 4);
    if (second > 0) {
      const nameLen = zip.readUInt16LE(second + 26);
      const extraLen = zip.readUInt16LE(second + 28);
      const size = zip.readUInt32LE(second + 18);
      const dataStart = second + 30 + nameLen + extraLen;
      const damaged = Buffer.from(zip);
      for (let k = 0; k < Math.max(1, Math.floor(size / 8)); k++) {
        const p = dataStart + Math.floor(size / 4) + k;
        if (p < dataStart + size) damaged[p] = (damaged[p] as number) ^ 0xa5;
      }
      const mz = await run(e, damaged, 'zip, second entry damaged', '.zip');
      if (mz !== null) check(e, 'zip of 3 entries, the 2nd damaged', mz.records >= base.records && mz.status !== 'failed', `>= ${base.records} records (the 1st entry whole), not failed`, got(mz));
    }
  }
  // One 10 MB record and one 10,000-level record in place of the first record of the first doc.
  const { e, i } = docs[0] as { e: SeedEntry; i: number };
  const base = (baselines.get(i) as Baseline).manifest;
  const f = recordsOf(e)[0] as SeedFrame;
  const replace = (b: Buffer): Buffer => Buffer.concat([e.content.subarray(0, f.start), b, e.content.subarray(f.end)]);
  const mh = await run(e, replace(hugeFrame(frameBytes(e, f), framing, HUGE_LINE_BYTES)), '10 MB record');
  if (mh !== null) check(e, 'first record padded to 10 MB', mh.records === base.records - 1 && (mh.rejected_by_reason.line_too_long ?? 0) >= 1, `${base.records - 1} records and a line_too_long`, got(mh));
  const md = await run(e, replace(deepFrame(frameBytes(e, f), framing, DEEP_LEVELS)), `${DEEP_LEVELS}-level record`);
  if (md !== null) {
    const expected = framing === 'json-records' ? `${base.records - 1} records and a too_deep` : `>= ${base.records - 1} records`;
    const ok = framing === 'json-records' ? md.records === base.records - 1 && (md.rejected_by_reason.too_deep ?? 0) >= 1 : md.records >= base.records - 1;
    check(e, `first record nesting ${DEEP_LEVELS} levels`, ok, expected, got(md));
  }
  if (framing === 'json-records') {
    const mr = await run(e, replace(deepFrame(frameBytes(e, f), framing, REACHABLE_DEPTH)), `${REACHABLE_DEPTH}-level record`);
    if (mr !== null) check(e, `first record holding a value nested ${REACHABLE_DEPTH} levels`, mr.records === base.records, `${base.records} records (within maxJsonDepth)`, got(mr));
  }
}

// ---------------------------------------------------------------------------------------------
// Reports.
// ---------------------------------------------------------------------------------------------

const top = (counts: Record<string, number>, n = 8): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ') || '—';

export function formatFrameStats(s: FrameStats): string {
  return [
    `${s.parser} frames: ${s.inputs.toLocaleString('en-US')} inputs (${s.inputMiB.toFixed(1)} MiB) → ${s.frames.toLocaleString('en-US')} frames in ${s.seconds.toFixed(1)} s (${Math.round(s.inputs / Math.max(s.seconds, 1e-9)).toLocaleString('en-US')} inputs/s)`,
    `  records ${s.records.toLocaleString('en-US')}; rejected: ${top(s.rejected)}; skipped: ${top(s.skipped)}`,
    `  exceptions: parser ${s.parserExceptions}, validator ${s.validatorExceptions}, writer ${s.writerExceptions}, framer ${s.framerExceptions}; contract violations ${s.contractViolations}; framer object errors ${s.framerObjectErrors}`,
    `  time per frame: mean ${(s.meanMs * 1000).toFixed(1)} µs, p99 ${(s.p99Ms * 1000).toFixed(1)} µs, p99.9 ${(s.p999Ms * 1000).toFixed(1)} µs, max ${s.maxMs.toFixed(2)} ms; over ${SLOW_MS} ms: ${s.slowOnce} once, ${s.slowConfirmed} on 3 timings`,
  ].join('\n');
}

export function formatObjectStats(s: ObjectStats): string {
  return [
    `${s.parser} objects: ${s.objects} through processObject in ${s.seconds.toFixed(1)} s; statuses: ${top(s.statuses)}`,
    `  records ${s.records.toLocaleString('en-US')}; rejected: ${top(s.rejected)}; skipped: ${top(s.skipped)}`,
    `  escaped exceptions ${s.escaped}; reconciliation failures ${s.reconcileFailures}; locality checks ${s.localityChecks}, failures ${s.localityFailures}, max neighbour loss ${s.maxNeighbourLoss}; special objects ${s.specialChecks}, failures ${s.specialFailures}`,
    ...(s.jsonReportedOnly > 0 ? [`  JSON single-site mutations other than one-byte flips (reported only): ${s.jsonReportedOnly}, with neighbour loss ${s.jsonReportedNeighbourLoss}, max ${s.jsonReportedMaxNeighbourLoss}`] : []),
  ].join('\n');
}

export function formatFindings(findings: readonly Finding[], max = 20): string {
  if (findings.length === 0) return '  findings: none';
  return findings
    .slice(0, max)
    .map((f) => `  [${f.level}/${f.kind}] ×${f.count} ${f.parser} (${f.mutator}) ${f.message}\n    seed ${f.seed}\n    input ${f.input}${f.minimized !== undefined ? `\n    minimized ${f.minimized}` : ''}`)
    .join('\n');
}
