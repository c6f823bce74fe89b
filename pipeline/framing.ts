/**
 * Framers cut decompressed bytes into frames (lines, JSON records) without ever buffering more
 * than one frame, and a frame only up to `maxLineBytes`: a longer one is reported as oversized
 * with a bounded prefix, then skipped to its end. Framers are push-based and synchronous so the
 * per-byte loop has no promise per frame.
 */
import type { RejectReason } from '../schema/index.js';
import { ObjectError, preview } from './errors.js';
import { decodeVisible } from './utf8.js';

/** Receives frames in order; each call is one unit of `lines_in`. */
export interface FrameSink {
  /** `fields` carries the cells of a CSV row (csv framing only); the parser reads them as `ctx.fields`. */
  frame(text: string, invalidUtf8: boolean, fields?: readonly string[]): void;
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

/** Splits on `\n` (dropping a trailing `\r`); the last line needs no newline. */
export class LineFramer implements Framer {
  private readonly carry: FrameBuffer;
  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
  ) {
    this.carry = new FrameBuffer(opts.maxLineBytes);
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    const { text, invalid } = decodeVisible(buf, start, end);
    this.sink.frame(text, invalid);
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
        rejectOversize(this.sink, this.carry, this.opts);
      } else {
        this.emit(data, start, nl);
      }
      start = nl + 1;
    }
    if (start < data.byteLength) this.carry.add(data.subarray(start));
  }

  private flushCarry(): void {
    if (this.carry.oversized) {
      rejectOversize(this.sink, this.carry, this.opts);
      return;
    }
    const bytes = this.carry.bytes();
    this.emit(bytes, 0, bytes.byteLength);
  }

  end(): void {
    if (this.carry.total > 0) this.flushCarry();
  }

  abandon(): CutFrame | null {
    return cutFrom(this.carry, this.opts);
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

/**
 * Cuts a JSON stream into records without parsing it: the elements of a container array such as
 * `{"Records":[…]}` (the container key may come after other keys), or else each top-level value
 * of a concatenated / NDJSON stream. Text that is not JSON at top level is rejected line by
 * line as `invalid_json`; a record cut off by the end of the object is `truncated_record`.
 * Only string and bracket boundaries are tracked; validating a record is the parser's job.
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

  private finishCapture(): void {
    this.captureDepth = -1;
    this.capturePrimitive = false;
    if (this.capture.oversized) {
      this.tooDeep = false;
      rejectOversize(this.sink, this.capture, this.opts);
      return;
    }
    if (this.tooDeep) {
      this.tooDeep = false;
      const total = this.capture.total;
      const bytes = this.capture.bytes();
      const text = decodeVisible(bytes, 0, Math.min(bytes.byteLength, this.opts.maxRejectRawBytes)).text;
      this.sink.reject('too_deep', text, `a record of ${total} bytes nests deeper than ${this.depthLimit} levels (maxJsonDepth)`);
      return;
    }
    const bytes = this.capture.bytes();
    const { text, invalid } = decodeVisible(bytes, 0, bytes.byteLength, true);
    this.sink.frame(text, invalid);
  }

  private notArray(found: number): never {
    throw new ObjectError(
      'records_not_array',
      `${this.where}: "${this.lastKey}" must hold an array of records, found ${preview(String.fromCharCode(found))}`,
    );
  }

  push(data: Buffer): void {
    const n = data.byteLength;
    let i = 0;
    // Start of the captured bytes inside this chunk, when a capture is open.
    let capStart = this.captureDepth >= 0 || this.garbage ? 0 : -1;
    // The next line break at or after i, looked up once per line rather than once per string.
    let nextNl = -1;
    while (i < n) {
      if (this.garbage) {
        const nl = data.indexOf(NL, i);
        const end = nl < 0 ? n : nl;
        if (nl < 0) {
          i = n;
          break;
        }
        this.capture.add(data.subarray(capStart, end));
        this.finishGarbage();
        capStart = -1;
        i = end + 1;
        continue;
      }
      if (this.inString) {
        const q = data.indexOf(QUOTE, i);
        if (nextNl < i) {
          nextNl = data.indexOf(NL, i);
          if (nextNl < 0) nextNl = n;
        }
        if (nextNl < (q < 0 ? n : q) && !this.multiline) {
          // JSON never holds a raw line break inside a string: a byte of this line was damaged
          // (a quote lost or added). In one-record-per-line input (NDJSON, exports), reject what
          // was captured and read on from the next line, so the damage costs this record and not
          // every record after it. A record spread over lines (pretty-printed) is left to fail
          // whole: restarting mid-record would turn each of its remaining lines into a reject.
          this.brokenString(data, capStart, nextNl);
          capStart = -1;
          i = nextNl + 1;
          continue;
        }
        if (q < 0) {
          let bs = 0;
          for (let j = n - 1; j >= i && data[j] === BACKSLASH; j--) bs++;
          this.pendingBackslashes = bs === n - i ? this.pendingBackslashes + bs : bs;
          if (this.collectingKey) this.key += data.toString('latin1', i, n);
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
          this.finishCapture();
          capStart = -1;
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
        if (c === LBRACE) {
          this.top = 1;
          this.container = false;
          this.expectKey = true;
          this.lastKey = null;
          this.captureDepth = 0;
          this.multiline = false;
          capStart = i;
        } else if (c === LBRACKET) {
          this.top = 2;
          this.recordDepth = 1;
        } else {
          this.garbage = true;
          capStart = i;
          continue;
        }
        this.depth = 1;
        i++;
        continue;
      }
      if (this.depth === this.recordDepth && this.captureDepth < 0 && c !== COMMA && c !== RBRACKET) {
        this.captureDepth = this.depth;
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
            this.container = true;
            this.recordDepth = 2;
            if (this.captureDepth === 0) {
              this.captureDepth = -1;
              this.capture.bytes();
              capStart = -1;
            }
          }
          this.depth++;
          if (this.captureDepth >= 0 && this.depth - this.captureDepth > this.depthLimit) this.tooDeep = true;
          break;
        case RBRACE:
        case RBRACKET:
          if (this.capturePrimitive && this.depth === this.captureDepth) {
            this.capture.add(data.subarray(capStart, i));
            this.finishCapture();
            capStart = -1;
          }
          this.depth--;
          if (this.captureDepth >= 0 && this.depth === this.captureDepth) {
            this.capture.add(data.subarray(capStart, i + 1));
            this.finishCapture();
            capStart = -1;
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
            this.finishCapture();
            capStart = -1;
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
    this.depth = 0;
    this.inString = false;
    this.pendingBackslashes = 0;
    this.top = 0;
    this.container = false;
    this.expectKey = false;
    this.collectingKey = false;
    this.lastKey = null;
    this.containerValueNext = false;
    this.recordDepth = -1;
    this.captureDepth = -1;
    this.capturePrimitive = false;
    this.tooDeep = false;
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
