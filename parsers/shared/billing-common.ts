/**
 * What the two billing reports share: tag keys spelled one way, the row classes that keep sums
 * honest, amounts, report timestamps, billing-period starts and header and cell access.
 * (Regions from availability zones are in `region.ts`: Config reads them too.) The Detailed
 * Billing Report and the Cost and Usage Report both land in `source=billing`, so a query over
 * both must find the same tag key and the same `fields.record_type` whichever report a row
 * came from.
 */
import { parseIsoUtc } from './time.js';

/**
 * `fields.record_type`: which rows add up to the bill. `line_item` rows are charges (usage,
 * fees, taxes, credits, refunds, discounts); `rounding` rows are the adjustment that brings
 * their sum to the invoice; `total` rows repeat sums that the other rows already hold.
 */
export type RecordType = 'line_item' | 'rounding' | 'total';

/** `fields` key of the row class; snake_case so it never collides with an AWS column name. */
export const RECORD_TYPE_FIELD = 'record_type';

/** The class of a DBR `RecordType` value (CUR rows are all line items). */
export function recordTypeOf(dbrRecordType: string): RecordType {
  if (dbrRecordType === 'Rounding') return 'rounding';
  // InvoiceTotal, StatementTotal, AccountTotal (and any future *Total) only restate sums.
  if (dbrRecordType.endsWith('Total')) return 'total';
  return 'line_item';
}

/**
 * One spelling of a tag key for both reports: `user:Team`, `aws:createdBy`. The DBR column is
 * already `user:Team`; the CUR column is `resourceTags/user:Team`; Athena-style CUR exports
 * flatten it to `resource_tags_user_team`, which keeps only the lower-cased name. Returns null
 * for a column that is not a tag.
 */
export function tagKeyOf(column: string): string | null {
  if (column.startsWith('user:') || column.startsWith('aws:')) return column;
  if (column.startsWith('resourceTags/')) {
    const key = column.slice('resourceTags/'.length);
    return key.startsWith('user:') || key.startsWith('aws:') ? key : null;
  }
  if (column.startsWith('resource_tags_user_')) return `user:${column.slice('resource_tags_user_'.length)}`;
  if (column.startsWith('resource_tags_aws_')) return `aws:${column.slice('resource_tags_aws_'.length)}`;
  return null;
}

/** A decimal amount, or null for an empty cell; NaN for text that is not a number. */
export function amountOf(cell: string): number | null {
  if (cell === '') return null;
  const v = Number(cell);
  return Number.isFinite(v) ? v : NaN;
}

/** Epoch ms of a report timestamp: ISO-8601 (`2018-06-01T00:00:00Z`) or `YYYY-MM-DD HH:MM:SS[.fff]`. */
export function reportTime(cell: string): number {
  return parseIsoUtc(cell);
}

/**
 * Epoch ms of the first day of the month a DBR file name ends with (`…-2016-03.csv.zip`): the
 * last `-YYYY-MM` of the base name, so folders named by date do not count.
 */
export function monthStartIn(object: string): number | null {
  const query = object.indexOf('?');
  const path = query < 0 ? object : object.slice(0, query);
  const base = path.slice(path.lastIndexOf('/') + 1);
  let found: RegExpExecArray | null = null;
  const re = /-(\d{4})-(\d{2})(?=[.\-_]|$)/g;
  for (let m = re.exec(base); m !== null; m = re.exec(base)) found = m;
  if (found === null) return null;
  const month = Number(found[2]);
  return month >= 1 && month <= 12 ? Date.UTC(Number(found[1]), month - 1, 1) : null;
}

/** Epoch ms of the first day of the month of `time`. */
export function monthStartOf(time: number): number {
  const d = new Date(time);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * Column positions of a header row, looked up by every spelling a column has: the report's own
 * name and, for CUR, the Athena-style snake_case name (`lineItem/UsageStartDate` and
 * `line_item_usage_start_date` are one column).
 */
export function indexHeader(header: readonly string[], spellings: (name: string) => string): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < header.length; i++) {
    const name = header[i] as string;
    if (!index.has(name)) index.set(name, i);
    const alt = spellings(name);
    if (!index.has(alt)) index.set(alt, i);
  }
  return index;
}

/** What a column of a report header feeds: `fields` (by its name), a typed column, or `tags`. */
export const FIELD = 0;
export const TYPED_COLUMN = 1;
export const TAG = 2;

/** The cell at a header position; '' for a column the header lacks (`-1`) or a row too short. */
export function cell(cells: readonly string[], i: number): string {
  return i >= 0 && i < cells.length ? (cells[i] as string) : '';
}

/** The cell at a header position, null when empty or absent. */
export function cellOrNull(cells: readonly string[], i: number): string | null {
  const v = cell(cells, i);
  return v === '' ? null : v;
}
