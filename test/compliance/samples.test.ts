/**
 * The compliance suite over samples/: for every registered parser, every sample its manifest
 * attributes to it passes routing, accounting, split equivalence and the two Parquet readers
 * (see suite.ts); the registry guard makes sure no parser is registered without samples, without
 * its vocabulary entry, or outside this suite. Nothing here names a parser: a new one is covered
 * by registering it and adding samples.
 */
import { describe, expect, it } from 'vitest';
import { IGNORABLES, PARSERS } from '../../parsers/index.js';
import { PARSER_SOURCES, SOURCES } from '../../schema/index.js';
import { discoverSamples } from './cases.js';
import { describeCase, describeIgnorables, suiteContext } from './suite.js';

// Discovery runs every sample once: its manifest says which parser read it.
const samples = await discoverSamples();

const ctx = suiteContext(samples.runs);

/** Parsers this file defined checks for, filled while the tests are collected. */
const covered = new Set<string>();

for (const parser of PARSERS) {
  describe(`${parser.id} (source ${parser.source}, ${parser.framing} framing): samples`, () => {
    covered.add(parser.id);
    const cases = samples.cases.filter((c) => c.parser.id === parser.id);
    it('has at least one sample in samples/', () => {
      expect(cases.map((c) => c.label), `add samples/${parser.source}/… read by ${parser.id}, with goldens (npm run goldens)`).not.toEqual([]);
    });
    describeIgnorables(parser);
    for (const c of cases) describeCase(ctx, c);
  });
}

describe('samples that no parser reads', () => {
  for (const run of samples.unattributed) {
    it(`${run.label} is an ignorable of a registered source, recognized by key or content`, () => {
      expect(run.thrown, 'processObject threw').toBeNull();
      const m = run.manifest;
      expect({ status: m?.status, reason: m?.reason, error: m?.error }).toMatchObject({ status: 'ignored' });
      expect(IGNORABLES.map((i) => i.name)).toContain(m?.reason);
    });
  }
});

describe('registry guard', () => {
  it('parser ids are unique', () => {
    const ids = PARSERS.map((p) => p.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('PARSERS and schema/vocabulary.ts PARSER_SOURCES name the same parsers with the same sources', () => {
    expect(Object.fromEntries(PARSERS.map((p) => [p.id, p.source]))).toEqual({ ...PARSER_SOURCES });
  });

  it('every SOURCES value has a parser, and every parser writes one of SOURCES', () => {
    expect(SOURCES.filter((s) => !PARSERS.some((p) => p.source === s))).toEqual([]);
    expect(PARSERS.filter((p) => !(SOURCES as readonly string[]).includes(p.source)).map((p) => p.id)).toEqual([]);
  });

  it('ignorable names are unique, and each belongs to a source that has a parser', () => {
    const names = IGNORABLES.map((i) => i.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(IGNORABLES.filter((i) => !PARSERS.some((p) => p.source === i.source)).map((i) => i.name)).toEqual([]);
  });

  it('every parser has at least one sample in samples/', () => {
    const withSamples = new Set(samples.cases.map((c) => c.parser.id));
    expect(PARSERS.map((p) => p.id).filter((id) => !withSamples.has(id))).toEqual([]);
  });

  it('every parser appears in this suite', () => {
    expect([...covered].sort()).toEqual(PARSERS.map((p) => p.id).sort());
  });
});
