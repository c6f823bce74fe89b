/**
 * Cuts CSV bytes into rows and hands each row to the sink with its cells: the raw row text is
 * the frame, the cells go to the parser as `ctx.fields`. Billing reports (DBR, CUR) are the
 * CSV formats: quoted cells hold commas, doubled quotes and sometimes line breaks, files may
 * start with a BOM and end lines with CRLF.
 *
 * Two steps per row, because a bad quote must cost one row, not the rest of a 1 GB report:
 * 1. Row boundaries come from a quote-parity scan with `indexOf`: a newline ends the row unless
 *    an odd number of quotes precedes it in the row. The row is held only up to `maxLineBytes`.
 * 2. Cells come from csv-parse (strict RFC 4180 quoting), fed that one row with `end = true`,
 *    so its answer (cells or error) belongs to exactly that row and the counts reconcile.
 *    csv-parse's stream wrapper delivers records asynchronously (backpressure, `nextTick`),
 *    while framers are synchronous, so the framer drives the synchronous `api.parse` core that
 *    the stream's `_transform` itself calls.
 * A row whose quote never closes swallows the following lines until a later quote or the end
 * of the entry; when csv-parse then rejects that multi-line row, or it outgrows `maxLineBytes`,
 * only its first line is rejected (`unterminated_quote`) and the lines after it are framed
 * again, so the rows that follow a bad quote are still read.
 */
import { Parser as CsvStream } from 'csv-parse';
import type { RejectReason } from '../../schema/index.js';
import { preview } from '../run/errors.js';
import type { CutFrame, Framer, FrameSink, FramerOptions } from './framing.js';
import { decodeVisible } from '../decode/utf8.js';

const NL = 10;
const CR = 13;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf] as const;

/** The synchronous core of csv-parse (`transform()` in `lib/api`), as its stream calls it. */
interface CsvCore {
  parse(data: Buffer | undefined, end: boolean, push: (record: unknown) => void, close: () => void): Error | undefined;
}

/**
 * Rows are handed over without their line ending, one at a time, so the record delimiter is
 * fixed (auto-discovery would run per byte of every row) and every other option is the strict
 * default: no trimming, no casting, no relaxed quotes. Rows with a different cell count than
 * the header are the parser's call (it knows the header), hence `relax_column_count`.
 */
const CSV_OPTIONS = { relax_column_count: true, record_delimiter: '\n', bom: false, skip_empty_lines: false } as const;

function isCore(v: unknown): v is CsvCore {
  return typeof v === 'object' && v !== null && typeof (v as { parse?: unknown }).parse === 'function';
}

function newCore(): CsvCore {
  const core: unknown = (new CsvStream(CSV_OPTIONS) as unknown as { api?: unknown }).api;
  if (!isCore(core)) throw new Error('csv-parse no longer exposes its synchronous core as Parser#api; pin csv-parse 7.x');
  return core;
}

/** csv-parse error codes, mapped to our closed reasons; only quoting errors can occur with `CSV_OPTIONS`. */
function reasonOf(err: Error): RejectReason {
  return (err as { code?: unknown }).code === 'CSV_QUOTE_NOT_CLOSED' ? 'unterminated_quote' : 'malformed_quote';
}

/** csv-parse's message without its line number, which counts lines of the one row it was given. */
function describe(err: Error): string {
  return preview(err.message.replace(/ at line \d+/g, ''), 160);
}

const noop = (): void => undefined;

/** CSV rows out of decompressed bytes, each row one sink call (frame or reject). */
export class CsvFramer implements Framer {
  private core: CsvCore = newCore();
  private row: string[] | null = null;
  private readonly takeRow = (record: unknown): void => {
    this.row = record as string[];
  };
  /** Bytes of the row being collected that came in earlier chunks. */
  private pieces: Buffer[] = [];
  private kept = 0;
  private inQuotes = false;
  /** Offset in the row of its first newline inside quotes, -1 while the row is one line. */
  private firstNl = -1;
  /** Skipping the rest of an oversized line: bytes seen so far and the prefix kept for `raw`. */
  private discarding = false;
  private discarded = 0;
  private prefix: Buffer = Buffer.alloc(0);
  private bomChecked = 0;
  /** Bytes to frame again after a resync, in order, ahead of anything pushed later. */
  private readonly queue: Buffer[] = [];

  constructor(
    private readonly sink: FrameSink,
    private readonly opts: FramerOptions,
  ) {}

  push(data: Buffer): void {
    if (this.bomChecked < BOM.length) data = this.skipBom(data);
    this.queue.push(data);
    this.drainQueue();
  }

  end(): void {
    for (;;) {
      this.drainQueue();
      if (this.discarding) {
        this.finishDiscard();
        continue;
      }
      if (this.kept === 0) break;
      const bytes = this.takeRowBytes();
      this.finishRow(bytes, 0, bytes.byteLength, null);
    }
    if (this.bomChecked > 0 && this.bomChecked < BOM.length) {
      // The entry was nothing but the first bytes of a BOM: they are its only row.
      const bytes = Buffer.from(BOM.slice(0, this.bomChecked));
      this.bomChecked = BOM.length;
      this.finishRow(bytes, 0, bytes.byteLength, null);
    }
  }

  abandon(): CutFrame | null {
    // Rows queued for a second framing after a resync were whole; only the row being collected was cut.
    this.drainQueue();
    if (this.discarding) {
      const bytes = this.prefix;
      const total = this.discarded;
      this.discarding = false;
      this.discarded = 0;
      this.prefix = Buffer.alloc(0);
      return { text: decodeVisible(bytes, 0, bytes.byteLength).text, bytes: total };
    }
    if (this.kept === 0) return null;
    const bytes = this.takeRowBytes();
    this.firstNl = -1;
    // Only the last line was cut. Lines before it that an open quote had joined into this row
    // are framed as at a clean end of the entry: the quote's line rejected, the others read again.
    const lastNl = bytes.lastIndexOf(NL);
    const cut = lastNl < 0 ? bytes : bytes.subarray(lastNl + 1);
    if (lastNl >= 0) {
      this.queue.push(bytes.subarray(0, lastNl + 1));
      this.end();
    }
    if (cut.byteLength === 0) return null;
    return { text: decodeVisible(cut, 0, Math.min(cut.byteLength, this.opts.maxRejectRawBytes)).text, bytes: cut.byteLength };
  }

  private skipBom(data: Buffer): Buffer {
    let i = 0;
    while (this.bomChecked < BOM.length && i < data.byteLength) {
      if (data[i] !== BOM[this.bomChecked]) {
        // Not a BOM after all: hand back the bytes that looked like its start.
        const seen = this.bomChecked;
        this.bomChecked = BOM.length;
        return seen === 0 ? data : Buffer.concat([Buffer.from(BOM.slice(0, seen)), data.subarray(i)]);
      }
      this.bomChecked++;
      i++;
    }
    return data.subarray(i);
  }

  private drainQueue(): void {
    while (this.queue.length > 0) this.scan(this.queue.shift() as Buffer);
  }

  private takeRowBytes(): Buffer {
    const bytes = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.kept);
    this.pieces = [];
    this.kept = 0;
    this.inQuotes = false;
    return bytes;
  }

  private scan(data: Buffer): void {
    const n = data.byteLength;
    const limit = this.opts.maxLineBytes;
    // The next quote is looked up once and reused: searching from every line start would rescan
    // a quote-free tail of the chunk once per line.
    let quote = data.indexOf(QUOTE);
    let start = 0;
    let i = 0;
    while (i < n) {
      if (this.discarding) {
        const nl = data.indexOf(NL, i);
        if (nl < 0) {
          this.discarded += n - i;
          return;
        }
        this.discarded += nl - i;
        this.finishDiscard();
        i = start = nl + 1;
        if (quote >= 0 && quote < i) quote = data.indexOf(QUOTE, i);
        continue;
      }
      const nl = data.indexOf(NL, i);
      const stop = nl < 0 ? n : nl;
      while (quote >= 0 && quote < stop) {
        this.inQuotes = !this.inQuotes;
        quote = data.indexOf(QUOTE, quote + 1);
      }
      if (this.kept + (stop - start) > limit) {
        if (this.firstNl >= 0) {
          this.overflowQuoted(data, start);
          return;
        }
        this.overflowLine(data, start, stop);
        i = start = stop;
        continue;
      }
      if (nl < 0) break;
      if (this.inQuotes) {
        if (this.firstNl < 0) this.firstNl = this.kept + (nl - start);
        i = nl + 1;
        continue;
      }
      let resynced: boolean;
      if (this.kept === 0) {
        resynced = this.finishRow(data, start, nl, data.subarray(nl));
      } else {
        this.pieces.push(data.subarray(start, nl));
        this.kept += nl - start;
        const bytes = this.takeRowBytes();
        resynced = this.finishRow(bytes, 0, bytes.byteLength, data.subarray(nl));
      }
      if (resynced) return;
      i = start = nl + 1;
    }
    if (start < n) {
      this.pieces.push(data.subarray(start));
      this.kept += n - start;
    }
  }

  /** A row spanning lines inside quotes outgrew `maxLineBytes`: the quote never closed. */
  private overflowQuoted(data: Buffer, start: number): void {
    const row = this.kept > 0 ? Buffer.concat([...this.pieces, data.subarray(start)]) : data.subarray(start);
    this.pieces = [];
    this.kept = 0;
    this.inQuotes = false;
    this.resync(row, null, `a quoted field runs past ${this.opts.maxLineBytes} bytes`);
  }

  /** A single line longer than `maxLineBytes`: keep a prefix, skip to its end, reject it once. */
  private overflowLine(data: Buffer, start: number, stop: number): void {
    const head = this.kept > 0 ? Buffer.concat([...this.pieces, data.subarray(start, stop)]) : data.subarray(start, stop);
    this.prefix = Buffer.from(head.subarray(0, Math.min(head.byteLength, this.opts.maxRejectRawBytes)));
    this.discarded = head.byteLength;
    this.pieces = [];
    this.kept = 0;
    this.inQuotes = false;
    this.discarding = true;
  }

  private finishDiscard(): void {
    const total = this.discarded;
    const bytes = this.prefix;
    this.discarding = false;
    this.discarded = 0;
    this.prefix = Buffer.alloc(0);
    const text = decodeVisible(bytes, 0, bytes.byteLength).text;
    this.sink.reject('line_too_long', text, `${total} bytes, limit ${this.opts.maxLineBytes} (raw keeps the first ${bytes.byteLength})`);
  }

  /**
   * Rejects the first line of `row`, where the quote that swallowed the next lines opened, and
   * queues the bytes after it and `rest` (the unread remainder of the chunk, from the newline
   * that ended the row) to be framed again. The reason is what csv-parse says of that line alone:
   * `unterminated_quote` for a quote left open, `malformed_quote` for a stray one.
   */
  private resync(row: Buffer, rest: Buffer | null, why: string): void {
    const firstNl = this.firstNl;
    this.firstNl = -1;
    let end = firstNl;
    if (end > 0 && row[end - 1] === CR) end--;
    const line = row.subarray(0, end);
    const err = this.core.parse(line, true, noop, noop);
    this.core = newCore();
    const reason = err === undefined ? 'unterminated_quote' : reasonOf(err);
    const what = err === undefined ? 'a quote opened on this line never closes' : describe(err);
    this.sink.reject(reason, decodeVisible(line, 0, line.byteLength).text, `${why}; ${what}: the lines after this one are read again`);
    if (rest !== null && rest.byteLength > 0) this.queue.unshift(row.subarray(firstNl + 1), rest);
    else this.queue.unshift(row.subarray(firstNl + 1));
  }

  /**
   * Frames the complete row `bytes[start, end)` (no newline). `rest` is what follows it in the
   * chunk, from its newline; null at the end of the entry. Returns true after a resync, when the
   * caller must stop: the queue now holds everything that follows.
   */
  private finishRow(bytes: Buffer, start: number, end: number, rest: Buffer | null): boolean {
    if (end > start && bytes[end - 1] === CR) end--;
    if (end === start && this.firstNl < 0) {
      this.sink.frame('', false);
      return false;
    }
    this.row = null;
    const err = this.core.parse(bytes.subarray(start, end), true, this.takeRow, noop);
    if (err !== undefined) {
      // The core stopped inside the row; a fresh one starts clean.
      this.core = newCore();
      if (this.firstNl >= 0) {
        this.resync(bytes.subarray(start, end), rest, 'the row does not parse as CSV across its lines');
        return true;
      }
      const text = decodeVisible(bytes, start, end).text;
      this.sink.reject(reasonOf(err), text, describe(err));
      return false;
    }
    this.firstNl = -1;
    const { text, invalid } = decodeVisible(bytes, start, end);
    this.sink.frame(text, invalid, this.row ?? ['']);
    return false;
  }
}
