import { describe, expect, it } from 'vitest';
import { manifestProblem, parseManifest } from '../../pipeline/run/manifest.js';

const good = { manifest_version: 1, status: 'ok', outputs: [{ source: 'alb', dt: '2024-01-01', key: 'lake/a', rows: 1, bytes: 2 }], errors_output: null };

describe('manifestProblem', () => {
  it('accepts what re-runs and continuations read, and ignores the rest', () => {
    expect(manifestProblem({ ...good, extra: 1, resume: { ordinal: 3, part: 1 }, superseded_outputs: ['k'] })).toBeNull();
    expect(parseManifest(Buffer.from(JSON.stringify(good)))).toEqual(good);
  });

  it.each([
    [[], 'must be a JSON object, got []'],
    [null, 'must be a JSON object, got null'],
    [{ ...good, manifest_version: 2 }, 'manifest_version: must be 1, got 2'],
    [{ ...good, outputs: undefined }, 'outputs: is required (the keys the run wrote)'],
    [{ ...good, outputs: [{ ...good.outputs[0], rows: '1' }] }, 'outputs[0].rows: must be a number, got "1"'],
    [{ ...good, outputs: [5] }, 'outputs[0]: must be an object, got 5'],
    [{ ...good, errors_output: 3 }, 'errors_output: must be a key, got 3'],
    [{ ...good, superseded_outputs: ['a', 1] }, 'superseded_outputs[1]: must be a string, got 1'],
    [{ ...good, status: undefined }, 'status: is required (ok, failed, …)'],
    [{ ...good, resume: { ordinal: 1 } }, 'resume.part: is required (a number)'],
  ])('refuses %j: %s', (doc, problem) => {
    expect(manifestProblem(doc)).toBe(problem);
    expect(parseManifest(Buffer.from(JSON.stringify(doc) ?? 'null'))).toBeNull();
  });
});
