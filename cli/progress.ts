/**
 * Progress of `loglake ingest`, whose objects run several at a time (`--threads`): objects done
 * of the total, records so far (those of the objects done plus those the objects in flight have
 * reported between their chunks) and compressed bytes read of every object (counted where the
 * pipeline reads each object, through an object hook that wraps its source; an object read
 * twice counts as far as it got), then the object in
 * flight (its name) or how many are, their bytes read of their sizes, MB/s since the first read
 * and an ETA of the objects in flight. Each object is counted through its own run of the hook,
 * so objects running at the same time never mix. One line on stderr, redrawn at most every
 * `PROGRESS_EVERY_MS` on a terminal, printed as plain lines otherwise.
 */
import type { ObjectHook, ObjectRef, ObjectReport } from '../pipeline/index.js';
import { count, mb } from './format.js';
import type { Out } from './io.js';

export const PROGRESS_EVERY_MS = 500;

/** One object in flight. */
interface Running {
  readonly name: string;
  /** Compressed size, once the object is opened (and its source says it). */
  size: number | undefined;
  /**
   * How far into the object its reads have come: the most bytes any one open of it has read. A
   * format hook reads the head of an object before the run opens it again, and a salvage reads a
   * damaged gzip object again from its start: neither counts its bytes twice.
   */
  read: number;
  /** Records so far, as the pipeline reports them between chunks (`ProcessDeps.onRecords`). */
  records: number;
}

/** The counts the progress line shows (exposed for tests). */
export interface ProgressState {
  readonly done: number;
  readonly total: number;
  readonly running: number;
  readonly records: number;
  readonly read: number;
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

const shortName = (key: string): string => (key.length > 40 ? `…${key.slice(-39)}` : key);

export class IngestProgress {
  private total = 0;
  private done = 0;
  /** Records of the objects done, from their manifests. */
  private doneRecords = 0;
  /** Bytes read of the objects done. */
  private doneRead = 0;
  /** Objects in flight, in the order they started. */
  private readonly running = new Set<Running>();
  /** When the first object started: the rate is over every byte read since. */
  private started: number | null = null;
  private last = 0;
  private drawn = false;

  constructor(
    private readonly err: Out,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one object from its start to its report: its source's reads and the records it
   * reports, then its manifest's records once done. `around` runs once per object, so whatever
   * else runs at the same time is counted apart.
   */
  readonly hook: ObjectHook = {
    name: 'cli-progress',
    around: async (ref, deps, next) => {
      const cur = this.enter(ref.key);
      let report: ObjectReport | null = null;
      try {
        report = await next(ref, {
          ...deps,
          source: {
            open: async (r: ObjectRef) => {
              const opened = await deps.source.open(r);
              cur.size ??= opened.size;
              return { ...opened, body: this.counted(opened.body, cur) };
            },
          },
          onRecords: (records: number) => {
            cur.records = records;
            deps.onRecords?.(records);
            this.draw(false);
          },
        });
        return report;
      } finally {
        // A run that threw kept nothing: the object is done with no records (its failed manifest says so).
        this.leave(cur, report?.manifest.records ?? 0);
      }
    },
  };

  /** Before the objects run: how many there are. */
  start(total: number): void {
    this.total = total;
    this.draw(true);
  }

  /** The counts of the line now. */
  state(): ProgressState {
    let records = this.doneRecords;
    let read = this.doneRead;
    for (const r of this.running) {
      records += r.records;
      read += r.read;
    }
    return { done: this.done, total: this.total, running: this.running.size, records, read };
  }

  /** Removes the progress line before the summary. */
  clear(): void {
    if (this.tty && this.drawn) this.err.write('\r\x1b[K');
    this.drawn = false;
  }

  private enter(key: string): Running {
    const cur: Running = { name: shortName(key), size: undefined, read: 0, records: 0 };
    this.started ??= this.now();
    this.running.add(cur);
    return cur;
  }

  /** Moves an object's counts from those in flight to those done, in one step: totals never go back. */
  private leave(cur: Running, records: number): void {
    this.running.delete(cur);
    this.done++;
    this.doneRecords += records;
    this.doneRead += cur.read;
    this.draw(false);
  }

  private async *counted(body: AsyncIterable<Uint8Array>, cur: Running): AsyncGenerator<Uint8Array> {
    let read = 0;
    for await (const chunk of body) {
      read += chunk.length;
      if (read > cur.read) cur.read = read;
      this.draw(false);
      yield chunk;
    }
  }

  /** The progress text now (exposed for tests). */
  line(): string {
    const s = this.state();
    const parts = [`[${s.done}/${s.total}]`, `${count(s.records)} records`];
    if (s.read > 0) parts.push(`${mb(s.read)} MB read`);
    if (s.running === 0) return parts.join('  ');
    let read = 0;
    let size: number | undefined = 0;
    for (const r of this.running) {
      read += r.read;
      size = size !== undefined && r.size !== undefined && r.size > 0 ? size + r.size : undefined;
    }
    const first = this.running.values().next().value as Running;
    parts.push(s.running === 1 ? first.name : `${s.running} running`, size !== undefined ? `${mb(read)}/${mb(size)} MB` : `${mb(read)} MB`);
    const secs = this.started !== null ? (this.now() - this.started) / 1000 : 0;
    const rate = secs > 0 ? s.read / secs : 0;
    if (rate > 0) parts.push(`${(rate / 1e6).toFixed(1)} MB/s`);
    if (rate > 0 && size !== undefined && size > read) parts.push(`ETA ${clock(((size - read) / rate) * 1000)}`);
    return parts.join('  ');
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (!force && t - this.last < PROGRESS_EVERY_MS) return;
    this.last = t;
    this.drawn = true;
    this.err.write(this.tty ? `\r\x1b[K${this.line()}` : `${this.line()}\n`);
  }
}
