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
import type { ParseContext, ParseResult, LineParser } from './types.js';
import { DEFAULT_FLOW_FIELDS, NO_DEFAULTS, PLAIN, finishFlow, isKnownFlowField, resetFlow, roleOf, takeTyped, type FlowDefaults } from './vpcflow-record.js';

export { DEFAULT_FLOW_FIELDS, FLOW_FIELD_NAMES, FLOW_FIELD_VERSIONS, flowRecord, isKnownFlowField, protocolName, type FlowDefaults } from './vpcflow-record.js';

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
  /** `ctx.object` the memo below was computed for. */
  object: string | null;
  key: FlowDefaults;
}

/** State for a field list. */
export function stateFor(names: readonly string[]): VpcFlowState {
  const roles = new Uint8Array(names.length);
  for (let i = 0; i < names.length; i++) roles[i] = roleOf(names[i] as string);
  return { names, roles, unknownNames: names.some((n) => !isKnownFlowField(n)), object: null, key: NO_DEFAULTS };
}

/** Account and region of both S3 layouts: `AWSLogs/<account>/vpcflowlogs/<region>/` and the Hive-compatible one. */
const KEY_ACCOUNT_REGION = /(?:^|\/)AWSLogs\/(?:(\d{12})\/vpcflowlogs\/([a-z0-9-]+)|aws-account-id=(\d{12})\/(?:aws-)?service=vpcflowlogs\/aws-region=([a-z0-9-]+))\//;
/** The delivery time of an AWS file name: `<account>_vpcflowlogs_<region>_<flow-log-id>_YYYYMMDDTHHmmZ_<hash>.log.gz`. */
const KEY_TIME = /(?:^|\/)\d{12}_vpcflowlogs_[a-z0-9-]+_[^_/]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^_/]+\.log(?:\.gz)?(?:\?versionId=.*)?$/;

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
