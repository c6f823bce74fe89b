/**
 * Room `pipeline/framing/`: decoded content → frames → parser results. `framing.ts` holds the
 * line framer (with its record joiner for formats whose records span lines) and the JSON-record
 * framer, `csv-framer.ts` the CSV one (quoted fields over line breaks), `parse-frame.ts` hands
 * one frame to a parser. Bounded memory per frame; no I/O.
 *
 * Framers cut decompressed bytes into frames (lines, JSON records) without ever buffering more
 * than one frame, and a frame only up to `maxLineBytes`: a longer one is reported as oversized
 * with a bounded prefix, then skipped to its end. Framers are push-based and synchronous so the
 * per-byte loop has no promise per frame.
 */
import type { RejectReason } from '../../schema/index.js';
import { ObjectError, preview } from '../run/errors.js';
import { decodeVisible } from '../decode/utf8.js';

/** A JSON record as the framer parsed it, so the pipeline need not parse it again. */
export type ParsedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** Receives frames in order; each call is one unit of `lines_in`. */
export interface FrameSink {
  /**
   * `fields` carries the cells of a CSV row (csv framing only); `json` the parsed value of a
   * JSON record (json-records framing only).
   */
  frame(text: string, invalidUtf8: boolean, fields?: readonly string[], json?: ParsedJson): void;
  /** A frame that could not be cut cleanly: oversized, truncated, or not JSON at all. */
  reject(reason: RejectReason, raw: string, detail: string): void;
}

/** The bytes of an unfinished frame, handed back instead of framed. */
export interface CutFrame {
  /** Decoded text, up to `maxRejectRawBytes`. */
  readonly text: string;
  /** Bytes the frame had when it was cut. */
  readonly bytes: number;
}

export interface Framer {
  push(data: Buffer): void;
  /** The end of the entry: flushes a last unterminated line, reports a truncated record. */
  end(): void;
  /**
   * The input broke (damaged compression): hands back the unfinished frame, if any, instead of
   * framing it, since its end is not the end the writer of the object meant. The framer is
   * done after this.
   */
  abandon(): CutFrame | null;
}

/** The kept bytes of a frame buffer as a cut frame, or null when it is empty. */
function cutFrom(buf: FrameBuffer, opts: FramerOptions): CutFrame | null {
  if (buf.total === 0) return null;
  const total = buf.total;
  const bytes = buf.bytes();
  return { text: decodeVisible(bytes, 0, Math.min(bytes.byteLength, opts.maxRejectRawBytes)).text, bytes: total };
}

export interface FramerOptions {
  readonly maxLineBytes: number;
  readonly maxRejectRawBytes: number;
  /** JSON framing: deepest nesting a record may have before it is rejected as `too_deep`. */
  readonly maxJsonDepth?: number;
}

const NL = 10;
const CR = 13;

/** Collects the bytes of one frame across chunks, up to a limit, remembering the full size. */
class FrameBuffer {
  private pieces: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly limit: number) {}

  add(piece: Buffer): void {
    this.total += piece.byteLength;
    if (this.kept >= this.limit) return;
    const take = piece.byteLength <= this.limit - this.kept ? piece : piece.subarray(0, this.limit - this.kept);
    this.pieces.push(take);
    this.kept += take.byteLength;
  }

  get oversized(): boolean {
    return this.total > this.limit;
  }

  /** The kept bytes, left in place. */
  peek(): Buffer {
    if (this.pieces.length !== 1) this.pieces = [Buffer.concat(this.pieces, this.kept)];
    return this.pieces[0] as Buffer;
  }

  bytes(): Buffer {
    const b = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.kept);
    this.pieces = [];
    this.kept = 0;
    this.total = 0;
    return b;
  }
}

function rejectOversize(sink: FrameSink, buf: FrameBuffer, opts: FramerOptions): void {
  const total = buf.total;
  const bytes = buf.bytes();
  const prefix = decodeVisible(bytes, 0, Math.min(bytes.byteLength, opts.maxRejectRawBytes)).text;
  sink.reject('line_too_long', prefix, `${total} bytes, limit ${opts.maxLineBytes} (raw keeps the first ${Math.min(total, opts.maxRejectRawBytes)})`);
}

/**
 * Splits on `\n` (dropping a trailing `\r`); the last line needs no newline. Given a parser's
 * `recordStart` (records that span lines), the lines go through a `RecordJoiner` instead of
 * straight to the sink, which makes one frame of each record.
 */
export class LineFramer implements Framer {
  private readonly carry: FrameBuffer;
  private readonly record: RecordJoiner | null;
  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
    recordStart?: (line: string) => boolean,
  ) {
    this.carry = new FrameBuffer(opts.maxLineBytes);
    this.record = recordStart === undefined ? null : new RecordJoiner(sink, opts, recordStart);
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    const { text, invalid } = decodeVisible(buf, start, end);
    if (this.record === null) this.sink.frame(text, invalid);
    else this.record.line(text, invalid, end - start);
  }

  /** The carried line is over `maxLineBytes`: rejected, or for joined records, it makes its record oversized. */
  private oversize(): void {
    if (this.record === null) return rejectOversize(this.sink, this.carry, this.opts);
    const total = this.carry.total;
    const bytes = this.carry.bytes();
    this.record.oversizedLine(decodeVisible(bytes, 0, Math.min(bytes.byteLength, this.opts.maxRejectRawBytes)).text, total);
  }

  push(data: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NL, start);
      if (nl < 0) break;
      if (this.carry.total > 0) {
        this.carry.add(data.subarray(start, nl));
        this.flushCarry();
      } else if (nl - start > this.opts.maxLineBytes) {
        this.carry.add(data.subarray(start, nl));
        this.oversize();
      } else {
        this.emit(data, start, nl);
      }
      start = nl + 1;
    }
    if (start < data.byteLength) this.carry.add(data.subarray(start));
  }

  private flushCarry(): void {
    if (this.carry.oversized) {
      this.oversize();
      return;
    }
    const bytes = this.carry.bytes();
    this.emit(bytes, 0, bytes.byteLength);
  }

  end(): void {
    if (this.carry.total > 0) this.flushCarry();
    this.record?.end();
  }

  abandon(): CutFrame | null {
    const cut = cutFrom(this.carry, this.opts);
    return this.record === null ? cut : this.record.cut(cut);
  }
}

/**
 * Joins lines into records for a format whose records span lines (`LineParser.recordStart`):
 * a line that starts a record closes the open one (one frame, its lines joined with `\n`) and
 * opens the next; any other line continues the open record. Lines before the first record
 * start belong to none and are frames of their own, so the parser answers for them. A record
 * is held only up to `maxLineBytes` (its lines plus the newlines joining them): a longer one is
 * rejected as `line_too_long` when it closes, with a bounded prefix. Whether a line starts a
 * record depends on that line alone, so every read or hand-over cuts the same records, and
 * frame ordinals count records.
 */
class RecordJoiner {
  /** Lines of the open record, or its bounded prefix once it is oversized. */
  private parts: string[] = [];
  private open = false;
  /** Bytes of the open record so far, newlines joining its lines included. */
  private bytes = 0;
  private lines = 0;
  private invalid = false;
  private oversized = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
    private readonly isStart: (line: string) => boolean,
  ) {}

  /** One whole line of at most `maxLineBytes` bytes. */
  line(text: string, invalid: boolean, bytes: number): void {
    if (this.isStart(text)) this.begin();
    else if (!this.open) return this.sink.frame(text, invalid);
    this.add(text, invalid, bytes);
  }

  /** A line over `maxLineBytes`, known by its prefix: its record (or the line alone, outside any) is oversized. */
  oversizedLine(prefix: string, bytes: number): void {
    if (this.isStart(prefix)) this.begin();
    else if (!this.open) {
      const kept = Math.min(bytes, this.opts.maxRejectRawBytes);
      return this.sink.reject('line_too_long', prefix, `${bytes} bytes, limit ${this.opts.maxLineBytes} (raw keeps the first ${kept})`);
    }
    this.add(prefix, false, bytes);
  }

  private begin(): void {
    this.flush();
    this.open = true;
  }

  private add(text: string, invalid: boolean, bytes: number): void {
    this.bytes += (this.lines > 0 ? 1 : 0) + bytes;
    this.lines++;
    if (invalid) this.invalid = true;
    if (this.oversized) return;
    this.parts.push(text);
    if (this.bytes > this.opts.maxLineBytes) {
      this.oversized = true;
      this.parts = [this.joined().slice(0, this.opts.maxRejectRawBytes)];
    }
  }

  private joined(): string {
    return this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('\n');
  }

  /** Hands the open record to the sink, if any. */
  private flush(): void {
    if (!this.open) return;
    if (this.oversized) {
      const prefix = this.joined();
      const detail = `a record of ${this.bytes} bytes in ${this.lines} lines, limit ${this.opts.maxLineBytes} (raw keeps the first ${prefix.length} characters)`;
      this.reset();
      return this.sink.reject('line_too_long', prefix, detail);
    }
    const text = this.joined();
    const invalid = this.invalid;
    this.reset();
    this.sink.frame(text, invalid);
  }

  private reset(): void {
    this.parts = [];
    this.open = false;
    this.bytes = 0;
    this.lines = 0;
    this.invalid = false;
    this.oversized = false;
  }

  /** The end of the entry: the open record is complete. */
  end(): void {
    this.flush();
  }

  /**
   * The input broke: `carried` is the cut last line, if any. The open record is framed as it
   * stands and only the cut line is handed back. Every line of the open record arrived whole;
   * whether more of its lines were lost cannot be known (a cut line is often too short to tell a
   * record start from a continuation), and cutting the record with it would cost a record the
   * damage may not have touched. A record that did lose lines parses or is rejected on its own.
   */
  cut(carried: CutFrame | null): CutFrame | null {
    this.flush();
    return carried;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NL || c === CR || c === 0x09;
}

function closerOf(opener: number): number {
  return opener === LBRACKET ? RBRACKET : RBRACE;
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.byteLength && isSpace(b[i] as number)) i++;
  return i;
}

/** End (exclusive) of the object or array opening at `start`, or -1 when `b` ends inside it. */
function valueEnd(b: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < b.byteLength; i++) {
    const c = b[i] as number;
    if (c === QUOTE) {
      for (i++; i < b.byteLength && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === LBRACE || c === LBRACKET) {
      depth++;
    } else if ((c === RBRACE || c === RBRACKET) && --depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

/** Records of one array start with at most this many distinct first keys worth remembering. */
const MAX_RECORD_KEYS = 16;

function startsWithKey(b: Buffer, at: number, keys: readonly Buffer[]): boolean {
  return keys.some((k) => at + k.byteLength <= b.byteLength && b.compare(k, 0, k.byteLength, at, at + k.byteLength) === 0);
}

/** `"key"` of the first key of the JSON object in `b` (as written, escapes kept), or null. */
function firstKey(b: Buffer): Buffer | null {
  const end = firstKeyEnd(b);
  return end < 0 ? null : Buffer.from(b.subarray(skipSpace(b, 1), end));
}

/** End (exclusive, after its closing quote) of the first key of the JSON object in `b`, or -1. */
function firstKeyEnd(b: Buffer): number {
  const open = skipSpace(b, 1);
  if (b[open] !== QUOTE) return -1;
  for (let i = open + 1; i < b.byteLength; i++) {
    if (b[i] === BACKSLASH) i++;
    else if (b[i] === QUOTE) return i + 1;
  }
  return -1;
}

/** `text` parsed, or the parser's message: the one place JSON text becomes a value or a reason. */
export function parseJson(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: jsonErrorDetail((e as Error).message) };
  }
}

/**
 * V8's message without the " (line 1 column 121)" that Node.js 22 and later append to the
 * position: the rejected line's detail is then the same whichever runtime wrote it (the CLI on
 * Node 20, Lambda on Node 24), and the position is already in it.
 */
export function jsonErrorDetail(message: string): string {
  return message.replace(/ \(line \d+ column \d+\)$/, '');
}

/** Resync candidates tried per salvage, and bytes scanned at most, relative to the capture. */
const RESYNC_CANDIDATES = 256;
const RESYNC_SCAN_FACTOR = 4;

/** Records of a container array (comma-separated), or top-level documents (one per line). */
export type ResyncMode = 'array' | 'documents';

/**
 * Where the records after a damaged one start in `b` (the damaged capture and what it
 * swallowed), or -1. In `documents` mode a candidate is a `{` that starts a line (pretty-printed
 * documents indent everything else); it is taken when the documents from there parse one after
 * another or the first runs past the end of `b`. In `array` mode a candidate is an object after a comma; it is taken when the objects from
 * there parse one after another, comma-separated, to the end of `b` (`atEnd`: or to the array's
 * close at the end of the file). A candidate inside a nested array of the damaged record
 * (CloudTrail `resources`) fails that test: its chain closes with `]` before the end of `b`.
 * Two damaged records in one capture leave no such chain, and the capture is rejected whole.
 */
export interface ResyncOptions {
  /** `b` runs to the end of the file: the array may close, the last record may be cut. */
  readonly atEnd: boolean;
  readonly mode: ResyncMode;
  /** First keys (`"key"`) records of the array are known to start with. */
  readonly keys: readonly Buffer[];
  /** Also take a candidate whose records parse on to the end of `b`, without a known key. */
  readonly chains: boolean;
}

export function resyncPoint(b: Buffer, o: ResyncOptions): number {
  const { atEnd, mode } = o;
  const array = mode === 'array';
  const own = array ? firstKey(b) : null;
  const keys = own === null || o.keys.some((k) => k.equals(own)) ? o.keys : [...o.keys, own];
  let budget = RESYNC_SCAN_FACTOR * b.byteLength;
  let tried = 0;
  for (let i = b.indexOf(array ? COMMA : NL, 1); i >= 0 && tried < RESYNC_CANDIDATES && budget > 0; i = b.indexOf(array ? COMMA : NL, i + 1)) {
    const start = array ? skipSpace(b, i + 1) : i + 1;
    if (b[start] !== LBRACE) continue;
    if (array && startsWithKey(b, skipSpace(b, start + 1), keys)) return start;
    if (array && !o.chains) continue;
    tried++;
    let at = start;
    let values = 0;
    for (;;) {
      const end = valueEnd(b, at);
      budget -= (end < 0 ? b.byteLength : end) - at;
      // A document that starts a line runs on past `b` when the damage cut the capture short:
      // it is framed again from its start. At the end of the file the last record may be cut.
      if (end < 0 && (!array || (atEnd && values > 0))) return start;
      // A value left open at the end of `b`, or one that does not parse, ends the chain short:
      // a candidate inside the damaged record looks just like that (its nested array holds a
      // damaged object), so only a chain that reaches the end is taken.
      if (end < 0 || !parseJson(b.toString('utf8', at, end)).ok) break;
      values++;
      at = skipSpace(b, end);
      if (at >= b.byteLength) return start;
      const c = b[at] as number;
      if (!array) {
        if (c === LBRACE) continue;
        break;
      }
      if (c === COMMA) {
        at = skipSpace(b, at + 1);
        if (at < b.byteLength && b[at] === LBRACE) continue;
        if (at >= b.byteLength) return start;
        break;
      }
      // At the end of the file the array may close, followed by the container's own `}`;
      // anywhere else a `]` closes a nested array of the damaged record.
      let tail = c === RBRACKET && atEnd ? skipSpace(b, at + 1) : -1;
      if (tail >= 0 && b[tail] === RBRACE) tail = skipSpace(b, tail + 1);
      if (tail === b.byteLength) return start;
      break;
    }
  }
  return -1;
}

/**
 * Cuts a JSON stream into records: the elements of a container array such as `{"Records":[…]}`
 * (the container key may come after other keys), or else each top-level value of a
 * concatenated / NDJSON stream. Only string and bracket boundaries are tracked while cutting;
 * each cut record is then parsed once, here, and handed on with its value, so a damaged record
 * of a single-line container is found where it ends (see `finishCapture`). Text that is not
 * JSON at top level is rejected line by line as `invalid_json`; a record cut off by the end of
 * the object is `truncated_record`.
 */
export class JsonRecordFramer implements Framer {
  private depth = 0;
  private inString = false;
  private pendingBackslashes = 0;
  /** 1 for a top-level object, 2 for a top-level array, 0 between documents. */
  private top = 0;
  private container = false;
  private expectKey = false;
  private collectingKey = false;
  private key = '';
  private lastKey: string | null = null;
  private containerValueNext = false;
  /** Depth at which record values start; -1 when not inside a records array. */
  private recordDepth = -1;
  /** Depth the captured value started at, or -1 when not capturing. */
  private captureDepth = -1;
  private capturePrimitive = false;
  private garbage = false;
  /** A line break was seen (outside strings) since the current capture started. */
  private multiline = false;
  /** The captured record nests deeper than `maxJsonDepth`. */
  private tooDeep = false;
  /** The byte that opened the captured record (`{` or `[`). */
  private captureOpener = 0;
  /**
   * The first keys (`"key"`, as written) the records of the current records array start with:
   * CloudTrail records all start with `"eventVersion"`, Config items with one of a few. A record
   * boundary after a damaged record is recognised by them (see `resyncPoint`).
   */
  private recordKeys: Buffer[] = [];
  private readonly depthLimit: number;
  private readonly capture: FrameBuffer;

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
    private readonly containerKeys: readonly string[],
    private readonly where: string,
  ) {
    this.capture = new FrameBuffer(opts.maxLineBytes);
    this.depthLimit = opts.maxJsonDepth ?? Infinity;
  }

  /**
   * Hands the captured record to the sink, parsed. A record of a container array that does not
   * parse may have swallowed the records after it (a damaged quote turns the rest of a
   * single-line file inside out); when later records parse on from a boundary inside it, it is
   * salvaged instead and the bytes from there are returned to be framed again.
   */
  private finishCapture(): Buffer[] | null {
    const mode = this.resyncMode();
    this.captureDepth = -1;
    this.capturePrimitive = false;
    if (this.capture.oversized) {
      this.tooDeep = false;
      rejectOversize(this.sink, this.capture, this.opts);
      return null;
    }
    if (this.tooDeep) {
      this.tooDeep = false;
      const total = this.capture.total;
      const bytes = this.capture.bytes();
      const text = decodeVisible(bytes, 0, Math.min(bytes.byteLength, this.opts.maxRejectRawBytes)).text;
      this.sink.reject('too_deep', text, `a record of ${total} bytes nests deeper than ${this.depthLimit} levels (maxJsonDepth)`);
      return null;
    }
    const bytes = this.capture.peek();
    const { text, invalid } = decodeVisible(bytes, 0, bytes.byteLength, true);
    const json = parseJson(text);
    if (json.ok && mode === 'array' && this.recordKeys.length < MAX_RECORD_KEYS) this.learnKey(bytes);
    if (!json.ok && mode !== null) {
      const at = resyncPoint(bytes, { atEnd: false, mode, keys: this.recordKeys, chains: true });
      if (at >= 0) return this.salvage(at, mode);
    }
    this.capture.bytes();
    this.sink.frame(text, invalid, undefined, json);
    return null;
  }

  private notArray(found: number): never {
    throw new ObjectError(
      'records_not_array',
      `${this.where}: "${this.lastKey}" must hold an array of records, found ${preview(String.fromCharCode(found))}`,
    );
  }

  push(data: Buffer): void {
    // A damaged record in a records array hands back bytes to read again (see salvage); a queue
    // rather than recursion, so a file with many damaged records cannot exhaust the stack.
    const queue: Buffer[] = [data];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const again = this.scan(next);
      if (again !== null) queue.unshift(...again);
    }
  }

  /** Frames one chunk; returns the bytes to read next instead of the chunk's rest after a salvage. */
  private scan(data: Buffer): Buffer[] | null {
    const n = data.byteLength;
    let i = 0;
    // Start of the captured bytes inside this chunk, when a capture is open.
    let capStart = this.captureDepth >= 0 || this.garbage ? 0 : -1;
    // The next line break at or after i, looked up once per line rather than once per string.
    let nextNl = -1;
    while (i < n) {
      if (this.garbage) {
        const nl = data.indexOf(NL, i);
        if (nl < 0) {
          i = n;
          break;
        }
        this.capture.add(data.subarray(capStart, nl));
        this.finishGarbage();
        capStart = -1;
        i = nl + 1;
        continue;
      }
      if (this.inString) {
        const q = data.indexOf(QUOTE, i);
        if (nextNl < i) {
          nextNl = data.indexOf(NL, i);
          if (nextNl < 0) nextNl = n;
        }
        if (nextNl < (q < 0 ? n : q) && !this.multiline && this.recordDepth !== 2) {
          // JSON never holds a raw line break inside a string: a byte of this line was damaged
          // (a quote lost or added). In one-record-per-line input (NDJSON, exports), reject what
          // was captured and read on from the next line, so the damage costs this record and not
          // every record after it. A record spread over lines (pretty-printed) is left to fail
          // whole: restarting mid-record would turn each of its remaining lines into a reject.
          // A record of a container array is salvaged inside the array instead (finishCapture).
          this.brokenString(data, capStart, nextNl);
          capStart = -1;
          i = nextNl + 1;
          continue;
        }
        if (q < 0) {
          this.stringRunsOn(data, i);
          i = n;
          break;
        }
        let bs = 0;
        let j = q - 1;
        while (j >= i && data[j] === BACKSLASH) {
          bs++;
          j--;
        }
        if (j < i) bs += this.pendingBackslashes;
        this.pendingBackslashes = 0;
        if (bs % 2 === 1) {
          if (this.collectingKey) this.key += data.toString('latin1', i, q + 1);
          i = q + 1;
          continue;
        }
        if (this.collectingKey) {
          this.key += data.toString('latin1', i, q);
          this.lastKey = this.key;
          this.collectingKey = false;
        }
        this.inString = false;
        i = q + 1;
        if (this.capturePrimitive) {
          // a string element of a records array ends with its closing quote
          this.capture.add(data.subarray(capStart, i));
          capStart = -1;
          this.finishCapture();
        }
        continue;
      }
      const c = data[i] as number;
      if (isSpace(c)) {
        if (c === NL) this.multiline = true;
        i++;
        continue;
      }
      if (this.containerValueNext) {
        this.containerValueNext = false;
        if (c !== LBRACKET) this.notArray(c);
      }
      if (this.depth === 0) {
        if (this.openTopLevel(c)) capStart = i;
        // Garbage is read on from this byte to the line's end (the branch at the loop's top).
        if (!this.garbage) i++;
        continue;
      }
      if (this.depth === this.recordDepth && this.captureDepth < 0 && c === RBRACE) {
        this.rejectStrayBrace();
        i++;
        continue;
      }
      if (this.recordDepth === 2 && this.depth === 2 && this.captureDepth < 0 && c === COLON) {
        this.reopenRecordAtColon();
        capStart = i;
        i++;
        continue;
      }
      if (this.depth === this.recordDepth && this.captureDepth < 0 && c !== COMMA && c !== RBRACKET) {
        this.captureDepth = this.depth;
        this.captureOpener = c;
        this.multiline = false;
        capStart = i;
        if (c !== LBRACE && c !== LBRACKET) {
          this.capturePrimitive = true;
          if (c === QUOTE) this.inString = true;
          i++;
          continue;
        }
      }
      switch (c) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.top === 1 && this.expectKey) {
            this.collectingKey = true;
            this.key = '';
          }
          break;
        case LBRACE:
        case LBRACKET:
          if (this.depth === 1 && this.top === 1 && c === LBRACKET && this.lastKey !== null && this.containerKeys.includes(this.lastKey)) {
            if (this.enterContainer()) capStart = -1;
          }
          this.depth++;
          if (this.captureDepth >= 0 && this.depth - this.captureDepth > this.depthLimit) this.tooDeep = true;
          break;
        case RBRACE:
        case RBRACKET:
          if (this.recordDepth === 2 && this.depth === 3 && this.captureDepth === 2 && c !== closerOf(this.captureOpener)) {
            const again = this.wrongCloser(data, capStart, i);
            if (again !== null) return again;
            capStart = i;
            i++;
            continue;
          }
          if (this.capturePrimitive && this.depth === this.captureDepth) {
            this.capture.add(data.subarray(capStart, i));
            capStart = -1;
            this.finishCapture();
          }
          this.depth--;
          if (this.captureDepth >= 0 && this.depth === this.captureDepth) {
            this.capture.add(data.subarray(capStart, i + 1));
            capStart = -1;
            const again = this.finishCapture();
            if (again !== null) return [...again, data.subarray(i + 1)];
          }
          if (this.depth === 1 && this.recordDepth === 2) this.recordDepth = -1;
          if (this.depth === 0) {
            this.top = 0;
            this.recordDepth = -1;
          }
          break;
        case COMMA:
          if (this.capturePrimitive && this.depth === this.captureDepth) {
            this.capture.add(data.subarray(capStart, i));
            capStart = -1;
            this.finishCapture();
          }
          if (this.depth === 1 && this.top === 1) this.expectKey = true;
          break;
        case COLON:
          if (this.depth === 1 && this.top === 1) {
            this.expectKey = false;
            if (this.lastKey !== null && this.containerKeys.includes(this.lastKey)) this.containerValueNext = true;
          }
          break;
        default:
          break;
      }
      i++;
    }
    if (capStart >= 0 && (this.captureDepth >= 0 || this.garbage)) this.capture.add(data.subarray(capStart, n));
    return null;
  }

  /**
   * The chunk ends inside a string: remembers how many backslashes it ends with (they may escape
   * the next chunk's first quote) and the part of a key read so far.
   */
  private stringRunsOn(data: Buffer, from: number): void {
    const n = data.byteLength;
    let bs = 0;
    for (let j = n - 1; j >= from && data[j] === BACKSLASH; j--) bs++;
    this.pendingBackslashes = bs === n - from ? this.pendingBackslashes + bs : bs;
    if (this.collectingKey) this.key += data.toString('latin1', from, n);
  }

  /**
   * A value starts at the top level: a document (captured whole unless it turns out to hold a
   * container array), an array of records, or garbage, rejected up to the line's end. Returns
   * true when the value's bytes are captured from its first byte.
   */
  private openTopLevel(c: number): boolean {
    if (c === LBRACE) {
      this.top = 1;
      this.container = false;
      this.expectKey = true;
      this.lastKey = null;
      this.captureDepth = 0;
      this.multiline = false;
      this.depth = 1;
      return true;
    }
    if (c === LBRACKET) {
      this.top = 2;
      this.recordDepth = 1;
      this.depth = 1;
      return false;
    }
    this.garbage = true;
    return true;
  }

  /**
   * Only `,`, `]` and values belong between records: a `}` there is a stray closer (a damaged
   * byte, or an extra brace that ended the record before it early). Rejecting it alone keeps the
   * array open for the records after it.
   */
  private rejectStrayBrace(): void {
    this.sink.reject('invalid_json', '}', 'a stray "}" between the records of the array: a damaged byte');
  }

  /**
   * A colon between the records of the container array: the framer is inside a record it took
   * for closed (an opening brace of it was lost, so it closed one brace early). The rest of that
   * record, to its real closing brace, becomes one frame (it fails to parse alone).
   */
  private reopenRecordAtColon(): void {
    this.depth = 3;
    this.captureDepth = 2;
    this.captureOpener = LBRACE;
    this.multiline = false;
  }

  /**
   * The document's container array opens: its elements become the frames instead of the
   * document. Returns true when the document's own capture was dropped for it.
   */
  private enterContainer(): boolean {
    this.container = true;
    this.recordDepth = 2;
    this.recordKeys = [];
    if (this.captureDepth !== 0) return false;
    this.captureDepth = -1;
    this.capture.bytes();
    return true;
  }

  /**
   * A record of the container array closed by the wrong bracket at `i`: a quote or bracket inside
   * it was damaged and the framer lost its place. Returns the bytes to read next when a later
   * record is found inside the capture (or the capture is oversized); null when none is, since
   * then an opening bracket of this record was lost and this closer is its partner: reading goes
   * on to the record's own end, where it fails to parse.
   */
  private wrongCloser(data: Buffer, capStart: number, i: number): Buffer[] | null {
    if (capStart >= 0) this.capture.add(data.subarray(capStart, i));
    if (this.capture.oversized) {
      this.enterRecordsArray();
      rejectOversize(this.sink, this.capture, this.opts);
      return [data.subarray(i)];
    }
    // Cut at a closer that may belong to a nested array: only a known record start counts.
    const at = resyncPoint(this.capture.peek(), { atEnd: false, mode: 'array', keys: this.recordKeys, chains: false });
    if (at >= 0) return [...this.salvage(at, 'array'), data.subarray(i)];
    return null;
  }

  /**
   * The open capture is a damaged record: of a container array (single-line `{"Records":[…]}`
   * files have no line break to resync at), or a top-level document whose damage hid the line
   * breaks after it. Rejects the capture up to `at`, the record boundary from which the records
   * parse on (see `resyncPoint`), and hands back the bytes from there to be framed again inside
   * the array or between documents. With `at` -1 the whole capture is the one rejected frame.
   */
  private salvage(at: number, mode: ResyncMode): Buffer[] {
    const array = `"${this.lastKey ?? ''}" array`;
    if (mode === 'array') this.enterRecordsArray();
    else this.betweenDocuments();
    const bytes = this.capture.bytes();
    const head = at < 0 ? bytes : bytes.subarray(0, at);
    const text = decodeVisible(head, 0, Math.min(head.byteLength, this.opts.maxRejectRawBytes)).text;
    const what = mode === 'array' ? `record of ${head.byteLength} bytes in the ${array}` : `JSON document of ${head.byteLength} bytes`;
    const detail = `a damaged ${what}: its quotes or brackets do not balance`;
    if (at < 0) {
      this.sink.reject('invalid_json', text, detail);
      return [];
    }
    this.sink.reject('invalid_json', text, `${detail}; reading resumed at the next ${mode === 'array' ? 'record' : 'document'} that parses`);
    return [bytes.subarray(at)];
  }

  /** Remembers the record's first key when it is a new one; runs per record, so it copies only then. */
  private learnKey(record: Buffer): void {
    const end = firstKeyEnd(record);
    if (end < 0 || startsWithKey(record, skipSpace(record, 1), this.recordKeys)) return;
    this.recordKeys.push(Buffer.from(record.subarray(skipSpace(record, 1), end)));
  }

  /** How the open capture can be resynced when it turns out damaged, or null when it cannot. */
  private resyncMode(): ResyncMode | null {
    if (this.capturePrimitive) return null;
    if (this.recordDepth === 2 && this.captureDepth === 2) return 'array';
    return this.captureDepth === 0 ? 'documents' : null;
  }

  /** Framer state inside a container's records array, between records. */
  private enterRecordsArray(): void {
    this.betweenDocuments();
    this.depth = 2;
    this.top = 1;
    this.container = true;
    this.recordDepth = 2;
  }

  /** Framer state between top-level documents. */
  private betweenDocuments(): void {
    this.depth = 0;
    this.inString = false;
    this.pendingBackslashes = 0;
    this.top = 0;
    this.container = false;
    this.expectKey = false;
    this.collectingKey = false;
    this.containerValueNext = false;
    this.recordDepth = -1;
    this.captureDepth = -1;
    this.capturePrimitive = false;
    this.tooDeep = false;
    this.garbage = false;
  }

  /** A line break inside a string: rejects the open capture up to it and starts over between documents. */
  private brokenString(data: Buffer, capStart: number, nl: number): void {
    if (this.captureDepth >= 0 || this.capturePrimitive) {
      if (capStart >= 0) this.capture.add(data.subarray(capStart, nl));
      const oversized = this.capture.oversized;
      const total = this.capture.total;
      if (oversized) {
        rejectOversize(this.sink, this.capture, this.opts);
      } else {
        const bytes = this.capture.bytes();
        const text = decodeVisible(bytes, 0, Math.min(bytes.byteLength, this.opts.maxRejectRawBytes)).text;
        this.sink.reject('invalid_json', text, `a line break inside a JSON string after ${total} bytes: the record is damaged; reading goes on at the next line`);
      }
    }
    this.betweenDocuments();
    this.lastKey = null;
  }

  private finishGarbage(): void {
    this.garbage = false;
    const oversized = this.capture.oversized;
    const total = this.capture.total;
    const bytes = this.capture.bytes();
    let end = bytes.byteLength;
    if (end > 0 && bytes[end - 1] === CR) end--;
    const text = decodeVisible(bytes, 0, Math.min(end, this.opts.maxRejectRawBytes)).text;
    if (oversized) {
      this.sink.reject('line_too_long', text, `${total} bytes of non-JSON text, limit ${this.opts.maxLineBytes}`);
    } else {
      this.sink.reject('invalid_json', text, `expected a JSON object or array, found ${preview(text, 40)}`);
    }
  }

  abandon(): CutFrame | null {
    const open = this.garbage || this.captureDepth >= 0 || this.capturePrimitive;
    this.garbage = false;
    this.captureDepth = -1;
    this.capturePrimitive = false;
    this.tooDeep = false;
    return open ? cutFrom(this.capture, this.opts) : null;
  }

  end(): void {
    if (this.garbage) {
      this.finishGarbage();
      return;
    }
    // A record left open at the end: a damaged quote or bracket may have swallowed the records
    // after it. Each salvage consumes at least one byte.
    for (let mode = this.resyncMode(); mode !== null && !this.capture.oversized; mode = this.resyncMode()) {
      const at = resyncPoint(this.capture.peek(), { atEnd: true, mode, keys: this.recordKeys, chains: true });
      if (at < 0) break;
      for (const b of this.salvage(at, mode)) this.push(b);
      if (this.garbage) return this.finishGarbage();
    }
    if (this.captureDepth >= 0 || this.capturePrimitive) {
      const total = this.capture.total;
      const bytes = this.capture.bytes();
      const text = decodeVisible(bytes, 0, Math.min(bytes.byteLength, this.opts.maxRejectRawBytes)).text;
      this.captureDepth = -1;
      this.capturePrimitive = false;
      this.sink.reject('truncated_record', text, `the object ends inside a record after ${total} bytes`);
    }
  }
}
