/**
 * Progress of `loglake ingest` inside one object: compressed bytes read (counted where the
 * pipeline reads the object, through an object hook that wraps its source), MB/s and an ETA
 * from the object's size, plus the records of the objects done so far. One line on stderr,
 * redrawn at most every `PROGRESS_EVERY_MS` on a terminal, printed as plain lines otherwise.
 */
import type { ObjectHook, ObjectRef } from '../pipeline/index.js';
import { count, mb } from './format.js';
import type { Out } from './io.js';

export const PROGRESS_EVERY_MS = 500;

interface Current {
  name: string;
  size: number | undefined;
  read: number;
  started: number;
  records: number;
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export class IngestProgress {
  private done = 0;
  private total = 0;
  private records = 0;
  private current: Current | null = null;
  private last = 0;
  private drawn = false;

  constructor(
    private readonly err: Out,
    private readonly tty: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Wraps the source of each object run so its reads are counted. */
  readonly hook: ObjectHook = {
    name: 'cli-progress',
    around: (ref, deps, next) =>
      next(ref, {
        ...deps,
        source: {
          open: async (r: ObjectRef) => {
            const opened = await deps.source.open(r);
            const cur = this.start(r.key, opened.size);
            return { ...opened, body: this.counted(opened.body, cur) };
          },
        },
      }),
  };

  /** Between objects (ingestLocalFiles' onProgress): objects done and their records. */
  objects(done: number, total: number, records: number): void {
    this.done = done;
    this.total = total;
    this.records = records;
    this.current = null;
    if (done === total) this.clear();
    else this.draw(false);
  }

  /** Records of the current object so far, for a pipeline that reports them between chunks. */
  objectRecords(records: number): void {
    if (this.current !== null) this.current.records = records;
    this.draw(false);
  }

  /** Removes the progress line before the summary. */
  clear(): void {
    if (this.tty && this.drawn) this.err.write('\r\x1b[K');
    this.drawn = false;
  }

  private start(key: string, size: number | undefined): Current {
    this.current = { name: key.length > 40 ? `…${key.slice(-39)}` : key, size, read: 0, started: this.now(), records: 0 };
    return this.current;
  }

  private async *counted(body: AsyncIterable<Uint8Array>, cur: Current): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      cur.read += chunk.length;
      this.draw(false);
      yield chunk;
    }
  }

  /** The progress text now (exposed for tests). */
  line(): string {
    const parts = [`[${this.done + (this.current ? 1 : 0)}/${this.total}]`, `${count(this.records + (this.current?.records ?? 0))} records`];
    const c = this.current;
    if (c !== null) {
      const secs = (this.now() - c.started) / 1000;
      const rate = secs > 0 ? c.read / secs : 0;
      parts.push(c.name, c.size !== undefined && c.size > 0 ? `${mb(c.read)}/${mb(c.size)} MB` : `${mb(c.read)} MB`);
      if (rate > 0) parts.push(`${(rate / 1e6).toFixed(1)} MB/s`);
      if (rate > 0 && c.size !== undefined && c.size > c.read) parts.push(`ETA ${clock(((c.size - c.read) / rate) * 1000)}`);
    }
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
