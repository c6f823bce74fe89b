/**
 * VPC Flow Logs and Transit Gateway Flow Logs delivered to S3 as text: gzipped files, a header
 * line naming the fields in the order the flow log was configured with, then one space-separated
 * line per flow record; `-` where a field does not apply.
 *
 * Format: https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html and
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html. The field set and order come
 * from each file's header line (a concatenated file may switch); a file without one is read with
 * the default format (the 14 version-2 fields). Every documented field of versions 2–8 is known,
 * Transit Gateway's included; a field the header names that this version does not know is kept
 * in `fields` under its name and counted as schema drift. Transit Gateway flow logs are the same
 * objects under the same keys (`vpcflowlogs`), told apart only by their header, so one parser
 * reads both. The mapping itself is `vpcflow-record.ts` (`flowRecord`), shared with readers of
 * Parquet-delivered flow logs. Mapping: docs/formats/vpcflow.md.
 */
import { DASH, controlCharAt, describeControl } from './shared/access-log.js';
import { isIPv6 } from './shared/ip.js';
import type { JsonParser, ParseContext, ParseResult, LineParser } from './types.js';
import { DEFAULT_FLOW_FIELDS, NO_DEFAULTS, PLAIN, finishFlow, flow, flowRecord, isKnownFlowField, resetFlow, roleOf, takeTyped, type FlowDefaults } from './vpcflow-record.js';

export { DEFAULT_FLOW_FIELDS, FLOW_FIELD_NAMES, FLOW_FIELD_VERSIONS, NO_DEFAULTS, flowRecord, isKnownFlowField, protocolName, type FlowDefaults } from './vpcflow-record.js';

/**
 * Per-object state: the field list of the last header line (from `header()` only) and a memo of
 * what the object's name says (`keyFacts` of `ctx.object`, a pure function of the name, the same
 * in every run and hand-over of the object).
 */
export interface VpcFlowState {
  names: readonly string[];
  /** The role of each column in `vpcflow-record.ts` (`PLAIN`: to `fields` under its name). */
  roles: Uint8Array;
  /** The header names a field this parser version does not know (schema drift). */
  unknownNames: boolean;
  /** The fields are the default format's, in its order: `parseDefaultLine` reads the line. */
  standard: boolean;
  /** `ctx.object` the memo below was computed for. */
  object: string | null;
  key: FlowDefaults;
}

/** State for a field list. */
export function stateFor(names: readonly string[]): VpcFlowState {
  const roles = new Uint8Array(names.length);
  for (let i = 0; i < names.length; i++) roles[i] = roleOf(names[i] as string);
  const standard = names.length === DEFAULT_FLOW_FIELDS.length && names.every((n, i) => n === DEFAULT_FLOW_FIELDS[i]);
  return { names, roles, unknownNames: names.some((n) => !isKnownFlowField(n)), standard, object: null, key: NO_DEFAULTS };
}

/** Account and region of both S3 layouts: `AWSLogs/<account>/vpcflowlogs/<region>/` and the Hive-compatible one. */
const KEY_ACCOUNT_REGION = /(?:^|\/)AWSLogs\/(?:(\d{12})\/vpcflowlogs\/([a-z0-9-]+)|aws-account-id=(\d{12})\/(?:aws-)?service=vpcflowlogs\/aws-region=([a-z0-9-]+))\//;
/** The delivery time of an AWS file name: `<account>_vpcflowlogs_<region>_<flow-log-id>_YYYYMMDDTHHmmZ_<hash>.log.gz`. */
const KEY_TIME = /(?:^|\/)\d{12}_vpcflowlogs_[a-z0-9-]+_[^_/]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^_/]+\.log(?:\.gz|\.parquet)?(?:\?versionId=.*)?$/;

/**
 * What an object's name says about its records: account and region of its folder, and the time
 * in its file name (the start of the 5 minutes its records end in). Unknown parts are null / NaN.
 */
export function keyFacts(object: string): FlowDefaults {
  const ar = KEY_ACCOUNT_REGION.exec(object);
  const t = KEY_TIME.exec(object);
  const timeMs = t === null ? NaN : Date.UTC(Number(t[1]), Number(t[2]) - 1, Number(t[3]), Number(t[4]), Number(t[5]));
  return {
    account: ar === null ? null : ((ar[1] ?? ar[3]) as string),
    region: ar === null ? null : ((ar[2] ?? ar[4]) as string),
    timeMs,
  };
}

/** True for text shaped like a field name: lowercase letters, digits and inner hyphens. */
function nameShaped(token: string): boolean {
  const n = token.length;
  if (n === 0) return false;
  const first = token.charCodeAt(0);
  if (first < 97 || first > 122 || token.charCodeAt(n - 1) === 45) return false;
  for (let i = 1; i < n; i++) {
    const c = token.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
  }
  return true;
}

/**
 * The field names of a header line, or null when the line is not one: every token shaped like a
 * field name and at least `minKnown` of them documented fields. No data value is a field name
 * (values are numbers, ids with digits, addresses, `-`, upper-case words), and a data line of a
 * format that starts with an id (`eni-…`) fails at its first number.
 */
export function headerNames(line: string, minKnown = 1): string[] | null {
  const start = line.charCodeAt(0) === 0xfeff ? 1 : 0;
  const first = line.charCodeAt(start);
  if (first < 97 || first > 122) return null;
  const names: string[] = [];
  let known = 0;
  for (const token of line.slice(start).split(' ')) {
    if (token === '') continue;
    if (!nameShaped(token)) return null;
    if (isKnownFlowField(token)) known++;
    names.push(token);
  }
  return known >= minKnown ? names : null;
}

/** One default-format (version 2) data line, the first line of a file delivered without its header. */
const DEFAULT_LINE = /^\d{1,2} (?:\d{12}|unknown|-) \S+ \S+ \S+ (?:\d{1,5}|-) (?:\d{1,5}|-) (?:\d{1,3}|-) (?:\d+|-) (?:\d+|-) \d{9,11} \d{9,11} (?:ACCEPT|REJECT|-) (?:OK|NODATA|SKIPDATA)$/;

/** The columns of the last line split; module scratch, refilled by every call. */
const cols: string[] = [];

/** Splits at spaces (a run of spaces is one separator) into `cols`; returns the count. */
function splitColumns(line: string): number {
  const n = line.length;
  let count = 0;
  let i = 0;
  while (i < n) {
    if (line.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let end = line.indexOf(' ', i);
    if (end < 0) end = n;
    cols[count++] = line.slice(i, end);
    i = end + 1;
  }
  return count;
}

/**
 * The default-format fast path. Nearly every line of a default-format file is plain: 14 columns,
 * numbers in canonical form, addresses that are addresses, the documented words. `fastDefault`
 * reads such a line in one pass over its characters — numbers parsed in place, the columns that
 * become numbers or known words never sliced, the account and interface ids of the line before
 * reused when they repeat, `fields` stored under fixed names in a fixed order (one V8 shape; see
 * alb.ts) — and gives exactly the record the generic path gives it. Anything else (a `-` where
 * the fast path expects a value it types, a leading zero, a raw control character, a value out of
 * range, a word it does not know, a column too many or too few) returns null, and the generic
 * path (`controlCharAt`, `splitColumns`, `takeTyped`) reads the line and gives its rejection or
 * its odd record. test/parsers/vpcflow.test.ts checks the two paths agree line by line.
 */

/** Cursor of the fast path over the current line; module scratch. */
let at = 0;

/** Skips the spaces before the next column; false at the end of the line. */
function nextColumn(line: string, n: number): boolean {
  while (at < n && line.charCodeAt(at) === 32) at++;
  return at < n;
}

/** True when the column at the cursor is AWS's `-` (and steps over it). */
function dash(line: string, n: number): boolean {
  if (line.charCodeAt(at) === 45 && (at + 1 === n || line.charCodeAt(at + 1) === 32)) {
    at++;
    return true;
  }
  return false;
}

/** The canonical unsigned number at the cursor (at most `max` digits), -1 when it is anything else; steps over it. */
function number(line: string, n: number, max: number): number {
  const start = at;
  let v = 0;
  for (; at < n; at++) {
    const d = line.charCodeAt(at) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  const len = at - start;
  if (len === 0 || len > max || (at < n && line.charCodeAt(at) !== 32) || (len > 1 && line.charCodeAt(start) === 48)) return -1;
  return v;
}

/** The end of the column at the cursor, -1 when it holds a raw control character. */
function columnEnd(line: string, n: number): number {
  let i = at;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) break;
    if (c < 32 || c === 127) return -1;
  }
  return i;
}

/**
 * The end of a dotted-quad IPv4 address (no leading zeros) at the cursor, read in place up to the
 * next space; -1 when the column is anything else (an IPv6 address, text, a control character).
 */
function ipv4End(line: string, n: number): number {
  let parts = 0;
  let value = 0;
  let len = 0;
  let i = at;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 46) {
      if (len === 0 || value > 255) return -1;
      parts++;
      value = 0;
      len = 0;
    } else if (c >= 48 && c <= 57 && len < 3 && !(len === 1 && value === 0)) {
      value = value * 10 + (c - 48);
      len++;
    } else if (c === 32) {
      break;
    } else {
      return -1;
    }
  }
  return parts === 3 && len > 0 && value <= 255 ? i : -1;
}

/** The address at the cursor (IPv4 or IPv6), null when it is not one; steps over it. */
function address(line: string, n: number): string | null {
  const s = at;
  let end = ipv4End(line, n);
  if (end >= 0) {
    at = end;
    return line.slice(s, end);
  }
  end = columnEnd(line, n);
  if (end < 0) return null;
  at = end;
  const text = line.slice(s, end);
  return isIPv6(text) ? text : null;
}

/** The text of every number 0–255 (versions, protocols, packet counts), so these cost no slice. */
const SMALL: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** The last account id and interface id read: repeated from line to line, reused instead of sliced again. */
let lastAccount = '';
let lastInterface = '';

function fastDefault(line: string, defaults: FlowDefaults): ParseResult | null {
  const n = line.length;
  at = 0;
  resetFlow();
  const f = flow;
  let version: string | null = null;
  let protocol: string | null = null;
  let packets: string | null = null;
  let status: string | null = null;
  let v: number;
  let s: number;
  // version
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    if ((v = number(line, n, 3)) < 0 || v > 255) return null;
    version = SMALL[v] as string;
  }
  // account-id: 12 digits (anything else, such as `unknown`, takes the generic path)
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    s = at;
    if (!(line.startsWith(lastAccount, s) && lastAccount.length === 12 && (s + 12 === n || line.charCodeAt(s + 12) === 32))) {
      for (let i = s; i < s + 12; i++) {
        const d = line.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) return null;
      }
      if (s + 12 < n && line.charCodeAt(s + 12) !== 32) return null;
      lastAccount = line.slice(s, s + 12);
    }
    at = s + 12;
    f.account = lastAccount;
  }
  // interface-id
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    s = at;
    const end = columnEnd(line, n);
    if (end < 0) return null;
    at = end;
    if (end - s !== lastInterface.length || !line.startsWith(lastInterface, s)) lastInterface = line.slice(s, end);
    f.iface = lastInterface;
  }
  // srcaddr, dstaddr
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && (f.src = address(line, n)) === null) return null;
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && (f.dst = address(line, n)) === null) return null;
  // srcport, dstport
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && ((f.srcPort = number(line, n, 5)) < 0 || f.srcPort > 65535)) return null;
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && ((f.dstPort = number(line, n, 5)) < 0 || f.dstPort > 65535)) return null;
  // protocol
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    if ((v = number(line, n, 3)) < 0 || v > 255) return null;
    f.protocol = v;
    protocol = SMALL[v] as string;
  }
  // packets (kept as written, in fields)
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    s = at;
    if ((v = number(line, n, 15)) < 0) return null;
    packets = v <= 255 ? (SMALL[v] as string) : line.slice(s, at);
  }
  // bytes, start, end
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && (f.bytes = number(line, n, 15)) < 0) return null;
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n) && (f.start = number(line, n, 15)) < 0) return null;
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    if ((f.end = number(line, n, 15)) < 0) return null;
    // An end before the start is kept in fields: the generic path has its text.
    if (f.end < f.start) return null;
  }
  // action
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    if (line.startsWith('ACCEPT', at)) f.action = 'ACCEPT';
    else if (line.startsWith('REJECT', at)) f.action = 'REJECT';
    else return null;
    at += 6;
    if (at < n && line.charCodeAt(at) !== 32) return null;
  }
  // log-status, then nothing but spaces
  if (!nextColumn(line, n)) return null;
  if (!dash(line, n)) {
    if (line.startsWith('OK', at)) status = 'OK';
    else if (line.startsWith('NODATA', at)) status = 'NODATA';
    else if (line.startsWith('SKIPDATA', at)) status = 'SKIPDATA';
    else return null;
    at += status.length;
    f.logStatus = status;
  }
  if (nextColumn(line, n)) return null;
  // The keys in the generic path's order; a plain line has all four, made in one literal.
  let fields: Record<string, string>;
  if (version !== null && protocol !== null && packets !== null && status !== null) {
    fields = { version, protocol, packets, 'log-status': status };
  } else {
    fields = {};
    if (version !== null) fields.version = version;
    if (protocol !== null) fields.protocol = protocol;
    if (packets !== null) fields.packets = packets;
    if (status !== null) fields['log-status'] = status;
  }
  return finishFlow(fields, defaults);
}

/** What the object's name says, computed once per object. */
function defaultsOf(state: VpcFlowState, object: string): FlowDefaults {
  if (state.object !== object) {
    state.object = object;
    state.key = keyFacts(object);
  }
  return state.key;
}

/** Parses one flow log line with the object's current field list. */
export function parseFlowLine(line: string, state: VpcFlowState, defaults: FlowDefaults): ParseResult {
  if (state.standard) {
    const fast = fastDefault(line, defaults);
    if (fast !== null) return fast;
  }
  const cc = controlCharAt(line);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  const count = splitColumns(line);
  const names = state.names;
  if (count !== names.length) {
    if (count === 0) return { ok: false, reason: 'field_count_mismatch', detail: 'a line of spaces only' };
    const expected = names === DEFAULT_FLOW_FIELDS ? `no header line was seen, so the default format's ${names.length} are expected` : `this file's header lists ${names.length}`;
    return { ok: false, reason: 'field_count_mismatch', detail: `${count} fields, ${expected}` };
  }
  const roles = state.roles;
  resetFlow();
  const fields: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const value = cols[i] as string;
    if (value === DASH) continue;
    const role = roles[i] as number;
    if (role === PLAIN) {
      fields[names[i] as string] = value;
      continue;
    }
    const rejected = takeTyped(role, names[i] as string, value, fields);
    if (rejected !== null) return rejected;
  }
  return finishFlow(fields, defaults);
}

/** VPC and Transit Gateway flow logs, text delivery to S3. */
export const parser: LineParser<VpcFlowState> = {
  id: 'vpcflow',
  source: 'vpcflow',
  version: 1,
  framing: 'lines',
  description: 'VPC Flow Logs and Transit Gateway Flow Logs (S3 text delivery, any custom format, versions 2–8)',
  docsUrl: 'https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html',
  keyPatterns: [
    /(^|\/)AWSLogs\/\d{12}\/vpcflowlogs\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\/(\d{2}\/)?\d{12}_vpcflowlogs_[a-z0-9-]+_[^_/]+_\d{8}T\d{4}Z_[^_/]+\.log(\.gz)?$/,
    /(^|\/)AWSLogs\/aws-account-id=\d{12}\/(aws-)?service=vpcflowlogs\/aws-region=[a-z0-9-]+\/year=\d{4}\/month=\d{2}\/day=\d{2}\/(hour=\d{2}\/)?\d{12}_vpcflowlogs_[a-z0-9-]+_[^_/]+_\d{8}T\d{4}Z_[^_/]+\.log(\.gz)?$/,
  ],
  keyExample:
    '[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz or [prefix/]AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/month=MM/day=DD/[hour=HH/]<same file name>',
  sniff(head: string): boolean {
    const nl = head.indexOf('\n');
    let first = nl < 0 ? head : head.slice(0, nl);
    if (first.endsWith('\r')) first = first.slice(0, -1);
    // A header of at least two documented fields (one name alone is too likely in other text),
    // or a data line of the default format.
    const names = headerNames(first, 2);
    if (names !== null) return names.filter(isKnownFlowField).length * 2 >= names.length;
    return DEFAULT_LINE.test(first);
  },
  createState(): VpcFlowState {
    return stateFor(DEFAULT_FLOW_FIELDS);
  },
  header(line: string, state: VpcFlowState): boolean {
    const names = headerNames(line);
    if (names === null) return false;
    const next = stateFor(names);
    state.names = next.names;
    state.roles = next.roles;
    state.unknownNames = next.unknownNames;
    state.standard = next.standard;
    return true;
  },
  parse(line: string, ctx: ParseContext<VpcFlowState>): ParseResult {
    // A context built by hand (tests) may come without state: the default format's.
    const state = (ctx.state ??= stateFor(DEFAULT_FLOW_FIELDS));
    const result = parseFlowLine(line, state, defaultsOf(state, ctx.object));
    if (result.ok === true && state.unknownNames) ctx.drift = (ctx.drift ?? 0) + 1;
    return result;
  },
};

/** The flow log field a Parquet column holds: the field name with `_` for `-` (`log_status`). */
const fieldOfColumn = (column: string): string => column.replaceAll('_', '-');

/** A Parquet cell as the text a flow log line would hold; null when absent. */
function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** Key patterns of Parquet deliveries: the text ones with `.log.parquet` for `.log.gz`. */
const PARQUET_KEYS = parser.keyPatterns.map((re) => new RegExp(re.source.replace(String.raw`\.log(\.gz)?$`, String.raw`\.log\.parquet$`)));

/**
 * VPC and Transit Gateway flow logs delivered as Parquet (`FileFormat: parquet`). The pipeline
 * reads each row as one JSON object (`pipeline/decode/parquet-rows.ts`), whose columns are the
 * field names with underscores; the row is mapped exactly as a text line with those fields.
 */
/**
 * Per-object cache of the Parquet parser: what the column list and the object name give, computed
 * again only when they change (every row of a file has the same columns). Results depend on the
 * row alone, so a hand-over needs nothing from `header()`.
 */
export interface ParquetRowState {
  columns: readonly string[];
  /** Field names of `columns`, and the column of each name. */
  names: readonly string[];
  columnOf: ReadonlyMap<string, string>;
  unknownNames: boolean;
  object: string | null;
  key: FlowDefaults;
}

const sameColumns = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((c, i) => c === b[i]);

export const parquetParser: JsonParser<ParquetRowState> = {
  id: 'vpcflow-parquet',
  source: 'vpcflow',
  version: 1,
  framing: 'json-records',
  containerKeys: [],
  description: 'VPC Flow Logs and Transit Gateway Flow Logs delivered as Parquet (any field set)',
  docsUrl: 'https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html',
  keyPatterns: PARQUET_KEYS,
  keyExample: '[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.parquet (or the Hive-compatible layout)',
  sniff(head: string): boolean {
    // The first row of a Parquet delivery as the pipeline renders it.
    return head.startsWith('{"') && head.includes('"srcaddr":') && (head.includes('"interface_id":') || head.includes('"log_status":') || head.includes('"tgw_attachment_id":'));
  },
  createState(): ParquetRowState {
    return { columns: [], names: [], columnOf: new Map(), unknownNames: false, object: null, key: NO_DEFAULTS };
  },
  parse(value: unknown, ctx: ParseContext<ParquetRowState>): ParseResult {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not_an_object', detail: 'a Parquet flow log row is not an object' };
    const row = value as Record<string, unknown>;
    const st = (ctx.state ??= parquetParser.createState?.() as ParquetRowState);
    const columns = Object.keys(row);
    if (!sameColumns(st.columns, columns)) {
      st.columns = columns;
      st.names = columns.map(fieldOfColumn);
      st.columnOf = new Map(st.names.map((n, i) => [n, columns[i] as string]));
      st.unknownNames = st.names.some((n) => !isKnownFlowField(n));
    }
    if (st.object !== ctx.object) {
      st.object = ctx.object;
      st.key = keyFacts(ctx.object);
    }
    const columnOf = st.columnOf;
    const result = flowRecord((name) => cellText(row[columnOf.get(name) as string]), st.names, st.key);
    if (result.ok === true && st.unknownNames) ctx.drift = (ctx.drift ?? 0) + 1;
    return result;
  },
};
