/**
 * AWS Detailed Billing Reports (DBR), with or without resources and tags: a zip holding one
 * fully quoted CSV per month, rewritten by AWS several times a day under the same key.
 *
 * Format: https://docs.aws.amazon.com/cur/latest/userguide/detailed-billing.html
 * Columns are found by header name: the report with resources and tags adds `ResourceId` and
 * one column per activated cost-allocation tag (`user:Team`, `aws:createdBy`); the oldest
 * single-account layout has `Rate`/`Cost` instead of the blended/unblended pairs. Totals and
 * rounding rows (`RecordType`) stay in the data, classed in `fields.record_type`.
 */
import { EARLIEST_EVENT_MS, type EventFields } from '../schema/index.js';
import {
  FIELD,
  RECORD_TYPE_FIELD,
  TAG,
  TYPED_COLUMN,
  amountOf,
  cell,
  cellOrNull,
  indexHeader,
  monthStartIn,
  monthStartOf,
  recordTypeOf,
  reportTime,
  tagKeyOf,
} from './shared/billing-common.js';
import { regionOfZone } from './shared/region.js';
import type { CsvParser, ParseContext, ParseResult } from './types.js';

const COLUMNS = {
  time: 'UsageStartDate',
  cost: 'UnBlendedCost',
  singleCost: 'Cost',
  quantity: 'UsageQuantity',
  account: 'LinkedAccountId',
  payer: 'PayerAccountId',
  operation: 'Operation',
  resource: 'ResourceId',
  product: 'ProductName',
  zone: 'AvailabilityZone',
  recordType: 'RecordType',
  id: 'RecordId',
} as const;
type Role = keyof typeof COLUMNS;

/** Columns whose value lands in a typed column, so it is not repeated in `fields`. */
const TYPED: readonly Role[] = ['time', 'cost', 'singleCost', 'quantity', 'account', 'operation', 'resource', 'product', 'id'];

interface DbrHeader {
  readonly width: number;
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  readonly at: Readonly<Record<Role, number>>;
}

/** A usage time past this is damage, not a billing month (the validator rejects its row anyway). */
const LATEST_PLAUSIBLE_MONTH_MS = Date.UTC(2100, 0, 1);

/** Per-object state: the header of the current file, and the month its line items fall in. */
export interface DbrState {
  header: DbrHeader | null;
  /** Start of the billing month of the first row with a usage time, for totals rows of a file not named by month. */
  month: number | null;
}

function buildHeader(cells: readonly string[]): DbrHeader | null {
  const index = indexHeader(cells, (name) => name);
  const at = {} as Record<Role, number>;
  for (const role of Object.keys(COLUMNS) as Role[]) at[role] = index.get(COLUMNS[role]) ?? -1;
  if (at.time < 0 || at.recordType < 0) return null;
  const kinds = new Uint8Array(cells.length);
  for (let i = 0; i < cells.length; i++) kinds[i] = tagKeyOf(cells[i] as string) !== null ? TAG : FIELD;
  for (const role of TYPED) if (at[role] >= 0) kinds[at[role]] = TYPED_COLUMN;
  return { width: cells.length, names: cells, kinds, at };
}

/** Detailed Billing Report CSV (usually `…-aws-billing-detailed-line-items[-with-resources-and-tags]-YYYY-MM.csv.zip`). */
export const parser: CsvParser<DbrState> = {
  id: 'billing-dbr',
  source: 'billing',
  version: 1,
  framing: 'csv',
  description: 'AWS Detailed Billing Reports (DBR CSV in a zip, with or without resources and tags)',
  docsUrl: 'https://docs.aws.amazon.com/cur/latest/userguide/detailed-billing.html',
  keyPatterns: [/(?:^|\/)\d{12}-aws-billing-detailed-line-items(?:-with-resources-and-tags)?-\d{4}-\d{2}\.csv(?:\.zip|\.gz)?$/],
  keyExample: '<payer>-aws-billing-detailed-line-items-with-resources-and-tags-YYYY-MM.csv.zip',
  sniff(head: string): boolean {
    const nl = head.indexOf('\n');
    const first = nl < 0 ? head : head.slice(0, nl);
    return /(?:^|[,"\uFEFF])InvoiceID[",]/.test(first) && first.includes('RecordType') && first.includes('UsageStartDate');
  },
  createState(): DbrState {
    return { header: null, month: null };
  },
  header(cells: readonly string[], state: DbrState): boolean {
    if (state.header === null) {
      state.header = buildHeader(cells);
      return state.header !== null;
    }
    // The billing month of the file, for its totals rows, from the first row with a plausible
    // usage time, whether or not that row becomes a record. Learnt here, not in parse(), so a
    // resumed run, which replays only this hook, knows it too.
    if (state.month === null) {
      const start = cell(cells, state.header.at.time);
      const time = start === '' ? Number.NaN : reportTime(start);
      if (time >= EARLIEST_EVENT_MS && time < LATEST_PLAUSIBLE_MONTH_MS) state.month = monthStartOf(time);
    }
    return false;
  },
  parse(cells: readonly string[], ctx: ParseContext<DbrState>): ParseResult {
    const state = ctx.state;
    const header = state.header;
    if (header === null) return { ok: false, reason: 'missing_field', detail: 'expected a DBR header naming InvoiceID, RecordType and UsageStartDate' };
    if (cells.length !== header.width) {
      return { ok: false, reason: 'field_count_mismatch', detail: `expected ${header.width} cells as in the header, got ${cells.length}` };
    }
    const at = header.at;
    const start = cell(cells, at.time);
    let time: number;
    if (start !== '') {
      time = reportTime(start);
      if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `UsageStartDate ${JSON.stringify(start.slice(0, 40))} is not a timestamp` };
    } else {
      // Totals and rounding rows have no usage time: they belong to the start of their month.
      // The zip entry is named like the file AWS delivers (…-YYYY-MM.csv) even when the object was renamed.
      const month = monthStartIn(ctx.entry ?? '') ?? monthStartIn(ctx.object) ?? state.month;
      if (month === null) return { ok: false, reason: 'no_event_time', detail: 'UsageStartDate is empty and neither the file name nor an earlier row names the billing month' };
      time = month;
    }
    const costColumn = at.cost >= 0 ? at.cost : at.singleCost;
    const amount = amountOf(cell(cells, costColumn));
    if (Number.isNaN(amount)) return { ok: false, reason: 'bad_number', detail: `${COLUMNS.cost} ${JSON.stringify(cell(cells, costColumn).slice(0, 40))} is not a number` };
    const quantity = amountOf(cell(cells, at.quantity));
    if (Number.isNaN(quantity)) return { ok: false, reason: 'bad_number', detail: `${COLUMNS.quantity} ${JSON.stringify(cell(cells, at.quantity).slice(0, 40))} is not a number` };

    const fields: Record<string, string> = {};
    const tags: Record<string, string> = {};
    const { kinds, names } = header;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] as string;
      if (v === '') continue;
      const kind = kinds[i];
      if (kind === FIELD) fields[names[i] as string] = v;
      else if (kind === TAG) tags[names[i] as string] = v;
    }
    fields[RECORD_TYPE_FIELD] = recordTypeOf(cell(cells, at.recordType));
    const record: EventFields = {
      time,
      category: 'cost_usage',
      account_id: cellOrNull(cells, at.account) ?? cellOrNull(cells, at.payer),
      region: regionOfZone(cell(cells, at.zone)),
      action: cellOrNull(cells, at.operation),
      resource: cellOrNull(cells, at.resource),
      resource_type: cellOrNull(cells, at.product),
      outcome: 'unknown',
      request_id: cellOrNull(cells, at.id),
      amount,
      quantity,
      // The DBR has no currency column: null rather than an assumed one (docs/formats/billing.md).
      currency: null,
      tags,
      fields,
    };
    return { ok: true, record };
  },
};
