/**
 * The Config and CUR files of the shared corpus, read in place: snapshot, history and example
 * configuration items through the real pipeline, SNS and e-mail notifications through
 * `configNotificationWork`, CUR CSVs through the pipeline with values checked against an
 * independent whole-file read (csv-parse's sync API, JSON.parse).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { configNotificationWork } from '../../parsers/config-notification.js';
import { LakeQuery, type QueryRow } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { CORPUS, corpusMissingReason, corpusPresent, ingestCorpusFiles, requireCorpusInCi } from '../helpers/corpus.js';

type Json = Record<string, unknown>;
const skipped = corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`;
const sql = (s: string): string => `'${s.replaceAll("'", "''")}'`;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function rowsOf(q: LakeQuery, path: string, columns: string): Promise<QueryRow[]> {
  return (await q.rows(`SELECT ${columns} FROM events WHERE object = ${sql(path)} ORDER BY ordinal`)).rows;
}

/** The configuration items of a corpus file as JSON.parse sees them, or null when it is not valid JSON. */
function referenceItems(path: string): Json[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
  const list = Array.isArray(doc) ? doc : [doc];
  return list.flatMap((d: Json) => (Array.isArray(d.configurationItems) ? (d.configurationItems as Json[]) : d.configurationItem !== undefined ? [d.configurationItem as Json] : [d]));
}

describe.skipIf(!corpusPresent)(`AWS Config conformance corpus${skipped}`, () => {
  const dir = join(CORPUS, 'config');
  const files = corpusPresent
    ? [
        ...readdirSync(dir).filter((f) => f.endsWith('.json') && !f.includes('_sns-')),
        ...readdirSync(join(dir, 'rdk-example_ci')).map((f) => join('rdk-example_ci', f)),
      ].sort()
    : [];
  const lake = ingestCorpusFiles(dir, files, 'loglake-conformance-config-');
  const manifests = lake.manifests;

  it('covers the snapshot, the history file and every example item', () => {
    expect(files.filter((f) => f.startsWith('rdk-example_ci/'))).toHaveLength(80);
    expect(files).toContain('awsdocs-archive_configuration-snapshot.json');
    expect(files).toContain('awsdocs-archive_configuration-history.json');
  });

  for (const f of files) {
    it(`${f}: every configuration item becomes a record or a clear rejection, values match the source`, async () => {
      const m = manifests.get(f) as Manifest;
      expect(m.status).toBe('ok');
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      const items = referenceItems(join(dir, f));
      if (items === null) {
        // Invalid upstream (FORMATS/SOURCES): whatever is readable is kept, the rest is rejected with a reason.
        for (const reason of Object.keys(m.rejected_by_reason)) expect(['invalid_json', 'truncated_record']).toContain(reason);
        expect(m.records + m.rejected).toBeGreaterThan(0);
        return;
      }
      // Some example items carry a Python repr as capture time ("datetime.datetime(2020, 4, …)"): rejected, not guessed.
      const usable = items.filter((ci) => typeof ci.configurationItemCaptureTime === 'string' && ISO.test(ci.configurationItemCaptureTime));
      expect(m).toMatchObject({ records: usable.length, rejected: items.length - usable.length });
      if (m.rejected > 0) expect(Object.keys(m.rejected_by_reason)).toEqual(['bad_timestamp']);
      const rows = await rowsOf(lake.query(), join(dir, f), 'epoch_ms(time) AS t, resource, resource_type, account_id, region, status, tags');
      rows.forEach((row, i) => {
        const ci = usable[i] as Json;
        const capture = ci.configurationItemCaptureTime as string;
        expect(Number(row.t)).toBe(Date.parse(capture));
        expect(row.resource).toBe(ci.ARN ?? ci.arn ?? ci.resourceId);
        expect(row.resource_type).toBe(ci.resourceType);
        expect(row.account_id).toBe(ci.awsAccountId ?? ci.accountId);
        expect(row.status).toBe(ci.configurationItemStatus ?? null);
        if (typeof ci.awsRegion === 'string') expect(row.region).toBe(ci.awsRegion);
        const tags = Object.entries((ci.tags ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value }));
        expect(row.tags ?? []).toEqual(tags);
      });
    });
  }

  it('the email-format and SNS-format notifications decode to the work they announce', () => {
    const work = (name: string): ReturnType<typeof configNotificationWork> => {
      const text = readFileSync(join(dir, name), 'utf8');
      // E-mail bodies put a human preamble before the JSON; the JSON part is what SNS carries.
      return configNotificationWork(JSON.parse(name.endsWith('.txt') ? text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1) : text));
    };
    expect(work('awsdocs-archive_sns-ConfigurationSnapshotDeliveryCompleted.json')).toEqual({
      kind: 'objects',
      refs: [{ bucket: 'config-bucket-123456789012-ohio', key: 'AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigSnapshot/123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz' }],
    });
    expect(work('awsdocs-archive_sns-ConfigurationHistoryDeliveryCompleted.json')).toMatchObject({ kind: 'objects', refs: [{ bucket: 'config-bucket-123456789012-ohio' }] });
    expect(work('awsdocs-archive_email-OversizedConfigurationItemChangeNotification.txt')).toMatchObject({ kind: 'objects', refs: [{ bucket: 'my-bucket', key: expect.stringMatching(/^AWSLogs\/123456789012\/Config\/us-west-2\/2016\/10\/6\/OversizedChangeNotification\//) }] });
    expect(work('awsdocs-archive_sns-ConfigurationSnapshotDeliveryStarted.json')).toEqual({ kind: 'ignore', reason: 'ConfigurationSnapshotDeliveryStarted' });
    expect(work('awsdocs-archive_sns-ComplianceChangeNotification.json')).toEqual({ kind: 'ignore', reason: 'ComplianceChangeNotification' });
    // The file name says history; its body is the delivery failure of an oversized change.
    expect(work('awsdocs-archive_email-ConfigurationHistoryDeliveryFailed.txt')).toEqual({ kind: 'ignore', reason: 'OversizedConfigurationItemChangeDeliveryFailed' });
    for (const name of readdirSync(dir).filter((n) => n.includes('ConfigurationItemChangeNotification-'))) {
      const message = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { Message: { configurationItem: Json | Json[]; configurationItemDiff: { changeType?: string } } };
      const items = [message.Message.configurationItem].flat();
      const w = work(name);
      expect(w.kind, name).toBe('records');
      if (w.kind !== 'records') continue;
      expect(w.records.map((r) => r.record.resource_type)).toEqual(items.map((ci) => ci.resourceType));
      for (const r of w.records) expect(r.record.action).toBe(message.Message.configurationItemDiff.changeType);
    }
  });
});

describe.skipIf(!corpusPresent)(`Cost and Usage Report conformance corpus${skipped}`, () => {
  const dir = join(CORPUS, 'billing-cur');
  const files = corpusPresent ? readdirSync(dir).sort() : [];
  const lake = ingestCorpusFiles(dir, files, 'loglake-conformance-cur-');
  const manifests = lake.manifests;

  /** The rows of a corpus CSV as csv-parse's whole-file reader sees them. */
  const reference = (f: string): Json[] => parseCsv(readFileSync(join(dir, f.replace(/\.gz$/, ''))), { columns: true, relax_column_count: true, bom: true }) as Json[];
  const col = (row: Json, slash: string, snake: string): string => ((row[slash] ?? row[snake] ?? '') as string);

  it('covers every CUR file of the corpus', () => {
    expect(files).toEqual(['koku_2022-07-01-alt-columns.csv', 'koku_2023-06-01.csv', 'koku_empty_frame.csv', 'koku_test_cur.csv', 'koku_test_cur.csv.gz']);
  });

  for (const f of ['koku_2022-07-01-alt-columns.csv', 'koku_2023-06-01.csv']) {
    it(`${f}: every row becomes a record whose values match an independent read`, async () => {
      const m = manifests.get(f) as Manifest;
      const ref = reference(f);
      expect(m).toMatchObject({ status: 'ok', records: ref.length, rejected: 0, skipped: 1, lines_in: ref.length + 1 });
      const rows = await rowsOf(lake.query(), join(dir, f), 'epoch_ms(time) AS t, amount, quantity, currency, account_id, request_id, resource, resource_type, tags, fields');
      rows.forEach((row, i) => {
        const r = ref[i] as Json;
        const start = col(r, 'lineItem/UsageStartDate', 'line_item_usage_start_date').replace(' ', 'T');
        expect(Number(row.t)).toBe(Date.parse(/Z$/.test(start) ? start : `${start}Z`));
        expect(row.amount).toBe(Number(col(r, 'lineItem/UnblendedCost', 'line_item_unblended_cost')));
        expect(row.quantity).toBe(Number(col(r, 'lineItem/UsageAmount', 'line_item_usage_amount')));
        expect(row.currency).toBe(col(r, 'lineItem/CurrencyCode', 'line_item_currency_code'));
        expect(row.account_id).toBe(col(r, 'lineItem/UsageAccountId', 'line_item_usage_account_id'));
        expect(row.request_id).toBe(col(r, 'identity/LineItemId', 'identity_line_item_id'));
        expect(row.resource).toBe(col(r, 'lineItem/ResourceId', 'line_item_resource_id'));
        expect(row.resource_type).toBe(col(r, 'lineItem/ProductCode', 'line_item_product_code'));
        const fields = new Map((row.fields as Array<{ key: string; value: string }>).map((e) => [e.key, e.value]));
        expect(fields.get('record_type')).toBe('line_item');
        expect(fields.get('lineItem/BlendedCost') ?? fields.get('line_item_blended_cost')).toBe(col(r, 'lineItem/BlendedCost', 'line_item_blended_cost'));
      });
    });
  }

  it('koku_2022-07-01-alt-columns.csv: the Athena-style tag column becomes aws:created_by; quoted commas stay in their cell', async () => {
    const rows = await rowsOf(lake.query(), join(dir, 'koku_2022-07-01-alt-columns.csv'), 'tags, fields');
    expect(rows[0]?.tags).toEqual([{ key: 'aws:created_by', value: 'IAMUser:fake:and' }]);
    expect((rows[0]?.fields as Array<{ key: string; value: string }>).find((e) => e.key === 'line_item_legal_entity')?.value).toBe('Red Hat, Inc.');
  });

  it('koku_2023-06-01.csv: noTags/* columns are ordinary fields, not tags; the currency is NOK', async () => {
    const rows = await rowsOf(lake.query(), join(dir, 'koku_2023-06-01.csv'), 'tags, currency, fields');
    for (const row of rows) {
      expect(row.tags ?? []).toEqual([]);
      expect(row.currency).toBe('NOK');
      expect((row.fields as Array<{ key: string }>).map((e) => e.key)).toContain('noTags/user:app');
    }
  });

  it('koku_empty_frame.csv: a header-only report is an empty, successful object', () => {
    expect(manifests.get('koku_empty_frame.csv')).toMatchObject({ status: 'ok', lines_in: 1, records: 0, rejected: 0, skipped: 1 });
  });

  for (const f of ['koku_test_cur.csv', 'koku_test_cur.csv.gz']) {
    it(`${f}: rows one cell short of the 131-column header are rejected as field_count_mismatch, none lost`, () => {
      expect(manifests.get(f)).toMatchObject({ status: 'ok', lines_in: 20, records: 0, rejected: 19, skipped: 1, rejected_by_reason: { field_count_mismatch: 19 } });
    });
  }

  it('koku_test_cur.csv: CRLF rows keep no carriage return in their raw text', async () => {
    const raws = (await lake.query().rows(`SELECT raw FROM errors WHERE object = ${sql(join(dir, 'koku_test_cur.csv'))}`)).rows;
    expect(raws).toHaveLength(19);
    for (const r of raws) expect(r.raw as string).not.toMatch(/\r/);
  });
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
