/**
 * Local folder implementations of the storage interfaces, used by `loglake ingest` and tests.
 * Outputs are written to a temporary name and renamed on close, so a reader never sees a half
 * written file and a re-run replaces files atomically, as S3 PUTs do.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { ObjectError } from '../run/errors.js';
import { objectUri, type LakeSink, type ObjectRef, type ObjectSource, type OpenedObject, type OutputFile } from './storage.js';

/** Read size: large reads keep gunzip fed (measured 2.3x over 64 KiB reads; bench/README.md). */
const READ_BYTES = 1024 * 1024;

export interface LocalSourceOptions {
  /**
   * The file an object is read from, or null when no local file stands for it: local copies of
   * S3 objects keep their S3 names (`loglake ingest --as`). @default `ref.key`, a path
   */
  readonly pathOf?: (ref: ObjectRef) => string | null;
  /**
   * Report the MD5 of the file's bytes, quoted, as `etagAfterRead`: the ETag S3 gives an object
   * uploaded in one part, hashed as the body streams (no second read). @default false
   */
  readonly md5Etag?: boolean;
}

/** Reads local files; by default `ref.key` is a path and `ref.bucket` is empty. */
export class LocalSource implements ObjectSource {
  constructor(private readonly opts: LocalSourceOptions = {}) {}

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const path = this.opts.pathOf !== undefined ? this.opts.pathOf(ref) : ref.key;
    if (path === null) throw new ObjectError('unreadable', `cannot read ${objectUri(ref)}: no local file stands for it`);
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error('not a regular file');
      const file = createReadStream(path, { highWaterMark: READ_BYTES });
      const opened = { size: info.size, lastModifiedMs: info.mtimeMs };
      return this.opts.md5Etag === true ? { ...opened, ...md5Tap(file) } : { ...opened, body: file };
    } catch (e) {
      throw new ObjectError('unreadable', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * The bytes of `file` passed through unchanged while their MD5 is computed; the quoted hex
 * digest once the file has been read to its end. Still a `Readable`, so a reader that stops
 * early can `destroy()` it and release the file.
 */
function md5Tap(file: Readable): { body: Readable; etagAfterRead: () => string | undefined } {
  const md5 = createHash('md5');
  let etag: string | undefined;
  const tap = new Transform({
    highWaterMark: READ_BYTES,
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      etag = `"${md5.digest('hex')}"`;
      done();
    },
  });
  // pipeline passes a read error on to the tap (its reader sees it) and closes the file when
  // either side is destroyed; the callback only keeps the error from being reported twice.
  return { body: pipeline(file, tap, () => undefined), etagAfterRead: () => etag };
}

let tmpCounter = 0;

/**
 * Each output is written under a temporary name and renamed when complete, so a reader never
 * sees half a file; a run killed in between leaves the temporary file behind, which this
 * pattern recognises (group 1 is the writer's pid) for the CLI's clean-up.
 */
export const TEMP_NAME = /\.tmp-(\d+)-\d+$/;

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${tmpCounter++}`;
}

/** A lake in a local folder, with the same key layout as the central bucket. */
export class LocalLakeSink implements LakeSink {
  constructor(readonly root: string) {}

  describe(key: string): string {
    return join(this.root, key);
  }

  async create(key: string): Promise<OutputFile> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempName(path);
    const handle = await open(tmp, 'w');
    return {
      async write(bytes: Uint8Array): Promise<void> {
        await handle.write(bytes);
      },
      async close(): Promise<void> {
        await handle.close();
        await rename(tmp, path);
      },
      async abort(): Promise<void> {
        await handle.close().catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  async put(key: string, bytes: Uint8Array | string): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempName(path);
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(join(this.root, key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<boolean> {
    const path = join(this.root, toKey);
    await mkdir(dirname(path), { recursive: true });
    // Through a temporary name like `put`, so a reader never sees a half-copied file.
    const tmp = tempName(path);
    try {
      await copyFile(join(this.root, fromKey), tmp);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    await rename(tmp, path);
    return true;
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(join(this.root, k), { force: true })));
  }
}
