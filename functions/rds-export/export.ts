/**
 * One DB instance, one run: list its log files, download what is new of each, write it to the
 * central bucket as gzipped objects, announce each object to the worker with a replay message,
 * and remember how far every file went. The rules that keep every portion exported exactly once
 * are those of docs/rds-export.md:
 *
 * 1. Order of writes. An object is written, then the state that counts it (with the object among
 *    the `pending` messages), then its replay message, then the state without it. A run that dies
 *    anywhere leaves either the state before the object (the next run downloads the same portion
 *    again and writes it under the same key, which replaces it) or an object still `pending`
 *    (the next run sends its message first). Sending a message twice is harmless: the worker's
 *    outputs derive from the object's key, so a second ingest replaces the first.
 * 2. Keys are deterministic: `<log file name>/<generation>/<sequence>`, both numbers from the
 *    state as it was before the write.
 * 3. A file whose `Size` and `LastWritten` did not change and whose last download reached its end
 *    is not downloaded. One that changed is downloaded from its marker if it still begins with the
 *    bytes already exported (its fingerprint): it grew. A file that shrank, whose `LastWritten`
 *    went back, or whose beginning is no longer the fingerprinted one holds a new content: the old
 *    content is retired and the new one starts at the beginning, as a new generation.
 * 4. A new content (a new name, or a name whose content was replaced) whose beginning is the
 *    fingerprinted beginning of a content retired in the same folder (a rotation by rename: the
 *    MySQL audit log, SQL Server's error logs, a live file renamed at the hour) continues that
 *    content: it is read from the beginning and the bytes already exported are discarded.
 * 5. A marker RDS refuses: if the file still begins with the exported bytes, it is read again from
 *    the beginning and the bytes already exported are discarded; otherwise it is a new content (3).
 *    The beginning is never simply downloaded again, which would repeat what was written.
 * 6. A portion RDS cut at its 1 MB limit (`[Your log message was truncated]`) is asked again with
 *    half the lines, down to one line: only a single line longer than 1 MB stays truncated.
 * 7. The run stops downloading when its deadline nears, writes what it holds, and the next run
 *    continues from the recorded marker.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { encodeWorkerMessage, packBatches, sendBatch, type LakeSink, type ReplayQueue } from '../../pipeline/index.js';
import type { RdsInstanceSetting } from './env-names.js';
import { RdsExportError, type LogFileInfo, type Portion, type RdsLogs } from './rds.js';
import {
  extendFingerprint,
  FINGERPRINT_BYTES,
  freshState,
  matchesFingerprint,
  objectKey,
  readState,
  RETIRED_KEEP_MS,
  RETIRED_MAX,
  writeState,
  type FileState,
  type InstanceState,
} from './state.js';

const gzipAsync = promisify(gzip);

/**
 * Log files never exported, because their content reaches another file the listing also shows:
 * MySQL and MariaDB write `error/mysql-error.log` to disk every 5 minutes and append it to
 * `error/mysql-error-running.log`, so exporting both would export every error twice.
 */
export const DUPLICATE_FILES: ReadonlySet<string> = new Set(['error/mysql-error.log']);

/** What RDS puts where it cut a portion at 1 MB. */
const TRUNCATED = /\[Your log message was truncated\]\s*$/;

/** Lines a probe of a file's beginning asks for at a time, until it holds {@link FINGERPRINT_BYTES}. */
export const PROBE_LINES = 100;

/** True when `name` passes an instance's filter. */
export function selected(setting: RdsInstanceSetting, name: string): boolean {
  return !DUPLICATE_FILES.has(name) && setting.logFiles.some((p) => name.startsWith(p));
}

/** The folder of a log file name (`slowquery/` of `slowquery/mysql-slowquery.log.3`), within which a rotation renames. */
const folderOf = (name: string): string => name.slice(0, name.lastIndexOf('/') + 1);

export type Note = (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;

/** What one instance's run depends on. */
export interface ExportDeps {
  readonly rds: RdsLogs;
  readonly lake: LakeSink;
  readonly queue: ReplayQueue;
  readonly lakeBucket: string;
  readonly account: string;
  readonly region: string;
  readonly linesPerPortion: number;
  readonly objectBytes: number;
  readonly now: () => number;
  /** True when the run must stop downloading; asked before every RDS download. */
  readonly shouldStop: () => boolean;
  /** Send retries (tests: no backoff waits). */
  readonly sendPolicy?: Parameters<typeof sendBatch>[2];
  readonly note?: Note;
}

/** What one run did for one instance. */
export interface InstanceReport {
  readonly instance: string;
  /** `done`: every selected file exported to its end; `stopped`: the deadline came first; `failed`: see `error`. */
  readonly status: 'done' | 'stopped' | 'failed';
  /** Selected log files in the listing. */
  readonly files: number;
  /** Objects written, and their uncompressed bytes. */
  readonly objects: number;
  readonly bytes: number;
  /** Replay messages sent (of this run's objects and of earlier runs' pending ones). */
  readonly messages: number;
  /** Messages SQS refused for good this run; they stay pending. */
  readonly messagesFailed: number;
  /** Contents that left their name (rotated, replaced, deleted). */
  readonly retired: number;
  /** New contents that continue a retired one (rule 4). */
  readonly renamed: number;
  /** Files read again from the beginning after RDS refused a marker (rule 5). */
  readonly restarted: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

interface Counters {
  files: number;
  objects: number;
  bytes: number;
  messages: number;
  messagesFailed: number;
  retired: number;
  renamed: number;
  restarted: number;
}

/** Thrown inside a run when its deadline came: unwinds to the instance, which saves and reports `stopped`. */
class Stop extends Error {
  override readonly name = 'Stop';
}

/** Exports the new log portions of one instance; never throws for the instance's own failures (they are reported). */
export async function exportInstance(setting: RdsInstanceSetting, deps: ExportDeps): Promise<InstanceReport> {
  const instance = setting.identifier;
  const c: Counters = { files: 0, objects: 0, bytes: 0, messages: 0, messagesFailed: 0, retired: 0, renamed: 0, restarted: 0 };
  const report = (status: InstanceReport['status'], error: InstanceReport['error'] = null): InstanceReport => ({ instance, status, ...c, error });
  let state: InstanceState;
  try {
    const read = await readState(deps.lake, deps.account, deps.region, instance);
    if (typeof read === 'string') throw new RdsExportError('invalid_state', `${read}; fix or remove it (removing it exports again everything RDS still holds)`);
    state = read ?? freshState(instance, deps.account, deps.region, deps.now());
  } catch (e) {
    return report('failed', describeError(e));
  }
  const run = new InstanceRun(setting, deps, state, c);
  try {
    await run.work();
    await run.finish();
    return report('done');
  } catch (e) {
    if (e instanceof Stop) {
      try {
        await run.finish();
        return report('stopped');
      } catch (inner) {
        return report('failed', describeError(inner));
      }
    }
    // Whatever was written so far is counted in the state; saving it and sending the messages of
    // the objects written is worth a try (it fails too when the bucket is what failed). What was
    // downloaded and not written is downloaded again by the next run.
    if (c.objects > 0 || state.pending.length > 0) await run.finish().catch(() => undefined);
    return report('failed', describeError(e));
  }
}

function describeError(e: unknown): { code: string; message: string } {
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : e instanceof Error ? e.name : 'error';
  return { code, message: e instanceof Error ? e.message : String(e) };
}

/** The work of one instance in one run. */
class InstanceRun {
  /** Beginnings of files probed this run, by name. */
  private readonly heads = new Map<string, Buffer>();

  constructor(
    private readonly setting: RdsInstanceSetting,
    private readonly deps: ExportDeps,
    private readonly state: InstanceState,
    private readonly c: Counters,
  ) {}

  private get id(): string {
    return this.setting.identifier;
  }

  private note(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    this.deps.note?.(level, message, { instance: this.id, ...fields });
  }

  private save(): Promise<void> {
    return writeState(this.deps.lake, this.state, this.deps.now());
  }

  private checkDeadline(): void {
    if (this.deps.shouldStop()) throw new Stop('deadline');
  }

  private download(name: string, marker: string, lines: number): Promise<Portion> {
    this.checkDeadline();
    return this.deps.rds.download(this.id, name, marker, lines);
  }

  async work(): Promise<void> {
    // Messages an earlier run could not send go first.
    await this.sendPending();
    this.checkDeadline();
    const listed = (await this.deps.rds.list(this.id)).filter((f) => selected(this.setting, f.name));
    this.c.files = listed.length;
    const byName = new Map(listed.map((f) => [f.name, f]));
    // Oldest first: files that no longer change are finished before the live ones.
    listed.sort((a, b) => a.lastWritten - b.lastWritten || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    for (const name of Object.keys(this.state.files)) {
      if (!byName.has(name)) this.retire(name, 'no longer listed');
    }
    const work: LogFileInfo[] = [];
    const fresh: LogFileInfo[] = [];
    for (const info of listed) {
      const f = this.state.files[info.name];
      if (f === undefined) {
        fresh.push(info);
        continue;
      }
      if (info.size < f.size || info.lastWritten < f.last_written) {
        this.retire(info.name, info.size < f.size ? `shrank from ${f.size} to ${info.size} bytes` : 'was last written earlier than before');
        fresh.push(info);
        continue;
      }
      const changed = info.size !== f.size || info.lastWritten !== f.last_written;
      if (changed && f.fingerprint !== null && !matchesFingerprint(f.fingerprint, await this.head(info.name))) {
        this.retire(info.name, 'begins with other bytes than those exported');
        fresh.push(info);
        continue;
      }
      if (changed) {
        f.size = info.size;
        f.last_written = info.lastWritten;
        f.complete = false;
      }
      if (!f.complete) work.push(info);
    }
    for (const info of fresh) {
      await this.startContent(info);
      work.push(info);
    }
    work.sort((a, b) => a.lastWritten - b.lastWritten || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const info of work) await this.drain(info);
  }

  /** Saves the state, sends what is pending, forgets old retired contents; the end of every run that did not fail. */
  async finish(): Promise<void> {
    const cutoff = this.deps.now() - RETIRED_KEEP_MS;
    this.state.retired = this.state.retired.filter((r) => Date.parse(r.retired_at) >= cutoff).slice(-RETIRED_MAX);
    await this.save();
    if (this.state.pending.length > 0) await this.sendPending();
  }

  /** Moves the content under `name` to the retired ones (when some of it was exported) and forgets the name. */
  private retire(name: string, why: string): void {
    const f = this.state.files[name];
    if (f === undefined) return;
    delete this.state.files[name];
    this.c.retired++;
    this.note('info', 'log file content retired', { file: name, why, gen: f.gen, bytes_exported: f.bytes, complete: f.complete });
    if (f.fingerprint !== null) {
      this.state.retired.push({ name, gen: f.gen, bytes: f.bytes, fingerprint: f.fingerprint, retired_at: new Date(this.deps.now()).toISOString() });
    }
  }

  /** The first {@link FINGERPRINT_BYTES} of a file (all of it when shorter), read once per run. */
  private async head(name: string): Promise<Buffer> {
    const known = this.heads.get(name);
    if (known !== undefined) return known;
    const parts: Buffer[] = [];
    let got = 0;
    let marker = '0';
    for (;;) {
      const p = await this.download(name, marker, PROBE_LINES);
      const bytes = Buffer.from(p.data, 'utf8');
      parts.push(bytes);
      got += bytes.length;
      if (!p.pending || got >= FINGERPRINT_BYTES || (bytes.length === 0 && p.marker === marker)) break;
      marker = p.marker;
    }
    const head = Buffer.concat(parts);
    this.heads.set(name, head);
    return head;
  }

  /** A new content under `info.name`: a new generation, continuing a retired content of the same folder whose beginning it has (rule 4). */
  private async startContent(info: LogFileInfo): Promise<void> {
    const folder = folderOf(info.name);
    const candidates = this.state.retired.filter((r) => folderOf(r.name) === folder);
    let from: (typeof candidates)[number] | undefined;
    if (candidates.length > 0) {
      const head = await this.head(info.name);
      // The most specific match: the longest fingerprint, then the most bytes exported.
      from = candidates.filter((r) => matchesFingerprint(r.fingerprint, head)).sort((a, b) => b.fingerprint.n - a.fingerprint.n || b.bytes - a.bytes)[0];
    }
    const gen = this.state.next_gen++;
    const f: FileState = {
      gen,
      seq: 0,
      marker: '0',
      skip: from?.bytes ?? 0,
      bytes: from?.bytes ?? 0,
      size: info.size,
      last_written: info.lastWritten,
      complete: false,
      fingerprint: from?.fingerprint ?? null,
      renamed_from: from?.name ?? null,
    };
    if (from !== undefined) {
      this.state.retired.splice(this.state.retired.indexOf(from), 1);
      this.c.renamed++;
      this.note('info', 'log file continues a content exported under another name', { file: info.name, from: from.name, gen, bytes_already_exported: from.bytes });
    }
    this.state.files[info.name] = f;
  }

  /** Downloads a file from its marker to its end (or to the deadline), writing an object each `objectBytes`. */
  private async drain(info: LogFileInfo): Promise<void> {
    const name = info.name;
    let restartedThisRun = false;
    let lines = this.deps.linesPerPortion;
    let buffer: Buffer[] = [];
    let buffered = 0;
    // Where the state would be if the buffer were written: the marker after its last portion and
    // the bytes still to discard from there.
    let f = this.state.files[name] as FileState;
    let marker = f.marker;
    let skip = f.skip;

    const write = async (complete: boolean): Promise<void> => {
      const bytes = Buffer.concat(buffer);
      buffer = [];
      buffered = 0;
      if (bytes.length > 0) {
        const seq = f.seq + 1;
        const key = objectKey(this.deps.account, this.deps.region, this.id, name, f.gen, seq);
        await this.deps.lake.put(key, new Uint8Array(await gzipAsync(bytes)));
        f.fingerprint = extendFingerprint(f.fingerprint, f.bytes, bytes);
        f.bytes += bytes.length;
        f.seq = seq;
        this.state.pending.push(key);
        this.c.objects++;
        this.c.bytes += bytes.length;
      }
      const moved = f.marker !== marker || f.skip !== skip || f.complete !== complete;
      f.marker = marker;
      f.skip = skip;
      f.complete = complete;
      if (bytes.length > 0 || moved) await this.save();
      if (this.state.pending.length >= 10) await this.sendPending();
    };

    for (;;) {
      let p: Portion;
      try {
        p = await this.download(name, marker, lines);
      } catch (e) {
        if (e instanceof Stop) {
          await write(false);
          throw e;
        }
        if (e instanceof RdsExportError && e.code === 'file_not_found') {
          await write(false);
          this.retire(name, 'deleted while being read');
          return;
        }
        if (e instanceof RdsExportError && e.code === 'stale_marker' && !restartedThisRun) {
          restartedThisRun = true;
          await write(false);
          const head = await this.head(name);
          if (f.fingerprint === null || matchesFingerprint(f.fingerprint, head)) {
            // Rule 5: the same content; read it again, discarding what was exported.
            this.c.restarted++;
            this.note('warn', 'RDS refused the marker; reading the file again from its beginning, skipping the bytes already exported', { file: name, marker, bytes_exported: f.bytes });
            marker = '0';
            skip = f.bytes;
            f.marker = marker;
            f.skip = skip;
            await this.save();
          } else {
            this.retire(name, 'RDS refused the marker and the file begins with other bytes than those exported');
            await this.startContent(info);
            f = this.state.files[name] as FileState;
            marker = f.marker;
            skip = f.skip;
          }
          continue;
        }
        throw e;
      }
      // Rule 6: RDS cut the portion at 1 MB; ask again for fewer lines.
      if (TRUNCATED.test(p.data) && lines > 1) {
        lines = Math.max(1, Math.floor(lines / 2));
        continue;
      }
      if (TRUNCATED.test(p.data)) this.note('warn', 'a single line longer than 1 MB: RDS truncated it', { file: name, marker });
      let bytes = Buffer.from(p.data, 'utf8');
      if (skip > 0) {
        const dropped = Math.min(skip, bytes.length);
        bytes = bytes.subarray(dropped);
        skip -= dropped;
      }
      if (bytes.length > 0) {
        buffer.push(bytes);
        buffered += bytes.length;
      }
      const stuck = p.pending && p.marker === marker && p.data === '';
      marker = p.marker;
      if (!p.pending) return write(true);
      if (stuck) {
        // RDS says there is more but gives nothing and does not move: try again next run.
        this.note('warn', 'RDS reports more data but returns none; the file is continued next run', { file: name, marker });
        return write(false);
      }
      if (buffered >= this.deps.objectBytes) await write(false);
    }
  }

  /** Sends one replay message per pending object (in batches, with retries), then saves the state without those sent. */
  private async sendPending(): Promise<void> {
    const keys = [...this.state.pending];
    if (keys.length === 0) return;
    const refused = new Set<string>();
    const body = (key: string): string => encodeWorkerMessage({ loglake: 'replay', v: 1, objects: [{ bucket: this.deps.lakeBucket, key }] });
    for (const batch of packBatches(keys, body)) {
      const result = await sendBatch(this.deps.queue, batch.bodies, this.deps.sendPolicy);
      for (const f of result.failed) {
        const key = batch.items[f.index] as string;
        refused.add(key);
        this.note('error', 'the replay message of an exported object was refused; it stays pending for the next run', { key, reason: f.reason });
      }
      this.c.messages += batch.items.length - result.failed.length;
      this.c.messagesFailed += result.failed.length;
      // Saved after each batch, so a failure further on does not send these again.
      const sent = new Set(batch.items.filter((k) => !refused.has(k)));
      this.state.pending = this.state.pending.filter((k) => !sent.has(k));
      await this.save();
    }
  }
}
