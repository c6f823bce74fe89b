/**
 * Temporary output files of a local lake. The pipeline's local sink writes each output as
 * `<name>.tmp-<pid>-<n>` and renames it when complete; a run killed in between leaves that file
 * behind. An interrupted `loglake ingest` removes its own (this pid's) at once, and every run
 * removes the ones older than `STALE_TEMP_MS`, which no live run still writes.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEMP_NAME } from '../pipeline/index.js';

/** Age past which a temporary file is an interrupted run's leftover. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

function tempFiles(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((n) => TEMP_NAME.test(n)).map((n) => join(root, n));
}

function remove(paths: readonly string[]): number {
  let n = 0;
  for (const p of paths) {
    try {
      rmSync(p, { force: true });
      n++;
    } catch {
      // Gone already, or not ours to remove: nothing to clean.
    }
  }
  return n;
}

/** Removes the temporary files under `root` last modified before `now - olderThanMs`; returns how many. */
export function removeStaleTemp(root: string, olderThanMs = STALE_TEMP_MS, now = Date.now()): number {
  return remove(
    tempFiles(root).filter((p) => {
      try {
        return statSync(p).mtimeMs < now - olderThanMs;
      } catch {
        return false;
      }
    }),
  );
}

/** Removes the temporary files under `root` written by process `pid` (this one by default); returns how many. */
export function removeOwnTemp(root: string, pid = process.pid): number {
  return remove(tempFiles(root).filter((p) => TEMP_NAME.exec(p)?.[1] === String(pid)));
}
