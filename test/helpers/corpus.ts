/**
 * Locates the shared conformance corpus (`../shared/corpus`, read in place, never copied).
 * Missing corpus: a failure under CI, a skip with its reason elsewhere.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { LakeQuery } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { runLocal, tempDir } from './lake.js';

export const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
export const corpusPresent = existsSync(CORPUS);
export const corpusMissingReason = `conformance corpus not found at ${CORPUS}`;

/** Throws under CI when the corpus is absent, so a CI run can never silently skip conformance. */
export function requireCorpusInCi(): void {
  if (!corpusPresent && process.env.CI) throw new Error(`${corpusMissingReason} (required when CI is set)`);
}

/** A lake holding the given corpus files, ingested once before a describe block's tests. */
export interface IngestedCorpus {
  /** Manifest of each file, by the name it was given. */
  readonly manifests: Map<string, Manifest>;
  /** DuckDB over the lake; valid inside the tests. */
  query(): LakeQuery;
}

/** Ingests `files` (relative to `dir`) into a temporary lake before the tests, removes it after. */
export function ingestCorpusFiles(dir: string, files: readonly string[], prefix: string): IngestedCorpus {
  const tmp = tempDir(prefix);
  const manifests = new Map<string, Manifest>();
  let q: LakeQuery | undefined;
  beforeAll(async () => {
    for (const f of files) manifests.set(f, (await runLocal(join(dir, f), tmp.path)).manifest);
    q = await LakeQuery.open(tmp.path);
  });
  afterAll(() => {
    q?.close();
    tmp.cleanup();
  });
  return {
    manifests,
    query(): LakeQuery {
      if (q === undefined) throw new Error('the corpus lake is opened in beforeAll');
      return q;
    },
  };
}
