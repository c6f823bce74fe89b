/**
 * CloudFront standard (access) logs, legacy S3 delivery: W3C extended log files, gzipped,
 * `#Version` and `#Fields` header lines, then one tab-separated line per request.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
 * The field set is read from each `#Fields` line (files written before 2019 have 19–26 fields,
 * newer ones 33, retired RTMP distributions a different list, and a concatenated file may switch
 * lists midway); a file without one is read with the documented 33 fields. Values are
 * URL-encoded by CloudFront (characters 0–32, 127 and up, and `<>"#%{}|\^~[]`'`): the typed
 * `user_agent` and `resource` are decoded, `fields` keeps CloudFront's text. Mapping:
 * docs/formats/cloudfront.md.
 */
import type { EventFields } from '../schema/index.js';
import { DASH, badNumber, canonicalUnsigned, controlCharAt, decimal, describeControl, httpOutcome, percentDecode, positionalName, present, unsigned } from './shared/access-log.js';
import { isIP } from './shared/ip.js';
import { parseDateTimeUtc } from './shared/time.js';
import type { ParseContext, ParseResult, LineParser } from './types.js';

/** The documented field list of standard logs (33 fields since December 2019). */
export const CLOUDFRONT_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'cs-uri-query',
  'cs(Cookie)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'fle-status',
  'fle-encrypted-fields',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
] as const;

/** What a column feeds; `PLAIN` columns go to `fields` under their W3C name. */
const PLAIN = 0;
const DATE = 1;
const TIME = 2;
const IP = 3;
const PORT = 4;
const ACTION = 5;
const STEM = 6;
const AGENT = 7;
const STATUS = 8;
const BYTES_OUT = 9;
const BYTES_IN = 10;
const TAKEN = 11;
const REQUEST_ID = 12;

/** W3C names of the typed columns; RTMP distributions used `x-event`, `c-user-agent`, `x-cf-status`. */
const ROLE_OF: Readonly<Record<string, number>> = {
  date: DATE,
  time: TIME,
  'c-ip': IP,
  'c-port': PORT,
  'cs-method': ACTION,
  'x-event': ACTION,
  'cs-uri-stem': STEM,
  'cs(User-Agent)': AGENT,
  'c-user-agent': AGENT,
  'sc-status': STATUS,
  'x-cf-status': STATUS,
  'sc-bytes': BYTES_OUT,
  'cs-bytes': BYTES_IN,
  'time-taken': TAKEN,
  'x-edge-request-id': REQUEST_ID,
};

/** Per-object state: the current `#Fields` list and where each typed column sits in it. */
export interface CloudFrontState {
  names: readonly string[];
  roles: Int8Array;
  /** Index of each role's column, -1 when the field list has none. */
  at: Int16Array;
  resultType: number;
  detailedType: number;
  /** Fewer columns than this is a truncated line: the 2015 layout ends at `time-taken` (19). */
  min: number;
  /** The `#Fields` line names a field this parser version does not know (schema drift). */
  unknownNames: boolean;
  /** The list is the documented 33 fields in their order, which `standardFields` stores by name. */
  standard: boolean;
}

/** The field list of retired RTMP (streaming) distributions. */
const RTMP_FIELDS = ['date', 'time', 'x-edge-location', 'c-ip', 'x-event', 'sc-bytes', 'x-cf-status', 'x-cf-client-id', 'cs-uri-stem', 'cs-uri-query', 'c-referrer', 'x-page-url', 'c-user-agent', 'x-sname', 'x-sname-query', 'x-file-ext', 'x-sid'];
const KNOWN_NAMES: ReadonlySet<string> = new Set<string>([...CLOUDFRONT_FIELDS, ...RTMP_FIELDS]);

/** State for a field list. */
export function stateFor(names: readonly string[]): CloudFrontState {
  const roles = new Int8Array(names.length);
  const at = new Int16Array(13).fill(-1);
  for (let i = 0; i < names.length; i++) {
    const role = ROLE_OF[names[i] as string] ?? PLAIN;
    // A list naming the same role twice (cs-method and x-event) maps the first and keeps the rest.
    if (role !== PLAIN && (at[role] as number) < 0) {
      roles[i] = role;
      at[role] = i;
    }
  }
  return {
    unknownNames: names.some((n) => !KNOWN_NAMES.has(n)),
    names,
    roles,
    at,
    resultType: names.indexOf('x-edge-result-type'),
    detailedType: names.indexOf('x-edge-detailed-result-type'),
    min: Math.min(names.length, 19),
    standard: names.length === CLOUDFRONT_FIELDS.length && names.every((n, i) => n === CLOUDFRONT_FIELDS[i]),
  };
}

/**
 * Reads a `#…` header line into `state`: `#Fields:` replaces the field list, other directives
 * (`#Version:`) are consumed as they are. Field names are separated by spaces (some old files
 * use tabs) and lose zero-width characters some RTMP files carry.
 */
export function readHeader(frame: string, state: CloudFrontState): boolean {
  const start = frame.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (frame.charCodeAt(start) !== 35) return false;
  if (frame.startsWith('#Fields:', start)) {
    const names = frame
      .slice(start + 8)
      .split(/[ \t]+/)
      .map((n) => n.replace(/[\u200b\u200c\u200d\ufeff]/g, ''))
      .filter((n) => n !== '');
    Object.assign(state, stateFor(names));
  }
  return true;
}

const cols: string[] = [];

function col(i: number, count: number): string {
  return i >= 0 && i < count ? (cols[i] as string) : DASH;
}

/**
 * `fields` of a line under any `#Fields` list: every column that is there and not already a
 * typed column, under its W3C name. The numbers were validated before, so a number is
 * repeated here only when its text is not the canonical form (leading zeros).
 */
function listedFields(state: CloudFrontState, count: number, ipIsIp: boolean, stem: string | null, agent: string | null): Record<string, string> {
  const names = state.names;
  const roles = state.roles;
  const fields: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const value = cols[i] as string;
    if (value === DASH || value === '') continue;
    switch (i < roles.length ? roles[i] : PLAIN) {
      case DATE:
      case TIME:
      case ACTION:
      case STATUS:
      case REQUEST_ID:
        continue;
      case IP:
        if (ipIsIp) continue;
        break;
      case PORT:
        if (canonicalUnsigned(value)) continue;
        break;
      case STEM:
        if (stem === value) continue;
        break;
      case AGENT:
        if (agent === value) continue;
        break;
      case BYTES_OUT:
        if (canonicalUnsigned(value)) continue;
        break;
      case BYTES_IN:
        if (canonicalUnsigned(value)) continue;
        break;
      default:
        break;
    }
    fields[i < names.length ? (names[i] as string) : positionalName(i)] = value;
  }
  return fields;
}

/**
 * `fields` of a line of the documented 33-field layout (`state.standard`): the generic loop of
 * `parseCloudFrontLine` with every name written out, so the stores are named and in a fixed
 * order, which keeps the objects in shared V8 shapes (see alb.ts). Same keys, values and order
 * as the loop; `count` is at least 19 (`state.min`).
 */
function standardFields(count: number, ipIsIp: boolean, stem: string | null, agent: string | null): Record<string, string> {
  const f: Record<string, string> = {};
  let x: string;
  // Skipped as typed columns: date 0, time 1, cs-method 5, sc-status 8, x-edge-request-id 14.
  if (present((x = cols[2] as string))) f['x-edge-location'] = x;
  if (present((x = cols[3] as string)) && !canonicalUnsigned(x)) f['sc-bytes'] = x;
  if (!ipIsIp && present((x = cols[4] as string))) f['c-ip'] = x;
  if (present((x = cols[6] as string))) f['cs(Host)'] = x;
  if (present((x = cols[7] as string)) && stem !== x) f['cs-uri-stem'] = x;
  if (present((x = cols[9] as string))) f['cs(Referer)'] = x;
  if (present((x = cols[10] as string)) && agent !== x) f['cs(User-Agent)'] = x;
  if (present((x = cols[11] as string))) f['cs-uri-query'] = x;
  if (present((x = cols[12] as string))) f['cs(Cookie)'] = x;
  if (present((x = cols[13] as string))) f['x-edge-result-type'] = x;
  if (present((x = cols[15] as string))) f['x-host-header'] = x;
  if (present((x = cols[16] as string))) f['cs-protocol'] = x;
  if (present((x = cols[17] as string)) && !canonicalUnsigned(x)) f['cs-bytes'] = x;
  if (present((x = cols[18] as string))) f['time-taken'] = x;
  if (count > 19) {
    if (present((x = cols[19] as string))) f['x-forwarded-for'] = x;
    if (count > 20 && present((x = cols[20] as string))) f['ssl-protocol'] = x;
    if (count > 21 && present((x = cols[21] as string))) f['ssl-cipher'] = x;
    if (count > 22 && present((x = cols[22] as string))) f['x-edge-response-result-type'] = x;
    if (count > 23 && present((x = cols[23] as string))) f['cs-protocol-version'] = x;
    if (count > 24 && present((x = cols[24] as string))) f['fle-status'] = x;
    if (count > 25 && present((x = cols[25] as string))) f['fle-encrypted-fields'] = x;
    if (count > 26 && present((x = cols[26] as string)) && !canonicalUnsigned(x)) f['c-port'] = x;
    if (count > 27 && present((x = cols[27] as string))) f['time-to-first-byte'] = x;
    if (count > 28 && present((x = cols[28] as string))) f['x-edge-detailed-result-type'] = x;
    if (count > 29 && present((x = cols[29] as string))) f['sc-content-type'] = x;
    if (count > 30 && present((x = cols[30] as string))) f['sc-content-len'] = x;
    if (count > 31 && present((x = cols[31] as string))) f['sc-range-start'] = x;
    if (count > 32 && present((x = cols[32] as string))) f['sc-range-end'] = x;
    for (let i = CLOUDFRONT_FIELDS.length; i < count; i++) if (present((x = cols[i] as string))) f[positionalName(i)] = x;
  }
  return f;
}

/** Parses one CloudFront data line with the object's current field list. */
export function parseCloudFrontLine(line: string, state: CloudFrontState): ParseResult {
  const cc = controlCharAt(line, true);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  let count = 0;
  let start = 0;
  for (;;) {
    const tab = line.indexOf('\t', start);
    const end = tab < 0 ? line.length : tab;
    let value = line.slice(start, end);
    // RTMP files put a space after every tab.
    if (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32) value = value.trim();
    cols[count++] = value;
    if (tab < 0) break;
    start = tab + 1;
  }
  if (count === 1) return { ok: false, reason: 'unknown_format', detail: 'no tab in the line: CloudFront standard logs are tab-separated' };
  if (count < state.min) return { ok: false, reason: 'field_count_mismatch', detail: `${count} fields, this file's #Fields lists ${state.names.length}` };

  const at = state.at;
  const date = col(at[DATE] as number, count);
  const clock = col(at[TIME] as number, count);
  const time = parseDateTimeUtc(date, clock);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `date and time ${JSON.stringify(`${date} ${clock}`.slice(0, 40))} are not YYYY-MM-DD HH:MM:SS` };

  const statusAt = at[STATUS] as number;
  const statusText = col(statusAt, count);
  const statusNumber = unsigned(statusText);
  // RTMP's x-cf-status is a word (`OK`); only the HTTP status must be a number.
  if (statusText !== DASH && Number.isNaN(statusNumber) && state.names[statusAt] === 'sc-status') return badNumber('sc-status', statusText);
  const outText = col(at[BYTES_OUT] as number, count);
  const bytesOut = outText === DASH ? null : unsigned(outText);
  if (bytesOut !== null && Number.isNaN(bytesOut)) return badNumber('sc-bytes', outText);
  const inText = col(at[BYTES_IN] as number, count);
  const bytesIn = inText === DASH ? null : unsigned(inText);
  if (bytesIn !== null && Number.isNaN(bytesIn)) return badNumber('cs-bytes', inText);
  const portText = col(at[PORT] as number, count);
  const port = portText === DASH ? null : unsigned(portText);
  if (port !== null && (Number.isNaN(port) || port > 65535)) return badNumber('c-port', portText);
  const takenText = col(at[TAKEN] as number, count);
  const taken = takenText === DASH ? null : decimal(takenText);
  if (taken !== null && Number.isNaN(taken)) return badNumber('time-taken', takenText);

  const ipText = col(at[IP] as number, count);
  const ipIsIp = ipText !== DASH && isIP(ipText);
  const stemText = col(at[STEM] as number, count);
  const stem = stemText === DASH ? null : percentDecode(stemText);
  const agentText = col(at[AGENT] as number, count);
  const agent = agentText === DASH ? null : percentDecode(agentText);

  const fields = state.standard ? standardFields(count, ipIsIp, stem, agent) : listedFields(state, count, ipIsIp, stem, agent);

  const action = col(at[ACTION] as number, count);
  const requestId = col(at[REQUEST_ID] as number, count);
  const resultType = col(state.resultType, count);
  const detailed = col(state.detailedType, count);
  const record: EventFields = {
    time,
    category: 'http_activity',
    action: action === DASH ? null : action,
    resource: stem,
    src_ip: ipIsIp ? ipText : null,
    src_port: port,
    user_agent: agent,
    status: statusText === DASH ? null : statusText,
    outcome: httpOutcome(statusNumber),
    error: resultType === 'Error' ? (detailed !== DASH && detailed !== 'Error' ? detailed : 'Error') : null,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    duration_ms: taken === null ? null : Math.round(taken * 1e6) / 1e3,
    request_id: requestId === DASH ? null : requestId,
    fields,
  };
  return { ok: true, record };
}

/** CloudFront standard logs (W3C, tab-separated). */
export const parser: LineParser<CloudFrontState> = {
  id: 'cloudfront',
  source: 'cloudfront',
  version: 1,
  framing: 'lines',
  description: 'CloudFront standard logs (W3C extended format, legacy S3 delivery)',
  docsUrl: 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html',
  keyPatterns: [/(^|\/)E[A-Z0-9]{5,20}\.\d{4}-\d{2}-\d{2}-\d{2}\.[A-Za-z0-9]+(\.gz)?$/],
  keyExample: '[prefix/]<distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz',
  sniff(head: string): boolean {
    const h = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
    if (!h.startsWith('#Version:')) return false;
    const fields = /^#Fields:[^\n]*$/m.exec(h);
    return fields !== null && /\bx-edge-location\b/.test(fields[0]) && /\bc-ip\b/.test(fields[0]);
  },
  createState(): CloudFrontState {
    return stateFor(CLOUDFRONT_FIELDS);
  },
  header(frame: string, state: CloudFrontState): boolean {
    return readHeader(frame, state);
  },
  parse(frame: string, ctx: ParseContext<CloudFrontState>): ParseResult {
    const result = parseCloudFrontLine(frame, ctx.state);
    if (result.ok === true && ctx.state.unknownNames) ctx.drift = (ctx.drift ?? 0) + 1;
    return result;
  },
};
