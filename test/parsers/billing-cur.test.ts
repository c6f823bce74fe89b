import { describe, expect, it } from 'vitest';
import { artifact, manifest, parser, snakeColumn, type CurState } from '../../parsers/billing-cur.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';

/** Parses a header row then data rows as the pipeline would, one context for the object. */
function parseRows(rows: readonly (readonly string[])[]): ParseResult[] {
  const ctx: ParseContext<CurState> = { object: 's3://b/cur/acme/20240301-20240401/acme-1.csv.gz', ordinal: 0, state: parser.createState?.() as CurState };
  return rows.map((cells, i) => {
    ctx.ordinal = i + 1;
    if (parser.header(cells, ctx.state)) return { ok: 'skip', reason: 'header' };
    return parser.parse(cells, ctx);
  });
}

const HEADER = [
  'identity/LineItemId',
  'identity/TimeInterval',
  'bill/PayerAccountId',
  'bill/BillingPeriodStartDate',
  'lineItem/UsageAccountId',
  'lineItem/LineItemType',
  'lineItem/UsageStartDate',
  'lineItem/ProductCode',
  'lineItem/Operation',
  'lineItem/AvailabilityZone',
  'lineItem/ResourceId',
  'lineItem/UsageAmount',
  'lineItem/CurrencyCode',
  'lineItem/UnblendedCost',
  'lineItem/BlendedCost',
  'product/region',
  'resourceTags/user:Team',
  'resourceTags/aws:createdBy',
];
const ROW = ['li-1', '2024-03-04T10:00:00Z/2024-03-04T11:00:00Z', '111122223333', '2024-03-01T00:00:00Z', '444455556666', 'Usage', '2024-03-04T10:00:00Z', 'AmazonEC2', 'RunInstances', 'eu-west-1a', 'i-0abc', '1', 'USD', '0.107', '0.1', 'eu-west-1', 'payments', 'IAMUser:AIDA:deploy'];
const set = (row: readonly string[], column: string, value: string): string[] => row.map((v, i) => (HEADER[i] === column ? value : v));

function only(result: ParseResult | undefined): NonNullable<Extract<ParseResult, { ok: true }>['record']> {
  if (result?.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(result)}`);
  return result.record;
}

describe('CUR parser', () => {
  it('consumes the header row as a header skip', () => {
    expect(parseRows([HEADER])).toEqual([{ ok: 'skip', reason: 'header' }]);
  });

  it('maps a usage line item to the common columns, unblended cost as amount', () => {
    const r = only(parseRows([HEADER, ROW])[1]);
    expect(r).toMatchObject({
      time: Date.UTC(2024, 2, 4, 10),
      category: 'cost_usage',
      account_id: '444455556666',
      region: 'eu-west-1',
      action: 'RunInstances',
      resource: 'i-0abc',
      resource_type: 'AmazonEC2',
      request_id: 'li-1',
      amount: 0.107,
      quantity: 1,
      currency: 'USD',
      outcome: 'unknown',
    });
  });

  it('normalizes tag columns to user:Team / aws:createdBy and keeps every other non-empty column in fields', () => {
    const r = only(parseRows([HEADER, set(ROW, 'resourceTags/aws:createdBy', '')])[1]);
    expect(r.tags).toEqual({ 'user:Team': 'payments' });
    expect(r.fields).toEqual({
      'identity/TimeInterval': '2024-03-04T10:00:00Z/2024-03-04T11:00:00Z',
      'bill/PayerAccountId': '111122223333',
      'bill/BillingPeriodStartDate': '2024-03-01T00:00:00Z',
      'lineItem/LineItemType': 'Usage',
      'lineItem/AvailabilityZone': 'eu-west-1a',
      'lineItem/BlendedCost': '0.1',
      record_type: 'line_item',
    });
  });

  it('reads the Athena-style snake_case spelling of the same columns', () => {
    expect(snakeColumn('lineItem/UsageStartDate')).toBe('line_item_usage_start_date');
    expect(snakeColumn('identity/LineItemId')).toBe('identity_line_item_id');
    const header = HEADER.map((h) => (h.startsWith('resourceTags/') ? `resource_tags_${h.slice(13).replace(':', '_').toLowerCase()}` : snakeColumn(h)));
    const r = only(parseRows([header, ROW])[1]);
    expect(r).toMatchObject({ time: Date.UTC(2024, 2, 4, 10), amount: 0.107, account_id: '444455556666', request_id: 'li-1', region: 'eu-west-1' });
    expect(r.tags).toEqual({ 'user:team': 'payments', 'aws:createdby': 'IAMUser:AIDA:deploy' });
  });

  it('finds columns by name whatever their order', () => {
    const order = HEADER.map((_, i) => i).reverse();
    const r = only(parseRows([order.map((i) => HEADER[i] as string), order.map((i) => ROW[i] as string)])[1]);
    expect(r).toMatchObject({ amount: 0.107, resource: 'i-0abc', tags: { 'user:Team': 'payments' } });
  });

  it('dates a row without a usage start by its time interval, then by the start of its billing period', () => {
    const noStart = set(ROW, 'lineItem/UsageStartDate', '');
    expect(only(parseRows([HEADER, noStart])[1]).time).toBe(Date.UTC(2024, 2, 4, 10));
    expect(only(parseRows([HEADER, set(noStart, 'identity/TimeInterval', '')])[1]).time).toBe(Date.UTC(2024, 2, 1));
  });

  it('takes the region from the availability zone when product/region is empty, and the payer when the usage account is', () => {
    const r = only(parseRows([HEADER, set(set(set(ROW, 'product/region', ''), 'lineItem/AvailabilityZone', 'us-gov-west-1b'), 'lineItem/UsageAccountId', '')])[1]);
    expect(r).toMatchObject({ region: 'us-gov-west-1', account_id: '111122223333' });
  });

  it('rejects a row with too few or too many cells as field_count_mismatch', () => {
    const results = parseRows([HEADER, ROW.slice(0, -1), [...ROW, 'extra']]);
    expect(results[1]).toEqual({ ok: false, reason: 'field_count_mismatch', detail: `expected ${HEADER.length} cells as in the header, got ${HEADER.length - 1}` });
    expect(results[2]).toMatchObject({ ok: false, reason: 'field_count_mismatch' });
  });

  it('rejects unreadable times and amounts, and rows with no time at all', () => {
    const noTime = set(set(set(ROW, 'lineItem/UsageStartDate', ''), 'identity/TimeInterval', ''), 'bill/BillingPeriodStartDate', '');
    const results = parseRows([HEADER, set(ROW, 'lineItem/UsageStartDate', '03/04/2024'), set(ROW, 'lineItem/UnblendedCost', '1,5'), set(ROW, 'lineItem/UsageAmount', 'n/a'), noTime]);
    expect(results.slice(1).map((r) => (r.ok === false ? r.reason : r.ok))).toEqual(['bad_timestamp', 'bad_number', 'bad_number', 'no_event_time']);
  });

  it('rejects every row of a file whose first row is not a CUR header, naming what it expected', () => {
    const results = parseRows([['a', 'b'], ['1', '2']]);
    expect(results.map((r) => (r.ok === false ? r.reason : r.ok))).toEqual(['missing_field', 'missing_field']);
  });

  it('routes CUR data files, manifests and helper files by key', () => {
    expect(routeByKey('reports/acme-cur/20240301-20240401/5e2b9c1d/acme-cur-1.csv.gz')).toMatchObject({ kind: 'parse', parser: { id: 'billing-cur', framing: 'csv' } });
    expect(routeByKey('reports/acme-cur/20240301-20240401/acme-cur-00001.csv.zip')).toMatchObject({ kind: 'parse', parser: { id: 'billing-cur' } });
    expect(routeByKey('reports/acme-cur/20240301-20240401/acme-cur-Manifest.json')).toEqual({ kind: 'ignore', name: manifest.name, by: 'key' });
    expect(routeByKey('reports/acme-cur/20240301-20240401/5e2b9c1d/acme-cur-Manifest.json')).toEqual({ kind: 'ignore', name: manifest.name, by: 'key' });
    expect(routeByKey('reports/acme-cur/20240301-20240401/5e2b9c1d/acme-cur-RedshiftCommands.sql')).toEqual({ kind: 'ignore', name: artifact.name, by: 'key' });
    expect(routeByKey('reports/acme-cur/20240301-20240401/5e2b9c1d/other-1.csv.gz')).toBeNull();
  });

  it('recognizes a CUR header and a manifest by content', () => {
    expect(routeByContent(`${HEADER.join(',')}\n${ROW.join(',')}\n`)).toMatchObject({ kind: 'parse', parser: { id: 'billing-cur', description: parser.description } });
    expect(routeByContent('{"assemblyId":"5e2b","account":"1","columns":[{"category":"identity","name":"LineItemId"}]')).toEqual({ kind: 'ignore', name: manifest.name, by: 'content' });
    expect(parser.sniff('InvoiceID,PayerAccountId,RecordType')).toBe(false);
  });
});
