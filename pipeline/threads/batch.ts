/**
 * Room `pipeline/threads/`: the work of one object spread over worker threads. `batch.ts` holds
 * a batch of frames and its wire form, `process-batch.ts` turns a batch into rows, rejects and
 * encoded row groups (the same code in a worker thread and in the main thread), `pool.ts` runs
 * batches on worker threads and `thread-entry.ts` is a worker thread's side.
 *
 * A batch is a run of consecutive frames of one entry, cut where the frames alone say (a count
 * of frames and a size), never where reads, threads or timing fall: that is what makes the
 * output the same bytes whatever the number of threads. It carries the parser state as it was
 * before its first frame, so any thread can parse it.
 */
import { ROW_GROUP_CHARS, rowChars } from '../parquet/parquet-writer.js';

/**
 * A batch ends at `rowGroupRows` frames or at this many characters (by the writer's row-size
 * guess), whichever comes first. A day partition's rows of one batch make one row group, so
 * this is half the writer's row-group bound: a worker thread holds one batch's text, records
 * and encoded pages, and the main thread up to two batches per thread in flight.
 */
export const BATCH_CHARS = ROW_GROUP_CHARS / 2;

/** An entry's kind: a frame (a line, a record, a JSON text), a CSV row with its cells, a frame the framer rejected. */
export const FRAME = 0;
export const ROW = 1;
export const REJECTED = 2;
export type EntryKind = typeof FRAME | typeof ROW | typeof REJECTED;

/** A batch in the form both sides read: entries with their strings, in frame order. */
export interface FrameBatch {
  /** The ordinal of the first entry; the others follow without gaps. */
  readonly first: number;
  /** Parser state before the first entry (a structured clone of the object's). */
  readonly state: unknown;
  /** The archive entry the frames come from, for `ParseContext.entry`. */
  readonly entry: string | null;
  /**
   * True for the one batch of a run that cuts no other: its partitions hold no rows before it and
   * get none after it, so even a few rows of a day make that file's row group.
   */
  readonly final: boolean;
  /** Per entry: its kind, 1 when its text had invalid UTF-8, and how many strings it has. */
  readonly kinds: readonly number[];
  readonly invalid: readonly number[];
  readonly counts: readonly number[];
  /** A frame's text (then a row's cells), or a rejected frame's reason, raw text and detail. */
  readonly strings: readonly string[];
}

/** A batch as it crosses to a worker thread: strings as UTF-8 in one transferred buffer. */
export interface WireBatch {
  readonly first: number;
  readonly state: unknown;
  readonly entry: string | null;
  readonly final: boolean;
  /** kinds, invalid flags and string counts, then each string's length in UTF-16 units. */
  readonly meta: Int32Array;
  readonly entries: number;
  readonly bytes: Uint8Array;
}

/** Lone surrogates cannot cross as UTF-8; both sides see U+FFFD in their place. */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/** Collects the frames of one batch on the main thread, in order. */
export class BatchBuilder {
  private readonly kinds: number[] = [];
  private readonly invalid: number[] = [];
  private readonly counts: number[] = [];
  private readonly strings: string[] = [];
  /** Estimated characters, by the row-size guess of the Parquet writer. */
  chars = 0;

  constructor(
    readonly first: number,
    private readonly state: unknown,
    private readonly entry: string | null,
  ) {}

  get entries(): number {
    return this.kinds.length;
  }

  frame(text: string, invalidUtf8: boolean, cells: readonly string[] | undefined): void {
    this.kinds.push(cells === undefined ? FRAME : ROW);
    this.invalid.push(invalidUtf8 ? 1 : 0);
    this.strings.push(text);
    if (cells !== undefined) for (const cell of cells) this.strings.push(cell);
    this.counts.push(cells === undefined ? 1 : cells.length + 1);
    this.chars += rowChars(text);
  }

  reject(reason: string, raw: string, detail: string): void {
    this.kinds.push(REJECTED);
    this.invalid.push(0);
    // Framers write details from error messages, which may cut a surrogate pair.
    this.strings.push(reason, raw, detail.replace(LONE_SURROGATE, '\uFFFD'));
    this.counts.push(3);
    this.chars += rowChars(raw);
  }

  build(final: boolean): FrameBatch {
    return { first: this.first, state: this.state, entry: this.entry, final, kinds: this.kinds, invalid: this.invalid, counts: this.counts, strings: this.strings };
  }
}

/**
 * The batch for a worker thread: its strings encoded once into a buffer of its own (so it can be
 * transferred, not copied) and its lengths beside them.
 */
export function toWire(batch: FrameBatch): { wire: WireBatch; transfer: ArrayBuffer[] } {
  const n = batch.kinds.length;
  const strings = batch.strings;
  const meta = new Int32Array(3 * n + strings.length);
  for (let i = 0; i < n; i++) {
    meta[i] = batch.kinds[i] as number;
    meta[n + i] = batch.invalid[i] as number;
    meta[2 * n + i] = batch.counts[i] as number;
  }
  let chars = 0;
  for (let i = 0; i < strings.length; i++) {
    const length = (strings[i] as string).length;
    meta[3 * n + i] = length;
    chars += length;
  }
  // Mostly ASCII: room for the characters and some slack, grown when a string might not fit.
  let bytes = Buffer.from(new ArrayBuffer(Math.ceil(chars * 1.125) + 1024));
  let used = 0;
  for (const s of strings) {
    if (bytes.byteLength - used < s.length * 3) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(bytes.byteLength * 2, used + s.length * 3)));
      bytes.copy(grown, 0, 0, used);
      bytes = grown;
    }
    used += bytes.write(s, used, 'utf8');
  }
  const wire: WireBatch = { first: batch.first, state: batch.state, entry: batch.entry, final: batch.final, meta, entries: n, bytes: new Uint8Array(bytes.buffer, 0, used) };
  return { wire, transfer: [meta.buffer as ArrayBuffer, bytes.buffer as ArrayBuffer] };
}

/** The batch a worker thread received, strings decoded again. */
export function fromWire(wire: WireBatch): FrameBatch {
  const n = wire.entries;
  const meta = wire.meta;
  // ignoreBOM keeps a leading U+FEFF, which is part of a frame's text, not a mark to drop.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(wire.bytes);
  const strings: string[] = new Array<string>(meta.length - 3 * n);
  let at = 0;
  for (let i = 0; i < strings.length; i++) {
    const length = meta[3 * n + i] as number;
    strings[i] = text.slice(at, at + length);
    at += length;
  }
  return {
    first: wire.first,
    state: wire.state,
    entry: wire.entry,
    final: wire.final,
    kinds: Array.from(meta.subarray(0, n)),
    invalid: Array.from(meta.subarray(n, 2 * n)),
    counts: Array.from(meta.subarray(2 * n, 3 * n)),
    strings,
  };
}
