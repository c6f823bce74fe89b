/**
 * Walks every sample under samples/ and compares what the pipeline writes — every column of
 * every row, every rejected line — with the golden files beside it (`npm run goldens` rewrites
 * them; the diff is reviewed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenPaths, runSample, sampleInputs } from './helpers/golden.js';

const readJsonl = (path: string): unknown[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown)
    : [];

describe('golden samples', () => {
  const inputs = sampleInputs();
  it('finds samples to check', () => {
    expect(inputs.length).toBeGreaterThan(0);
  });
  for (const input of inputs) {
    it(`${input} matches its golden rows and rejects`, async () => {
      const paths = goldenPaths(input);
      expect(existsSync(paths.expected), `${paths.expected} is missing: run npm run goldens and review the diff`).toBe(true);
      const { manifest, rows, rejects } = await runSample(input);
      expect(manifest.status).not.toBe('failed');
      expect(manifest.lines_in).toBe(manifest.records + manifest.rejected + manifest.skipped);
      expect(rows.length).toBe(manifest.records);
      expect(rejects.length).toBe(manifest.rejected);
      expect(rows).toEqual(readJsonl(paths.expected));
      expect(rejects).toEqual(readJsonl(paths.rejects));
    });
  }
});
