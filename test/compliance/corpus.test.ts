/**
 * The compliance suite over the shared conformance corpus (read in place): every file of every
 * corpus folder that maps to a registered parser (folder named after its id or source, or an
 * alias in cases.ts) passes the checks of suite.ts. A missing corpus fails under CI and is
 * reported as skipped, with the reason, elsewhere (test/helpers/corpus.ts).
 */
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../../parsers/index.js';
import { corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { discoverCorpus, parserOfFolder } from './cases.js';
import { describeCase, suiteContext } from './suite.js';

const plan = discoverCorpus();

describe.skipIf(!corpusPresent)(`compliance over the conformance corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
  const ctx = suiteContext(new Map());

  it('finds corpus files for parsers', () => {
    expect(plan.cases.length).toBeGreaterThan(0);
  });

  for (const parser of PARSERS) {
    const cases = plan.cases.filter((c) => c.parser.id === parser.id);
    if (cases.length === 0) continue;
    describe(`${parser.id} (source ${parser.source}, ${parser.framing} framing): corpus files`, () => {
      for (const c of cases) describeCase(ctx, c);
    });
  }

  for (const folder of plan.uncovered) {
    it(`${folder}/ is not covered: no registered parser has that id or source`, () => {
      expect(parserOfFolder(folder)).toBeUndefined();
    });
  }
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
