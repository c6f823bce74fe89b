/**
 * AWS Cost and Usage Reports (CUR, "legacy CUR"): CSV with a `category/Column` header
 * (`identity/LineItemId`, `lineItem/UnblendedCost`, `resourceTags/user:Team`, …), gzipped or
 * zipped, one file or several per report version.
 *
 * Format: https://docs.aws.amazon.com/cur/latest/userguide/data-dictionary.html
 * The column set and order change per report and month, so every column is found by its header
 * name, never by position. The Athena-style snake_case spelling (`line_item_unblended_cost`)
 * maps to the same columns. CUR 2.0 (Data Exports) and Parquet reports are not read here.
 */
import type { EventFields } from '../schema/index.js';
import { FIELD, RECORD_TYPE_FIELD, TAG, TYPED_COLUMN, amountOf, cell, cellOrNull, indexHeader, reportTime, tagKeyOf } from './shared/billing-common.js';
import { regionOfZone } from './shared/region.js';
import type { CsvParser, Ignorable, ParseContext, ParseResult } from './types.js';

/** `lineItem/UsageStartDate` → `line_item_usage_start_date`, the spelling of Athena-integrated reports. */
export function snakeColumn(name: string): string {
  return name
    .replace(/\//g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

const COLUMNS = {
  time: 'lineItem/UsageStartDate',
  interval: 'identity/TimeInterval',
  period: 'bill/BillingPeriodStartDate',
  cost: 'lineItem/UnblendedCost',
  quantity: 'lineItem/UsageAmount',
  currency: 'lineItem/CurrencyCode',
  account: 'lineItem/UsageAccountId',
  payer: 'bill/PayerAccountId',
  operation: 'lineItem/Operation',
  resource: 'lineItem/ResourceId',
  product: 'lineItem/ProductCode',
  region: 'product/region',
  zone: 'lineItem/AvailabilityZone',
  id: 'identity/LineItemId',
} as const;
type Role = keyof typeof COLUMNS;

/** Columns whose value lands in a typed column, so it is not repeated in `fields`. */
const TYPED: readonly Role[] = ['time', 'cost', 'quantity', 'currency', 'account', 'operation', 'resource', 'product', 'region', 'id'];

interface CurHeader {
  readonly width: number;
  readonly names: readonly string[];
  /** Per column: `FIELD`, `TYPED_COLUMN` or `TAG`. */
  readonly kinds: Uint8Array;
  /** Per column: its normalized tag key, for `TAG` columns. */
  readonly tagKeys: readonly (string | null)[];
  readonly at: Readonly<Record<Role, number>>;
}

/** Per-object state: the header of the current file (a zip entry restarts it). */
export interface CurState {
  header: CurHeader | null;
}

function buildHeader(cells: readonly string[]): CurHeader | null {
  const index = indexHeader(cells, snakeColumn);
  const at = {} as Record<Role, number>;
  for (const role of Object.keys(COLUMNS) as Role[]) at[role] = index.get(snakeColumn(COLUMNS[role])) ?? -1;
  if (at.time < 0 && at.interval < 0 && at.period < 0) return null;
  const kinds = new Uint8Array(cells.length);
  const tagKeys = cells.map((name) => tagKeyOf(name));
  for (let i = 0; i < cells.length; i++) kinds[i] = tagKeys[i] !== null ? TAG : FIELD;
  for (const role of TYPED) if (at[role] >= 0) kinds[at[role]] = TYPED_COLUMN;
  return { width: cells.length, names: cells, kinds, tagKeys, at };
}

const HEADER_COLUMN = /(?:^|[,"])(?:identity\/LineItemId|lineItem\/UsageStartDate|bill\/BillingPeriodStartDate|identity_line_item_id|line_item_usage_start_date|bill_billing_period_start_date)(?:[,"\r\n]|$)/;

function timeOf(cells: readonly string[], at: Readonly<Record<Role, number>>): number | { reason: 'bad_timestamp' | 'no_event_time'; detail: string } {
  const start = cell(cells, at.time);
  if (start !== '') {
    const t = reportTime(start);
    return Number.isNaN(t) ? { reason: 'bad_timestamp', detail: `lineItem/UsageStartDate ${JSON.stringify(start.slice(0, 40))} is not a timestamp` } : t;
  }
  const interval = cell(cells, at.interval);
  if (interval !== '') {
    const slash = interval.indexOf('/');
    const t = reportTime(slash < 0 ? interval : interval.slice(0, slash));
    if (!Number.isNaN(t)) return t;
  }
  // Rows without a usage time belong to their billing period (DESIGN: the central bucket).
  const period = cell(cells, at.period);
  if (period !== '') {
    const t = reportTime(period);
    if (!Number.isNaN(t)) return t;
  }
  return { reason: 'no_event_time', detail: 'lineItem/UsageStartDate, identity/TimeInterval and bill/BillingPeriodStartDate are all empty or invalid' };
}

/** Cost and Usage Report CSV files. */
export const parser: CsvParser<CurState> = {
  id: 'billing-cur',
  source: 'billing',
  version: 1,
  framing: 'csv',
  description: 'AWS Cost and Usage Reports (CUR CSV, gzip or zip; category/Column or snake_case headers)',
  docsUrl: 'https://docs.aws.amazon.com/cur/latest/userguide/data-dictionary.html',
  keyPatterns: [/(?:^|\/)([^/]+)\/\d{8}-\d{8}\/(?:[^/]+\/)?\1-\d+\.csv(?:\.gz|\.zip)?$/],
  keyExample: '<prefix>/<report>/YYYYMMDD-YYYYMMDD/[<assemblyId>/]<report>-<n>.csv.gz',
  sniff(head: string): boolean {
    const nl = head.indexOf('\n');
    return HEADER_COLUMN.test(nl < 0 ? head : head.slice(0, nl));
  },
  createState(): CurState {
    return { header: null };
  },
  header(cells: readonly string[], state: CurState): boolean {
    if (state.header !== null) return false;
    state.header = buildHeader(cells);
    return state.header !== null;
  },
  parse(cells: readonly string[], ctx: ParseContext<CurState>): ParseResult {
    const header = ctx.state.header;
    if (header === null) {
      return { ok: false, reason: 'missing_field', detail: 'expected a CUR header naming lineItem/UsageStartDate, identity/TimeInterval or bill/BillingPeriodStartDate' };
    }
    if (cells.length !== header.width) {
      return { ok: false, reason: 'field_count_mismatch', detail: `expected ${header.width} cells as in the header, got ${cells.length}` };
    }
    const at = header.at;
    const time = timeOf(cells, at);
    if (typeof time !== 'number') return { ok: false, ...time };
    const amount = amountOf(cell(cells, at.cost));
    if (Number.isNaN(amount)) return { ok: false, reason: 'bad_number', detail: `lineItem/UnblendedCost ${JSON.stringify(cell(cells, at.cost).slice(0, 40))} is not a number` };
    const quantity = amountOf(cell(cells, at.quantity));
    if (Number.isNaN(quantity)) return { ok: false, reason: 'bad_number', detail: `lineItem/UsageAmount ${JSON.stringify(cell(cells, at.quantity).slice(0, 40))} is not a number` };

    const fields: Record<string, string> = {};
    const tags: Record<string, string> = {};
    const { kinds, names, tagKeys } = header;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] as string;
      if (v === '') continue;
      const kind = kinds[i];
      if (kind === FIELD) fields[names[i] as string] = v;
      else if (kind === TAG) tags[tagKeys[i] as string] = v;
    }
    fields[RECORD_TYPE_FIELD] = 'line_item';
    const record: EventFields = {
      time,
      category: 'cost_usage',
      account_id: cellOrNull(cells, at.account) ?? cellOrNull(cells, at.payer),
      region: cellOrNull(cells, at.region) ?? regionOfZone(cell(cells, at.zone)),
      action: cellOrNull(cells, at.operation),
      resource: cellOrNull(cells, at.resource),
      resource_type: cellOrNull(cells, at.product),
      outcome: 'unknown',
      request_id: cellOrNull(cells, at.id),
      amount,
      quantity,
      currency: cellOrNull(cells, at.currency),
      tags,
      fields,
    };
    return { ok: true, record };
  },
};

/** CUR manifests: they list a report version's files and columns; read for assembly bookkeeping, never parsed into rows. */
export const manifest: Ignorable = {
  name: 'cur-manifest',
  source: 'billing',
  description: 'Cost and Usage Report manifests (<report>-Manifest.json); recorded, no rows; they complete a report version',
  keyPatterns: [
    /(?:^|\/)([^/]+)\/\d{8}-\d{8}\/(?:[^/]+\/)?\1-Manifest\.json$/,
    /(?:^|\/)([^/]+)\/\1\/year=\d{4}\/month=\d{1,2}\/\1-Manifest\.json$/,
  ],
  keyExample: '<prefix>/<report>/YYYYMMDD-YYYYMMDD/[<assemblyId>/]<report>-Manifest.json',
  sniff(head: string): boolean {
    return /"assemblyId"\s*:/.test(head) && /"(?:reportKeys|billingPeriod|reportId|columns)"\s*:/.test(head);
  },
};

/** The other files AWS delivers beside a CUR: Redshift and Athena helpers. */
export const artifact: Ignorable = {
  name: 'cur-artifact',
  source: 'billing',
  description: 'Cost and Usage Report helper files (Redshift manifest and commands, Athena table SQL, crawler template); no rows',
  keyPatterns: [/(?:^|\/)[^/]+-(?:RedshiftManifest\.json|RedshiftCommands\.sql|create-table\.sql)$/, /(?:^|\/)\d{8}-\d{8}\/crawler-cfn\.yml$/],
  keyExample: '<prefix>/<report>/YYYYMMDD-YYYYMMDD/<assemblyId>/<report>-RedshiftCommands.sql',
  sniff(): boolean {
    return false;
  },
};
