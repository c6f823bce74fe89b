/**
 * Local folder implementations of the storage interfaces, used by `loglake ingest` and tests.
 * Outputs are written to a temporary name and renamed on close, so a reader never sees a half
 * written file and a re-run replaces files atomically, as S3 PUTs do.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ObjectError } from '../run/errors.js';
import type { LakeSink, ObjectRef, ObjectSource, OpenedObject, OutputFile } from './storage.js';

/** Read size: large reads keep gunzip fed (measured 2.3x over 64 KiB reads; bench/README.md). */
const READ_BYTES = 1024 * 1024;

/** Reads local files; `ref.key` is a path and `ref.bucket` is empty. */
export class LocalSource implements ObjectSource {
  async open(ref: ObjectRef): Promise<OpenedObject> {
    try {
      const info = await stat(ref.key);
      if (!info.isFile()) throw new Error('not a regular file');
      return { body: createReadStream(ref.key, { highWaterMark: READ_BYTES }), size: info.size, lastModifiedMs: info.mtimeMs };
    } catch (e) {
      throw new ObjectError('unreadable', `cannot read ${ref.key}: ${(e as Error).message}`, { cause: e });
    }
  }
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
