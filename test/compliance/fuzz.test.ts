/**
 * Seeded mutation fuzzing of every registered parser (`bench/fuzz-mutations.ts`), small enough
 * for `npm test`: per parser `LOGLAKE_FUZZ_N` (default 2,000) mutated sample lines/records
 * through framer, parser, validator and writer, the special frames, and a dozen mutated whole
 * objects through `processObject` plus the special objects. `npm run bench -- fuzz` runs the
 * same at 100,000 per parser. A new parser needs no edit here, only a sample under `samples/`.
 *
 * The last block keeps the minimal inputs of what fuzzing found in `pipeline/` and `parsers/`;
 * each failed before its fix (see bench/README.md, "Fuzzing").
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARSERS } from '../../parsers/index.js';
import type { ParserId } from '../../schema/index.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import type { Pin } from '../../pipeline/route/route.js';
import {
  envInt,
  formatFindings,
  formatFrameStats,
  formatObjectStats,
  formatSpecialFrames,
  fuzzFrames,
  fuzzObjects,
  loadSeeds,
  objectsFor,
  SAMPLES_DIR,
  specialFrames,
  type ParserSeeds,
} from '../../bench/fuzz-mutations.js';
import { runLocal, tempDir, writeInput } from '../helpers/lake.js';

const N = envInt('LOGLAKE_FUZZ_N', 2000);
const OBJECTS = objectsFor(N);
const SEED = envInt('LOGLAKE_FUZZ_SEED', 1);

let seeds: Map<ParserId, ParserSeeds> | undefined;
beforeAll(async () => {
  seeds = await loadSeeds();
});
const seedsOf = (id: ParserId): ParserSeeds => {
  const s = seeds?.get(id);
  if (s === undefined) throw new Error(`no seeds for ${id}`);
  return s;
};

describe('fuzzing every registered parser', () => {
  for (const parser of PARSERS) {
    describe(parser.id, () => {
      it('has sample records to mutate (add a sample under samples/ for a new parser)', () => {
        expect(seedsOf(parser.id).records.length).toBeGreaterThan(0);
      });

      it(`${N} mutated lines/records: nothing thrown by parser, validator, writer or framer; results in the closed vocabularies; no frame over 50 ms`, async () => {
        const s = await fuzzFrames(seedsOf(parser.id), N, SEED);
        const report = `${formatFrameStats(s)}\n${formatFindings(s.findings)}`;
        expect(s.inputs).toBe(N);
        expect(s.records, report).toBeGreaterThan(0);
        expect(
          {
            parserExceptions: s.parserExceptions,
            validatorExceptions: s.validatorExceptions,
            writerExceptions: s.writerExceptions,
            framerExceptions: s.framerExceptions,
            contractViolations: s.contractViolations,
            slowFrames: s.slowConfirmed,
          },
          report,
        ).toEqual({ parserExceptions: 0, validatorExceptions: 0, writerExceptions: 0, framerExceptions: 0, contractViolations: 0, slowFrames: 0 });
      });

      it('special frames: the framer keeps a 10 MB line and JSON nested 10,000 levels from the parser; what it lets through does not throw', () => {
        const results = specialFrames(seedsOf(parser.id));
        const report = formatSpecialFrames(results);
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) {
          expect(r.framed, `${r.name}\n${report}`).toBe(r.expectFramed);
          if (r.reachable) expect(r.threw, `${r.name}\n${report}`).toBeNull();
        }
        // A 10 MB line is refused by the framer, but the parser itself must not throw on one either.
        const huge = results.find((r) => r.name === '10 MB line');
        expect(huge?.threw ?? null, report).toBeNull();
      });

      it(`${OBJECTS} mutated objects and the special objects through processObject: nothing escapes, counts reconcile, damage costs only the records it touches`, async () => {
        const s = await fuzzObjects(seedsOf(parser.id), { objects: OBJECTS, seed: SEED, specialDocs: 1 });
        const report = `${formatObjectStats(s)}\n${formatFindings(s.findings)}`;
        expect(s.objects, report).toBeGreaterThan(OBJECTS);
        expect(
          { escaped: s.escaped, reconcileFailures: s.reconcileFailures, localityFailures: s.localityFailures, specialFailures: s.specialFailures },
          report,
        ).toEqual({ escaped: 0, reconcileFailures: 0, localityFailures: 0, specialFailures: 0 });
      });
    });
  }
});

describe('fuzzing findings, minimal inputs', () => {
  const lake = tempDir('loglake-fuzz-regress-');
  afterAll(() => lake.cleanup());
  const run = async (name: string, bytes: Buffer | string, format: ParserId): Promise<Manifest> => {
    const pin: Pin = { kind: 'pin', format, exact: true };
    return (await runLocal(writeInput(lake.path, `in/${name}`, bytes), `${lake.path}/lake`, { rule: () => pin })).manifest;
  };
  const counts = (m: Manifest): object => ({ status: m.status, records: m.records, rejected: m.rejected_by_reason });

  describe('JSON record framer (pipeline/framing/framing.ts): one damaged byte inside a record of a single-line file costs only that record', () => {
    const item = (s: number): string => `{"configurationItemCaptureTime":"2024-03-05T10:15:0${s}.000Z","resourceType":"AWS::S3::Bucket","configurationItemStatus":"OK"}`;
    const snapshot = `{"fileVersion":"1.0","configurationItems":[${item(1)},${item(2)},${item(3)}]}`;
    const event = (s: number): string => `{"eventVersion":"1.08","eventTime":"2024-05-01T10:10:0${s}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1"}`;
    const trail = `{"Records":[${event(1)},${event(2)},${event(3)}]}`;

    it('clean: 3 records each', async () => {
      expect(counts(await run('snapshot-clean.json', snapshot, 'config'))).toEqual({ status: 'ok', records: 3, rejected: {} });
      expect(counts(await run('trail-clean.json', trail, 'cloudtrail'))).toEqual({ status: 'ok', records: 3, rejected: {} });
    });

    it('Config snapshot: the closing quote of a key in item 1 flipped to X keeps items 2 and 3', async () => {
      // `"configurationItemStatus":"OK"}` → `"configurationItemStatusX:"OK"}` in item 1 only.
      const damaged = snapshot.replace('"configurationItemStatus":', '"configurationItemStatusX:');
      expect(damaged.length).toBe(snapshot.length);
      const m = await run('snapshot-flip-quote.json', damaged, 'config');
      // Before the container salvage: 0 records, one truncated_record holding all three items.
      expect({ records: m.records, rejected: m.rejected }).toEqual({ records: 2, rejected: 1 });
    });

    it('CloudTrail log file: the closing quote of a value in event 1 flipped to X keeps events 2 and 3', async () => {
      const damaged = trail.replace('"eu-west-1"}', '"eu-west-1X}');
      const m = await run('trail-flip-quote.json', damaged, 'cloudtrail');
      // Before the container salvage: 0 records, one truncated_record holding all three events.
      expect({ records: m.records, rejected: m.rejected }).toEqual({ records: 2, rejected: 1 });
    });

    it('CloudTrail log file: the closing brace of event 1 flipped to | keeps events 2 and 3', async () => {
      const at = trail.indexOf('"eu-west-1"}') + '"eu-west-1"'.length;
      const damaged = `${trail.slice(0, at)}|${trail.slice(at + 1)}`;
      const m = await run('trail-flip-brace.json', damaged, 'cloudtrail');
      // Before the container salvage: 0 records, one invalid_json frame holding all three events.
      expect({ records: m.records, rejected: m.rejected }).toEqual({ records: 2, rejected: 1 });
    });
  });

  it('an account id of 1,000 characters names no file (pipeline/run/identity.ts): the record lands under "unknown"', async () => {
    const event = `{"eventVersion":"1.08","eventTime":"2024-05-01T10:10:01Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","recipientAccountId":"${'1'.repeat(1000)}"}`;
    const m = await run('long-account.json', `{"Records":[${event}]}`, 'cloudtrail');
    // Before: ENAMETOOLONG escaped from the writer and the object had no manifest.
    expect(counts(m)).toEqual({ status: 'ok', records: 1, rejected: {} });
    expect(m.outputs.map((o) => o.key.split('/').pop()?.split('_')[0])).toEqual(['unknown']);
  });

  describe('damaged compression (pipeline/decode/decompress.ts, run/process-object.ts, framing/csv-framer.ts)', () => {
    it('garbage after a complete gzip member does not cost the last line when it has no final newline', async () => {
      const line = (readFileSync(`${SAMPLES_DIR}alb/layouts.log`, 'utf8').split('\n')[0] as string).trimEnd();
      expect(counts(await run('alb-one-line.log.gz', gzipSync(line), 'alb'))).toEqual({ status: 'ok', records: 1, rejected: {} });
      const m = await run('alb-one-line-garbage.log.gz', Buffer.concat([gzipSync(line), Buffer.from('garbage!')]), 'alb');
      // Today: damaged (corrupt_gzip), 0 records, the whole decoded line rejected as damaged_input.
      expect(m.records).toBe(1);
    });

    it('a CSV quote left open when the gzip stream breaks costs only its own row, as at a clean end', async () => {
      const csv =
        'identity/LineItemId,lineItem/UsageStartDate,lineItem/UnblendedCost\n' +
        'A,2024-05-01T00:00:00Z,1\nB,2024-05-01T00:00:00Z,"2\nC,2024-05-01T00:00:00Z,3\nD,2024-05-01T00:00:00Z,4\n';
      expect(counts(await run('cur-open-quote.csv', csv, 'billing-cur'))).toEqual({ status: 'ok', records: 3, rejected: { unterminated_quote: 1 } });
      // Every byte of the text decodes; only the gzip trailer is cut.
      const gz = gzipSync(csv);
      const m = await run('cur-open-quote-trailer-cut.csv.gz', gz.subarray(0, gz.byteLength - 4), 'billing-cur');
      // Today: damaged (truncated_gzip), 1 record (A); B, C and D are one damaged_input frame.
      expect(m.records).toBe(3);
    });
  });

  describe('billing-dbr (parsers/billing-dbr.ts): a damaged line item costs the totals row after it', () => {
    it('in a zip whose entry name carries the month, the InvoiceTotal row is kept when the line item before it is damaged', async () => {
      const header = '"InvoiceID","PayerAccountId","LinkedAccountId","RecordType","RecordId","ProductName","UsageType","Operation","AvailabilityZone","ItemDescription","UsageStartDate","UsageEndDate","UsageQuantity","BlendedCost","UnBlendedCost"';
      const item = '"Estimated","123456789012","345678901234","LineItem","30000000000412349001","Amazon Route 53","HostedZone","","","$0.50 per Hosted Zone","2019-06-01 00:00:00","2019-06-30 23:59:59","1.0000000000","0.5000000000","0.5000000000"';
      const total = '"Estimated","123456789012","","InvoiceTotal","","","","","","Total amount for invoice Estimated","","","","0.5000000000","0.5000000000"';
      const entry = '123456789012-aws-billing-detailed-line-items-with-resources-and-tags-2019-06.csv';
      const zip = (text: string): Buffer => Buffer.from(zipSync({ [entry]: Buffer.from(text) }));
      expect(counts(await run('dbr-clean.csv.zip', zip(`${header}\n${item}\n${total}\n`), 'billing-dbr'))).toEqual({ status: 'ok', records: 2, rejected: {} });
      // One byte of the line item's UsageStartDate changed: 2019-06-01 → 2019-0G-01.
      const m = await run('dbr-damaged-item.csv.zip', zip(`${header}\n${item.replace('"2019-06-01 00:00:00"', '"2019-0G-01 00:00:00"')}\n${total}\n`), 'billing-dbr');
      // Today: 0 records, bad_timestamp for the line item and no_event_time for the total.
      expect(counts(m)).toEqual({ status: 'ok', records: 1, rejected: { bad_timestamp: 1 } });
    });
  });
});
