/**
 * Every CloudTrail file of the shared corpus through the real pipeline: each event becomes a
 * record (or, for the deliberately partial ones, a clear rejection), the invalid file becomes
 * rejections, and mapped values match the source events read independently with JSON.parse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { CORPUS, corpusMissingReason, corpusPresent, ingestCorpusFiles, requireCorpusInCi } from '../helpers/corpus.js';

type Json = Record<string, unknown>;

/** The events of a corpus file as an independent reader sees them. */
function referenceEvents(path: string): Json[] | 'digest' | 'invalid' {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  if (path.endsWith('.ndjson')) return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Json);
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    return 'invalid';
  }
  if ('digestStartTime' in doc) return 'digest';
  if (Array.isArray(doc.Records)) return doc.Records as Json[];
  if (Array.isArray(doc.logEvents)) return (doc.logEvents as Array<{ message: string }>).map((e) => JSON.parse(e.message) as Json);
  if (Array.isArray(doc.Events)) {
    return (doc.Events as Json[]).map((e) => (typeof e.CloudTrailEvent === 'string' ? (JSON.parse(e.CloudTrailEvent) as Json) : e));
  }
  return [doc];
}

const hasUsableTime = (e: Json): boolean => typeof e.eventTime === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/.test(e.eventTime);

describe.skipIf(!corpusPresent)(`CloudTrail conformance corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
  const dir = join(CORPUS, 'cloudtrail');
  const files = corpusPresent ? readdirSync(dir).sort() : [];
  const lake = ingestCorpusFiles(dir, files, 'loglake-conformance-');
  const manifests = lake.manifests;

  it('covers the whole folder', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const f of files) {
    it(`${f}: every event becomes a record or a clear rejection, values match the source`, async () => {
      const m = manifests.get(f) as Manifest;
      const reference = referenceEvents(join(dir, f));
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      if (reference === 'digest') {
        expect(m).toMatchObject({ status: 'ignored', reason: 'cloudtrail-digest', records: 0 });
        return;
      }
      if (reference === 'invalid') {
        expect(m).toMatchObject({ status: 'ok', records: 0 });
        expect(m.rejected).toBeGreaterThan(0);
        expect(Object.keys(m.rejected_by_reason)).toEqual(['invalid_json']);
        return;
      }
      expect(m.status).toBe('ok');
      expect(m.lines_in).toBe(reference.length);
      const usable = reference.filter(hasUsableTime);
      expect(m.records).toBe(usable.length);
      expect(m.rejected).toBe(reference.length - usable.length);
      if (m.rejected > 0) expect(Object.keys(m.rejected_by_reason)).toEqual(['bad_timestamp']);

      const rows = (
        await lake.query().rows(
          `SELECT ordinal, epoch_ms(time) AS t, action, region, request_id, account_id, outcome FROM events WHERE object = '${join(dir, f).replaceAll("'", "''")}' ORDER BY ordinal`,
        )
      ).rows;
      expect(rows).toHaveLength(m.records);
      for (const row of rows) {
        const e = reference[Number(row.ordinal) - 1] as Json;
        const time = (e.eventTime as string).replace(' ', 'T');
        expect(Number(row.t)).toBe(Date.parse(/Z$|[+-]\d\d:\d\d$/.test(time) ? time : `${time}Z`));
        const insight = e.insightDetails as Json | undefined;
        expect(row.action).toBe(e.eventName ?? insight?.eventName ?? null);
        expect(row.region).toBe(e.awsRegion ?? null);
        expect(row.request_id).toBe(e.eventID ?? null);
        const identity = e.userIdentity as Json | undefined;
        expect(row.account_id).toBe(e.recipientAccountId ?? identity?.accountId ?? null);
        // An empty errorCode (seen in exported events) means no error.
        const failed = (typeof e.errorCode === 'string' && e.errorCode !== '') || (e.responseElements as Json | null | undefined)?.ConsoleLogin === 'Failure';
        expect(row.outcome).toBe(e.eventCategory === 'Insight' ? 'unknown' : failed ? 'failure' : 'success');
      }
    });
  }
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
