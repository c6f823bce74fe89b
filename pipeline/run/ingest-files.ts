/**
 * Ingests local files and folders into a lake: the loop behind `loglake ingest` and `npm start`.
 * Objects are processed as many at a time as `options.threads` (each is already streaming);
 * one object's failure is recorded in its manifest and the run goes on, whether `processObject`
 * reported it or threw.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from './errors.js';
import { recordObjectFailure } from './failed-manifest.js';
import { LocalLakeSink, LocalSource } from '../storage/local-storage.js';
import type { Manifest } from './manifest.js';
import type { PipelineOptions } from './options.js';
import { processObject, type ObjectHook, type ObjectReport } from './process-object.js';
import type { Pin, Registry } from '../route/route.js';
import type { ObjectRef } from '../storage/storage.js';

/** A file-name glob (`*` and `?`, matched against the base name) as a regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

export interface ListOptions {
  /** A folder never descended into (the lake being written, when it sits under an input). */
  readonly skipDir?: string;
  /** Base-name globs of files to leave out. */
  readonly exclude?: readonly string[];
}

/** Expands files and folders (recursively, sorted) into file paths; hidden entries are skipped. */
export async function listLocalFiles(paths: readonly string[], opts: ListOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const excluded = opts.skipDir ? resolve(opts.skipDir) : null;
  const patterns = (opts.exclude ?? []).map(globToRegExp);
  const visit = async (path: string): Promise<void> => {
    const abs = resolve(path);
    if (excluded !== null && (abs === excluded || abs.startsWith(`${excluded}/`))) return;
    if (patterns.some((p) => p.test(basename(abs)))) return;
    let info;
    try {
      info = await stat(abs);
    } catch {
      throw new ConfigError('invalid_option', `input ${JSON.stringify(path)} does not exist`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(abs)).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) await visit(join(abs, name));
    } else if (info.isFile()) {
      out.push(abs);
    }
  };
  for (const p of paths) await visit(p);
  return out;
}

/**
 * Local copies named as the S3 objects they were synced from (`loglake ingest --as`): the file
 * `<folder>/<a>/<b>` is `s3://<bucket>/<prefix><a>/<b>`, so its object id, output keys, manifest
 * and record ids are those a run of the object in S3 gives, and either run replaces the other.
 */
export interface S3Names {
  readonly bucket: string;
  /** `''` or ending in `/`. */
  readonly prefix: string;
  /** The absolute folder whose relative paths follow the prefix. */
  readonly folder: string;
}

/** The S3 identity of a file under `names.folder`. */
export function s3RefOf(names: S3Names, file: string): ObjectRef {
  const rel = relative(names.folder, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ConfigError('invalid_option', `${file} is not inside ${names.folder}, which --as names`);
  }
  return { bucket: names.bucket, key: names.prefix + rel.split(sep).join('/') };
}

/** The local file an S3 identity stands for, or null when it names none inside the folder. */
export function localPathOf(names: S3Names, ref: ObjectRef): string | null {
  if (ref.bucket !== names.bucket || !ref.key.startsWith(names.prefix)) return null;
  const segments = ref.key.slice(names.prefix.length).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  return join(names.folder, ...segments);
}

/** Totals of one source (or `unknown` / an ignorable's name) over a run. */
export interface SourceTotals {
  source: string;
  objects: number;
  failed: number;
  ignored: number;
  records: number;
  rejected: number;
  skipped: number;
  bytesIn: number;
  bytesDecompressed: number;
  durationMs: number;
}

export interface IngestSummary {
  readonly reports: readonly ObjectReport[];
  readonly bySource: readonly SourceTotals[];
  readonly elapsedMs: number;
}

/** Which object a per-object callback is about: its place in the files, and its key. */
export interface ObjectOfRun {
  readonly index: number;
  readonly key: string;
}

export interface IngestLocalOptions {
  readonly lakeDir: string;
  readonly options: PipelineOptions;
  readonly rule?: (ref: ObjectRef) => Pin | null;
  /**
   * Name every file as the S3 object it is a copy of, and record the MD5 of its bytes as its
   * ETag (what S3 gives a single-part upload). @default each file is `{ bucket: '', key: <path> }`
   */
  readonly as?: S3Names;
  /** Parsers and ignorables to route with. @default DEFAULT_REGISTRY */
  readonly registry?: Registry;
  /** Format extensions run around each object (`ProcessDeps.hooks`). @default none */
  readonly hooks?: readonly ObjectHook[];
  readonly onObject?: (r: ObjectReport) => void;
  /**
   * Records of an object so far, between its chunks (`ProcessDeps.onRecords`), with the object
   * they are of: several objects run at a time, each counting from 0 to its own total.
   */
  readonly onObjectRecords?: (records: number, object: ObjectOfRun) => void;
  /** Clock, injectable for tests (`ProcessDeps.now`). @default Date.now */
  readonly now?: () => number;
}

function summaryKey(m: Manifest): string {
  return m.source ?? (m.status === 'ignored' && m.reason ? m.reason : 'unknown');
}

/** Adds one manifest to per-source totals. */
export function addToTotals(totals: Map<string, SourceTotals>, m: Manifest): void {
  const key = summaryKey(m);
  let t = totals.get(key);
  if (!t) {
    t = { source: key, objects: 0, failed: 0, ignored: 0, records: 0, rejected: 0, skipped: 0, bytesIn: 0, bytesDecompressed: 0, durationMs: 0 };
    totals.set(key, t);
  }
  t.objects++;
  if (m.status === 'failed') t.failed++;
  if (m.status === 'ignored') t.ignored++;
  t.records += m.records;
  t.rejected += m.rejected;
  t.skipped += m.skipped;
  t.bytesIn += m.bytes_in;
  t.bytesDecompressed += m.bytes_decompressed;
  t.durationMs += m.duration_ms;
}

/**
 * Ingests every file into `lakeDir`. An object that fails — a reported object error or an
 * exception thrown while processing it — gets a `failed` manifest and the next file is
 * processed; only a lake that cannot be written stops the run.
 */
export async function ingestLocalFiles(files: readonly string[], opts: IngestLocalOptions): Promise<IngestSummary> {
  const started = Date.now();
  const as = opts.as;
  const deps = {
    source: as !== undefined ? new LocalSource({ pathOf: (ref) => localPathOf(as, ref), md5Etag: true }) : new LocalSource(),
    sink: new LocalLakeSink(opts.lakeDir),
    options: opts.options,
    rule: opts.rule,
    registry: opts.registry,
    hooks: opts.hooks,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  };
  // Every name first: a file --as cannot name stops the run before anything is written.
  const refs: ObjectRef[] = files.map((file) => (as !== undefined ? s3RefOf(as, file) : { bucket: '', key: file }));
  const reports: ObjectReport[] = [];
  const totals = new Map<string, SourceTotals>();
  const finished: Array<ObjectReport | undefined> = new Array<ObjectReport | undefined>(files.length);
  /** Reports are counted and handed out in file order, whichever object finished first. */
  const emit = (): void => {
    for (let report = finished[reports.length]; report !== undefined; report = finished[reports.length]) {
      reports.push(report);
      addToTotals(totals, report.manifest);
      opts.onObject?.(report);
    }
  };
  const one = async (i: number): Promise<void> => {
    const ref = refs[i] as ObjectRef;
    const objectStarted = Date.now();
    const onObjectRecords = opts.onObjectRecords;
    const objectDeps = onObjectRecords !== undefined ? { ...deps, onRecords: (n: number) => onObjectRecords(n, { index: i, key: ref.key }) } : deps;
    try {
      finished[i] = await processObject(ref, objectDeps);
    } catch (e) {
      // processObject throws what the Lambda worker leaves to SQS to retry; nobody retries a
      // local run, and one bad file must not cost the manifests of every file after it.
      finished[i] = await recordObjectFailure(ref, e, deps, objectStarted);
    }
    emit();
  };
  // As many objects at once as threads: a folder of small objects keeps every thread busy,
  // while each object's outputs are what it alone would write.
  let next = 0;
  const lanes = Math.max(1, Math.min(opts.options.threads, files.length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < files.length) await one(next++);
    }),
  );
  const bySource = [...totals.values()].sort((a, b) => a.source.localeCompare(b.source));
  return { reports, bySource, elapsedMs: Date.now() - started };
}
