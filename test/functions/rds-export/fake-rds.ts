/**
 * A stand-in for RDS's log file API behind `aws-sdk-client-mock`: instances hold log files that
 * tests append to, replace, rename and delete; `DescribeDBLogFiles` lists them in pages and
 * `DownloadDBLogFilePortion` serves them by lines with markers `<epoch>:<offset>`, as RDS's look.
 * A file's epoch changes when its content is replaced or renamed, so an old marker is refused
 * (`InvalidParameterValue`) the way RDS refuses a marker it no longer knows.
 */
import {
  DBInstanceNotFoundFault,
  DBLogFileNotFoundFault,
  DescribeDBLogFilesCommand,
  DownloadDBLogFilePortionCommand,
  RDSClient,
  type DescribeDBLogFilesCommandInput,
  type DownloadDBLogFilePortionCommandInput,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';

interface FakeFile {
  content: string;
  lastWritten: number;
  epoch: number;
}

/** One download call as the fake saw it. */
export interface DownloadCall {
  readonly instance: string;
  readonly file: string;
  readonly marker: string;
  readonly lines: number;
}

let epochs = 0;

export class FakeRds {
  readonly client = new RDSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  readonly mock = mockClient(this.client);
  readonly instances = new Map<string, Map<string, FakeFile>>();
  /** Instances whose calls answer AccessDenied. */
  readonly denied = new Set<string>();
  /** Files whose next download from a marker other than "0" is refused, once. */
  readonly refuseNextMarker = new Set<string>();
  /** A portion longer than this many characters is cut as RDS cuts one at 1 MB. */
  truncateOver: number | null = null;
  readonly downloads: DownloadCall[] = [];
  describes = 0;
  /** Files per DescribeDBLogFiles page. */
  pageSize = 3;

  constructor() {
    this.mock.on(DescribeDBLogFilesCommand).callsFake((input: DescribeDBLogFilesCommandInput) => this.describe(input));
    this.mock.on(DownloadDBLogFilePortionCommand).callsFake((input: DownloadDBLogFilePortionCommandInput) => this.download(input));
  }

  private filesOf(instance: string | undefined): Map<string, FakeFile> {
    const files = this.instances.get(instance ?? '');
    if (instance !== undefined && this.denied.has(instance)) {
      throw Object.assign(new Error(`User: arn:aws:sts::111122223333:assumed-role/x is not authorized to perform: rds:DescribeDBLogFiles on resource: ${instance}`), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      });
    }
    if (files === undefined) throw new DBInstanceNotFoundFault({ message: `DBInstance ${instance} not found.`, $metadata: { httpStatusCode: 404 } });
    return files;
  }

  private describe(input: DescribeDBLogFilesCommandInput): { DescribeDBLogFiles: Array<{ LogFileName: string; LastWritten: number; Size: number }>; Marker?: string } {
    this.describes++;
    const all = [...this.filesOf(input.DBInstanceIdentifier)].sort(([a], [b]) => (a < b ? -1 : 1));
    const start = Number(input.Marker ?? 0);
    const page = all.slice(start, start + this.pageSize);
    return {
      DescribeDBLogFiles: page.map(([name, f]) => ({ LogFileName: name, LastWritten: f.lastWritten, Size: Buffer.byteLength(f.content) })),
      ...(start + this.pageSize < all.length ? { Marker: String(start + this.pageSize) } : {}),
    };
  }

  private download(input: DownloadDBLogFilePortionCommandInput): { LogFileData: string; Marker: string; AdditionalDataPending: boolean } {
    const instance = input.DBInstanceIdentifier ?? '';
    const name = input.LogFileName ?? '';
    const marker = input.Marker ?? '';
    const lines = input.NumberOfLines ?? 10_000;
    this.downloads.push({ instance, file: name, marker, lines });
    const f = this.filesOf(instance).get(name);
    if (f === undefined) throw new DBLogFileNotFoundFault({ message: `DBLog File: ${name}, is not found on the DB instance`, $metadata: { httpStatusCode: 404 } });
    let offset = 0;
    if (marker !== '0') {
      const m = /^(\d+):(\d+)$/.exec(marker);
      const refused = this.refuseNextMarker.delete(name);
      if (m === null || refused || Number(m[1]) !== f.epoch || Number(m[2]) > f.content.length) {
        throw Object.assign(new Error(`The parameter Marker is not valid: ${marker}`), { name: 'InvalidParameterValue', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      offset = Number(m[2]);
    }
    let end = offset;
    for (let n = 0; n < lines && end < f.content.length; n++) {
      const nl = f.content.indexOf('\n', end);
      end = nl === -1 ? f.content.length : nl + 1;
    }
    let data = f.content.slice(offset, end);
    if (this.truncateOver !== null && data.length > this.truncateOver) data = `${data.slice(0, this.truncateOver)} [Your log message was truncated]\n`;
    return { LogFileData: data, Marker: `${f.epoch}:${end}`, AdditionalDataPending: end < f.content.length };
  }

  addInstance(instance: string): void {
    if (!this.instances.has(instance)) this.instances.set(instance, new Map());
  }

  /** Creates or replaces a file (a new epoch: old markers are refused). */
  put(instance: string, name: string, content: string, lastWritten: number): void {
    this.addInstance(instance);
    this.instances.get(instance)?.set(name, { content, lastWritten, epoch: ++epochs });
  }

  append(instance: string, name: string, text: string, lastWritten: number): void {
    const f = this.instances.get(instance)?.get(name);
    if (f === undefined) throw new Error(`no file ${name}`);
    f.content += text;
    f.lastWritten = lastWritten;
  }

  /** Moves a file to another name (replacing what was there), keeping its content and time. */
  rename(instance: string, from: string, to: string): void {
    const files = this.instances.get(instance);
    const f = files?.get(from);
    if (files === undefined || f === undefined) throw new Error(`no file ${from}`);
    files.delete(from);
    files.set(to, { ...f, epoch: ++epochs });
  }

  remove(instance: string, name: string): void {
    this.instances.get(instance)?.delete(name);
  }

  content(instance: string, name: string): string {
    return this.instances.get(instance)?.get(name)?.content ?? '';
  }

  /** Download calls of one file, in order. */
  callsOf(file: string): DownloadCall[] {
    return this.downloads.filter((c) => c.file === file);
  }
}

/** `n` log lines of a file, numbered from `from`, distinct across files by `tag`. */
export function logLines(tag: string, from: number, n: number): string {
  let out = '';
  for (let i = from; i < from + n; i++) out += `2024-05-01 13:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} UTC:10.0.0.${i % 250}(5432):app@db:[${1000 + i}]:LOG:  ${tag} statement ${i}: SELECT ${i}\n`;
  return out;
}
