/** Temporary folders and a one-call pipeline run for tests. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LocalLakeSink, LocalSource } from '../../pipeline/storage/local-storage.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject, type ObjectReport, type ProcessDeps } from '../../pipeline/index.js';
import { ObjectError } from '../../pipeline/run/errors.js';
import { LakeQuery, type QueryRow } from '../../query/lake-query.js';
import type { ObjectRef, ObjectSource, OpenedObject } from '../../pipeline/storage/storage.js';

export function tempDir(prefix = 'loglake-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeInput(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** All files under a folder, relative, sorted. */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out;
}

export async function runLocal(path: string, lake: string, overrides: Omit<Partial<ProcessDeps>, 'options'> & { options?: Record<string, unknown> } = {}): Promise<ObjectReport> {
  const { options, ...rest } = overrides;
  return processObject({ bucket: '', key: path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions(options ?? {}), ...rest });
}

/** An object held in memory and served in fixed-size reads, with an ETag like S3's. */
export class BytesSource implements ObjectSource {
  constructor(
    private bytes: Buffer,
    private readonly readBytes: number,
    public etag = '"v1"',
  ) {}

  replace(bytes: Buffer, etag: string): void {
    this.bytes = bytes;
    this.etag = etag;
  }

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const { bytes, readBytes } = this;
    if (ref.etag !== undefined && ref.etag !== this.etag) throw new ObjectError('object_changed', `${ref.key}: ETag ${this.etag}, expected ${ref.etag}`);
    return {
      etag: this.etag,
      size: bytes.byteLength,
      body: (async function* (): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < bytes.byteLength; i += readBytes) yield bytes.subarray(i, i + readBytes);
      })(),
    };
  }
}

/** The rows of one query over a local lake. */
export async function lakeRows(lake: string, sql: string): Promise<QueryRow[]> {
  const q = await LakeQuery.open(lake);
  try {
    return (await q.rows(sql)).rows;
  } finally {
    q.close();
  }
}
