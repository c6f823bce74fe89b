/**
 * The contract every format parser fulfils: pure functions from one frame to one record or
 * one rejection. Parsers never see bytes, streams, S3 or the clock; the pipeline frames the
 * object (lines, JSON records, CSV rows) and stamps identity columns.
 */
import type { EventFields, RejectReason, SkipReason, Source } from '../schema/index.js';

/**
 * How the pipeline cuts an object into frames for this parser:
 * - `lines`: one text line per frame (`\n`, optional `\r`);
 * - `json-records`: one JSON value per frame, taken from a container array such as
 *   `{"Records":[…]}`, or each top-level value of a concatenated / NDJSON stream;
 * - `csv`: one CSV row per frame, fields in `ctx.fields`, raw text as the frame.
 */
export type Framing = 'lines' | 'json-records' | 'csv';

/** Mutable per-object context, reused for every frame of one object to avoid allocations. */
export interface ParseContext<S = unknown> {
  /** `s3://bucket/key` or local path of the object being parsed. */
  readonly object: string;
  /** 1-based position of the frame in the object. */
  ordinal: number;
  /** Parser-owned state for this object (e.g. the `#Fields` of a W3C file); see `createState`. */
  state: S;
  /** CSV framing only: the fields of the current row. */
  fields: readonly string[];
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

/** One log format. Adding a format = one file exporting one of these + a registry line. */
export interface Parser<S = unknown> {
  /** The `source` partition value. */
  readonly name: Source;
  /** Bumped whenever output for the same input changes; feeds `parser_version`. */
  readonly version: number;
  readonly framing: Framing;
  /** One line for `loglake formats`. */
  readonly description: string;
  /** The AWS documentation page of the format. */
  readonly docsUrl: string;
  /** AWS's documented object-key naming, matched against the whole key. */
  readonly keyPatterns: readonly RegExp[];
  /** Human-readable form of `keyPatterns` for `loglake formats`. */
  readonly keyExample: string;
  /** Container keys whose array elements are the records (`json-records` framing only). */
  readonly containerKeys?: readonly string[];
  /** Content sniffing on the first decoded text of an object whose key matched no pattern. */
  sniff(head: string): boolean;
  /** Fresh per-object state, when the format has headers that change how lines parse. */
  createState?(): S;
  /** Consumes a header frame (returns true) or declines it (false) so it is parsed as data. */
  header?(frame: string, state: S): boolean;
  parse(frame: string, ctx: ParseContext<S>): ParseResult;
}

/**
 * An object that is recognized but holds no events (CloudTrail digests, CUR manifests):
 * recorded in the manifest with its reason, never parsed.
 */
export interface Ignorable {
  readonly name: string;
  readonly description: string;
  readonly keyPatterns: readonly RegExp[];
  readonly keyExample: string;
  sniff(head: string): boolean;
}
