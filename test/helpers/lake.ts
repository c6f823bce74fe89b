/** Temporary folders and a one-call pipeline run for tests. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { LocalLakeSink, LocalSource } from '../../pipeline/local-storage.js';
import { resolveOptions } from '../../pipeline/options.js';
import { processObject, type ObjectReport, type ProcessDeps } from '../../pipeline/process-object.js';

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
