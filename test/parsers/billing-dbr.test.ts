import { describe, expect, it } from 'vitest';
import { parser, type DbrState } from '../../parsers/billing-dbr.js';
import { recordTypeOf, tagKeyOf } from '../../parsers/shared/billing-common.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';

const NAME = '123456789012-aws-billing-detailed-line-items-with-resources-and-tags-2019-06.csv.zip';

function parseRows(rows: readonly (readonly string[])[], object = `s3://billing/${NAME}`): ParseResult[] {
  const ctx: ParseContext<DbrState> = { object, ordinal: 0, state: parser.createState?.() as DbrState };
  return rows.map((cells, i) => {
    ctx.ordinal = i + 1;
    if (parser.header(cells, ctx.state)) return { ok: 'skip', reason: 'header' };
    return parser.parse(cells, ctx);
  });
}

const HEADER = ['InvoiceID', 'PayerAccountId', 'LinkedAccountId', 'RecordType', 'RecordId', 'ProductName', 'RateId', 'SubscriptionId', 'PricingPlanId', 'UsageType', 'Operation', 'AvailabilityZone', 'ReservedInstance', 'ItemDescription', 'UsageStartDate', 'UsageEndDate', 'UsageQuantity', 'BlendedRate', 'BlendedCost', 'UnBlendedRate', 'UnBlendedCost', 'ResourceId', 'aws:createdBy', 'user:Team'];
const ITEM = ['Estimated', '123456789012', '210987654321', 'LineItem', '30000000000412345678', 'Amazon Elastic Compute Cloud', '1', '2', '3', 'BoxUsage:t3.medium', 'RunInstances', 'eu-west-1a', 'N', '$0.0456 per On Demand Linux t3.medium Instance Hour', '2019-06-03 10:00:00', '2019-06-03 11:00:00', '1.0000000000', '0.0400000000', '0.0400000000', '0.0456000000', '0.0456000000', 'i-0abc', 'IAMUser:AIDA:deploy', 'payments'];
const total = (type: string, linked = ''): string[] => ['Estimated', '123456789012', linked, type, '', '', '', '', '', '', '', '', '', `${type} row`, '', '', '', '', '9.9900000000', '', '9.9900000000', '', '', ''];

function only(result: ParseResult | undefined): NonNullable<Extract<ParseResult, { ok: true }>['record']> {
  if (result?.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(result)}`);
  return result.record;
}

describe('DBR parser', () => {
  it('maps a line item: usage start, unblended cost as amount (blended in fields), linked account, tags', () => {
    const r = only(parseRows([HEADER, ITEM])[1]);
    expect(r).toMatchObject({
      time: Date.UTC(2019, 5, 3, 10),
      category: 'cost_usage',
      account_id: '210987654321',
      region: 'eu-west-1',
      action: 'RunInstances',
      resource: 'i-0abc',
      resource_type: 'Amazon Elastic Compute Cloud',
      request_id: '30000000000412345678',
      amount: 0.0456,
      quantity: 1,
      currency: null,
      tags: { 'aws:createdBy': 'IAMUser:AIDA:deploy', 'user:Team': 'payments' },
    });
    expect(r.fields).toMatchObject({ BlendedCost: '0.0400000000', BlendedRate: '0.0400000000', UnBlendedRate: '0.0456000000', RecordType: 'LineItem', record_type: 'line_item', PayerAccountId: '123456789012' });
    for (const mapped of ['UsageStartDate', 'UnBlendedCost', 'UsageQuantity', 'LinkedAccountId', 'Operation', 'ResourceId', 'ProductName', 'RecordId', 'user:Team']) {
      expect(r.fields).not.toHaveProperty(mapped);
    }
  });

  it('keeps totals and rounding rows, classed in fields.record_type and dated at the start of the month in the file name', () => {
    const results = parseRows([HEADER, total('Rounding'), total('AccountTotal', '210987654321'), total('InvoiceTotal'), total('StatementTotal')]);
    expect(results.slice(1).map((r) => only(r).fields?.record_type)).toEqual(['rounding', 'total', 'total', 'total']);
    for (const r of results.slice(1)) expect(only(r).time).toBe(Date.UTC(2019, 5, 1));
    expect(only(results[1])).toMatchObject({ account_id: '123456789012', amount: 9.99 });
    expect(only(results[2]).account_id).toBe('210987654321');
  });

  it('dates totals by the month of earlier line items when the file name has none', () => {
    const results = parseRows([HEADER, ITEM, total('InvoiceTotal')], '/tmp/dbr.csv');
    expect(only(results[2]).time).toBe(Date.UTC(2019, 5, 1));
    expect(parseRows([HEADER, total('InvoiceTotal')], '/tmp/dbr.csv')[1]).toMatchObject({ ok: false, reason: 'no_event_time' });
  });

  it('dates totals by a line item that was itself rejected, and ignores an implausible year', () => {
    const badCost = ITEM.map((v, i) => (i === 20 ? 'n/a' : v));
    const results = parseRows([HEADER, badCost, total('InvoiceTotal')], '/tmp/dbr.csv');
    expect(results[1]).toMatchObject({ ok: false, reason: 'bad_number' });
    expect(only(results[2]).time).toBe(Date.UTC(2019, 5, 1));
    const farFuture = ITEM.map((v, i) => (i === 14 ? '9999-12-31 23:00:00' : v));
    expect(parseRows([HEADER, farFuture, ITEM, total('InvoiceTotal')], '/tmp/dbr.csv').map((r) => (r.ok === true ? r.record.time : null))[3]).toBe(Date.UTC(2019, 5, 1));
  });

  it('learns the month in the header hook alone, so a resumed run that replays only that hook dates totals the same', () => {
    const state = parser.createState?.() as DbrState;
    parser.header(HEADER, state);
    expect(parser.header(ITEM, state)).toBe(false);
    const ctx: ParseContext<DbrState> = { object: '/tmp/dbr.csv', ordinal: 3, state };
    expect(only(parser.parse(total('InvoiceTotal'), ctx)).time).toBe(Date.UTC(2019, 5, 1));
  });

  it('reads the single-account layout with Rate and Cost', () => {
    const header = ['InvoiceID', 'PayerAccountId', 'LinkedAccountId', 'RecordType', 'ProductName', 'UsageType', 'Operation', 'AvailabilityZone', 'ItemDescription', 'UsageStartDate', 'UsageEndDate', 'UsageQuantity', 'Rate', 'Cost'];
    const row = ['Estimated', '123456789012', '', 'LineItem', 'Amazon Simple Storage Service', 'TimedStorage-ByteHrs', 'StandardStorage', '', 'storage', '2013-02-01 00:00:00', '2013-02-01 01:00:00', '0.5', '0.095', '0.0475'];
    expect(only(parseRows([header, row])[1])).toMatchObject({ amount: 0.0475, quantity: 0.5, account_id: '123456789012', region: null });
  });

  it('rejects rows with a different cell count, bad numbers and bad times', () => {
    const bad = (i: number, v: string): string[] => ITEM.map((c, j) => (j === i ? v : c));
    const results = parseRows([HEADER, ITEM.slice(0, 10), bad(20, 'abc'), bad(14, '2019-13-40 00:00:00')]);
    expect(results.slice(1).map((r) => (r.ok === false ? r.reason : r.ok))).toEqual(['field_count_mismatch', 'bad_number', 'bad_timestamp']);
  });

  it('rejects rows under a header that is not a DBR header', () => {
    expect(parseRows([['a', 'b']])[0]).toMatchObject({ ok: false, reason: 'missing_field' });
  });

  it('routes DBR zips by key and by their quoted header', () => {
    expect(routeByKey(`billing/${NAME}`)).toMatchObject({ kind: 'parse', parser: { id: 'billing-dbr', description: parser.description } });
    expect(routeByKey('123456789012-aws-billing-detailed-line-items-2016-01.csv.zip')).toMatchObject({ kind: 'parse', parser: { description: parser.description } });
    expect(routeByContent(`\uFEFF${HEADER.map((h) => `"${h}"`).join(',')}\r\n`)).toMatchObject({ kind: 'parse', parser: { description: parser.description } });
  });
});

describe('billing tag keys and row classes', () => {
  it('spells a tag the same way for DBR, CUR and Athena-style CUR columns', () => {
    expect(tagKeyOf('user:Team')).toBe('user:Team');
    expect(tagKeyOf('resourceTags/user:Team')).toBe('user:Team');
    expect(tagKeyOf('resourceTags/aws:createdBy')).toBe('aws:createdBy');
    expect(tagKeyOf('resource_tags_user_team')).toBe('user:team');
    expect(tagKeyOf('lineItem/UsageType')).toBeNull();
    expect(tagKeyOf('noTags/user:app')).toBeNull();
  });

  it('classes DBR record types into line items, rounding and totals', () => {
    expect(['LineItem', 'PayerLineItem', 'LinkedLineItem', 'Rounding', 'InvoiceTotal', 'StatementTotal', 'AccountTotal'].map(recordTypeOf)).toEqual([
      'line_item',
      'line_item',
      'line_item',
      'rounding',
      'total',
      'total',
      'total',
    ]);
  });
});
