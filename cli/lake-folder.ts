/**
 * What makes a folder a lake, and the checks on a folder ingest is to write. `loglake ingest`
 * writes `lake/source=…/dt=…/*.parquet`, `errors/…` and one manifest per object under
 * `manifests/`, so a lake folder holds `lake/` or `manifests/`; an empty folder, the inner
 * `lake/` folder or a folder of logs is not one, and querying it would only say "0 rows".
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './args.js';

/** True for a lake folder, else why it is not one (one line). */
export function isLakeFolder(dir: string): true | string {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return 'it is a file, not a folder';
    names = readdirSync(dir);
  } catch (e) {
    return `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const isDir = (name: string): boolean => {
    try {
      return statSync(`${dir}/${name}`).isDirectory();
    } catch {
      return false;
    }
  };
  if ((names.includes('lake') && isDir('lake')) || (names.includes('manifests') && isDir('manifests'))) return true;
  if (names.some((n) => n.startsWith('source='))) return 'it looks like the lake/ folder inside a lake; give the folder above it';
  if (names.length === 0) return 'the folder is empty (loglake ingest <logs> --out <dir> writes a lake)';
  return 'no lake/ or manifests/ folder inside (loglake ingest <logs> --out <dir> writes a lake)';
}

/** Makes sure `dir` is (or can become) a folder this process can write; a one-line usage error otherwise. */
export function checkOutFolder(dir: string, shown: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`--out ${JSON.stringify(shown)}: ${why}`, { hint: false });
  };
  try {
    if (!statSync(dir).isDirectory()) fail('is a file, not a folder');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') fail('a part of the path is a file, not a folder');
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail(`cannot use it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    // One level at a time: node's recursive mkdir retries forever where mkdir says ENOENT for a
    // parent that exists (/proc/x).
    const missing: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      if (existsSync(d)) break;
      missing.unshift(d);
      if (dirname(d) === d) break;
    }
    for (const d of missing) {
      try {
        mkdirSync(d);
      } catch (m) {
        fail(`cannot create the folder (${(m as NodeJS.ErrnoException).code ?? (m as Error).message})`);
      }
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    fail(`the folder is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
