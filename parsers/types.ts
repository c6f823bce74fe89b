/**
 * The contract every format parser fulfils. A parser is a constant object, not a function: its
 * fields declare identity and routing (id, source, version, key patterns, framing), and its
 * methods do the work: `sniff` judges the head of an object, `createState` and `header` build
 * per-object state, `parse` turns one frame into one record, one rejection or one skip. The
 * methods are pure in effect: their result depends only on their arguments, and they write
 * nothing but the `state` and `ParseContext` they are handed. Parsers never see bytes, streams,
 * S3 or the clock; the pipeline frames the object, hands each parser the input its framing
 * defines (a line, a parsed JSON value, the cells of a CSV row), validates what comes back
 * against `schema/` and stamps identity columns.
 *
 * What makes a parser safe to resume after a hand-over: every piece of per-object state it
 * keeps comes from `header()`, because a continuation replays only header frames before the
 * point it resumes at. Parsers keep no state between frames at module level; the only module-level
 * mutable values are scratch buffers (the line parsers' `Tokens`), refilled on every call.
 */
import type { EventFields, ParserId, RejectReason, SkipReason, Source } from '../schema/index.js';

/**
 * How the pipeline cuts an object into frames for this parser:
 * - `lines`: one text line per frame (`\n`, optional `\r`), or one record of several lines for a
 *   parser that says where records start (`LineParser.recordStart`);
 * - `json-records`: one JSON value per frame, taken from a container array such as
 *   `{"Records":[…]}`, or each top-level value of a concatenated / NDJSON stream; the pipeline
 *   parses it (once) and rejects text that is not JSON or nests too deep;
 * - `csv`: one CSV row per frame, as its cells.
 */
export type Framing = 'lines' | 'json-records' | 'csv';

/** Mutable per-object context, reused for every frame of one object to avoid allocations. */
export interface ParseContext<S = unknown> {
  /** `s3://bucket/key` or local path of the object being parsed. */
  readonly object: string;
  /** 1-based position of the frame in the object. */
  ordinal: number;
  /** Name of the archive entry being read (zip), null or absent otherwise. */
  entry?: string | null;
  /** Parser-owned state for this object (e.g. the `#Fields` of a W3C file); see `createState`. */
  state: S;
  /**
   * Schema drift counter: a parser adds 1 for each frame that carries fields its format version
   * does not know (unknown trailing fields, new JSON keys), e.g. `ctx.drift = (ctx.drift ?? 0) + 1`.
   * The pipeline reports the total per object (`schema_drift` in the manifest, `SchemaDrift`
   * metric), so a format change shows up on a dashboard before it shows up as rejects.
   * Optional so contexts built by hand in tests need not set it.
   */
  drift?: number;
}

export type ParseResult =
  | { readonly ok: true; readonly record: EventFields }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail?: string }
  | { readonly ok: 'skip'; readonly reason: SkipReason };

/** What routing knows about an object before parsing: its key and the first decoded text. */
export interface DetectInput {
  readonly key: string;
  readonly head: string;
}

/** What every parser declares, whatever its framing. */
interface ParserBase<S> {
  /** Unique among parsers; `parser_version` is `<id>@<version>`. */
  readonly id: ParserId;
  /** The `source` partition this parser writes; several parsers may share one. */
  readonly source: Source;
  /** Bumped whenever output for the same input changes; feeds `parser_version`. */
  readonly version: number;
  /** One line for `loglake formats`. */
  readonly description: string;
  /** The AWS documentation page of the format. */
  readonly docsUrl: string;
  /** AWS's documented object-key naming, matched against the whole key. */
  readonly keyPatterns: readonly RegExp[];
  /** Human-readable form of `keyPatterns` for `loglake formats`. */
  readonly keyExample: string;
  /** Content sniffing on the first decoded text of an object whose key matched no pattern. */
  sniff(head: string): boolean;
  /** Fresh per-object (and per archive entry) state, when headers change how frames parse. */
  createState?(): S;
}

/** A parser of text lines (access logs, W3C logs). */
export interface LineParser<S = unknown> extends ParserBase<S> {
  readonly framing: 'lines';
  /** Consumes a header line (returns true, counted as a skipped `header`) or declines it. */
  header?(line: string, state: S): boolean;
  /**
   * For a format whose records span lines (a Redshift user activity log keeps the line breaks of
   * each query): true when `line` starts a record. The framer then makes one frame of a record
   * start and every line after it up to the next record start, joined with `\n` (no `\r`), held
   * up to `maxLineBytes` per record like a line; lines before the first record start are frames
   * of their own. It sees one line and nothing else (no state), so every read and hand-over cuts
   * the same records, and a continuation resumes at a record start.
   */
  recordStart?(line: string): boolean;
  /** One line, or with `recordStart` one record: its lines joined with `\n`. */
  parse(line: string, ctx: ParseContext<S>): ParseResult;
}

/** A parser of JSON records; it receives the value the pipeline parsed from one frame. */
export interface JsonParser<S = unknown> extends ParserBase<S> {
  readonly framing: 'json-records';
  /** Container keys whose array elements are the records (`{"Records":[…]}`). */
  readonly containerKeys: readonly string[];
  parse(value: unknown, ctx: ParseContext<S>): ParseResult;
}

/** A parser of CSV rows; it receives the cells, and its header hook builds per-file state. */
export interface CsvParser<S = unknown> extends ParserBase<S> {
  readonly framing: 'csv';
  /**
   * Consumes a header row into `state` (returns true, counted as a skipped `header`) or declines
   * it. A continuation replays every row before its resume point through this hook alone, so
   * the header must be the only source of state.
   */
  header(cells: readonly string[], state: S): boolean;
  parse(cells: readonly string[], ctx: ParseContext<S>): ParseResult;
}

/**
 * One log format (the steps to add one are listed in `index.ts`). The state type is the
 * parser's own (methods are bivariant, so a `LineParser<MyState>` is one).
 */
export type Parser = LineParser | JsonParser | CsvParser;

/**
 * An object that is recognized but holds no events (CloudTrail digests, CUR manifests):
 * recorded in the manifest with its reason, never parsed. Checked before any parser, also
 * under a rule that pins its source.
 */
export interface Ignorable {
  readonly name: string;
  /** The source whose deliveries include these objects. */
  readonly source: Source;
  readonly description: string;
  readonly keyPatterns: readonly RegExp[];
  readonly keyExample: string;
  sniff(head: string): boolean;
}
