/**
 * Locates the shared conformance corpus (`../shared/corpus`, read in place, never copied).
 * Missing corpus: a failure under CI, a skip with its reason elsewhere.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
export const corpusPresent = existsSync(CORPUS);
export const corpusMissingReason = `conformance corpus not found at ${CORPUS}`;

/** Throws under CI when the corpus is absent, so a CI run can never silently skip conformance. */
export function requireCorpusInCi(): void {
  if (!corpusPresent && process.env.CI) throw new Error(`${corpusMissingReason} (required when CI is set)`);
}
