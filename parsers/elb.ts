/**
 * Classic Load Balancer access logs: one space-separated line per request (HTTP/HTTPS
 * listeners) or per connection (TCP/SSL listeners), plain text, 5- or 60-minute files.
 *
 * Format: https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html
 * Supports the 2014 layout (12 fields, ending at `request`) and the 2015 one that adds
 * `user_agent`, `ssl_cipher` and `ssl_protocol`; TCP/SSL lines carry `-` statuses and the
 * request `"- - - "`. Mapping to the common schema: docs/formats/elb.md.
 */
import type { EventFields } from '../schema/index.js';
import {
  DASH,
  badNumber,
  ELB_CONTROL_PREFIX,
  canonicalUnsigned,
  countTrailingDrift,
  decimal,
  elbLogKey,
  httpOutcome,
  positionalName,
  present,
  processingMs,
  screenLine,
  splitRequest,
  unsigned,
} from './shared/access-log.js';
import { splitHostPort } from './shared/ip.js';
import { parseIsoUtc } from './shared/time.js';
import { Tokens } from './shared/tokenizer.js';
import type { ParseContext, ParseResult, LineParser } from './types.js';

/** Field names in line order, as the AWS documentation names them. */
export const ELB_FIELDS = [
  'time',
  'elb',
  'client:port',
  'backend:port',
  'request_processing_time',
  'backend_processing_time',
  'response_processing_time',
  'elb_status_code',
  'backend_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
] as const;

/** The 2014 layout ends at `request`. */
const MIN_FIELDS = 12;
const I_CLIENT = 2;
const I_BACKEND = 3;
const I_ELB_STATUS = 7;
const I_RECEIVED = 9;
const I_SENT = 10;
const I_REQUEST = 11;
const I_USER_AGENT = 12;

const tokens = new Tokens();

/** Parses one Classic Load Balancer access-log line. */
export function parseElbLine(line: string): ParseResult {
  if (line.startsWith(ELB_CONTROL_PREFIX)) return { ok: 'skip', reason: 'control' };
  const rejected = screenLine(line, tokens);
  if (rejected !== null) return rejected;
  const v = tokens.values;
  const n = tokens.count;
  const first = (v[0] as string).charCodeAt(0);
  if (!(first >= 48 && first <= 57)) {
    return { ok: false, reason: 'unknown_format', detail: `a Classic ELB line starts with its time, found ${JSON.stringify((v[0] as string).slice(0, 40))}` };
  }
  if (n < MIN_FIELDS) return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, a Classic ELB line has at least ${MIN_FIELDS}` };
  const timeText = v[0] as string;
  const time = parseIsoUtc(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `time ${JSON.stringify(timeText.slice(0, 40))} is not ISO-8601 UTC` };

  const rp = decimal(v[4] as string);
  if (Number.isNaN(rp)) return badNumber('request_processing_time', v[4] as string);
  const bp = decimal(v[5] as string);
  if (Number.isNaN(bp)) return badNumber('backend_processing_time', v[5] as string);
  const sp = decimal(v[6] as string);
  if (Number.isNaN(sp)) return badNumber('response_processing_time', v[6] as string);
  const statusText = v[I_ELB_STATUS] as string;
  const status = statusText === DASH ? NaN : unsigned(statusText);
  if (statusText !== DASH && Number.isNaN(status)) return badNumber('elb_status_code', statusText);
  const backendStatus = v[8] as string;
  if (backendStatus !== DASH && Number.isNaN(unsigned(backendStatus))) return badNumber('backend_status_code', backendStatus);
  const receivedText = v[I_RECEIVED] as string;
  const received = receivedText === DASH ? null : unsigned(receivedText);
  if (received !== null && Number.isNaN(received)) return badNumber('received_bytes', receivedText);
  const sentText = v[I_SENT] as string;
  const sent = sentText === DASH ? null : unsigned(sentText);
  if (sent !== null && Number.isNaN(sent)) return badNumber('sent_bytes', sentText);

  const client = splitHostPort(v[I_CLIENT] as string);
  const backendText = v[I_BACKEND] as string;
  const backend = backendText === DASH ? null : splitHostPort(backendText);
  // TCP/SSL listeners log `"- - - "`: trailing spaces are part of AWS's placeholder.
  const request = (v[I_REQUEST] as string).trimEnd();
  const parts = request === DASH ? null : splitRequest(request);
  // Named stores in a fixed order keep these objects in a few shared V8 shapes (see alb.ts).
  const fields: Record<string, string> = {};
  let x: string;
  if (present((x = v[1] as string))) fields.elb = x;
  if (client === null && present((x = v[I_CLIENT] as string))) fields['client:port'] = x;
  if (backend === null && present(backendText)) fields['backend:port'] = backendText;
  fields.request_processing_time = v[4] as string;
  fields.backend_processing_time = v[5] as string;
  fields.response_processing_time = v[6] as string;
  if (present(backendStatus)) fields.backend_status_code = backendStatus;
  if (received !== null && !canonicalUnsigned(receivedText)) fields.received_bytes = receivedText;
  if (sent !== null && !canonicalUnsigned(sentText)) fields.sent_bytes = sentText;
  if (parts !== null) {
    if (present(parts.protocol)) fields.request_protocol = parts.protocol;
  } else if (present(request)) {
    fields.request = request;
  }
  if (n > 13) {
    if (present((x = v[13] as string))) fields.ssl_cipher = x;
    if (n > 14 && present((x = v[14] as string))) fields.ssl_protocol = x;
    for (let i = ELB_FIELDS.length; i < n; i++) if (present((x = v[i] as string))) fields[positionalName(i)] = x;
  }

  const userAgent = n > I_USER_AGENT ? (v[I_USER_AGENT] as string) : DASH;
  const record: EventFields = {
    time,
    category: 'http_activity',
    action: parts !== null && parts.method !== DASH ? parts.method : null,
    resource: parts !== null && parts.url !== DASH ? parts.url : null,
    src_ip: client?.ip ?? null,
    src_port: client?.port ?? null,
    dst_ip: backend?.ip ?? null,
    dst_port: backend?.port ?? null,
    user_agent: present(userAgent) ? userAgent : null,
    status: statusText === DASH ? null : statusText,
    outcome: httpOutcome(status),
    bytes_in: received,
    bytes_out: sent,
    duration_ms: processingMs(rp, bp, sp),
    fields,
  };
  return { ok: true, record };
}

/** Classic Load Balancer access logs. */
export const parser: LineParser = {
  id: 'elb',
  source: 'elb',
  version: 1,
  framing: 'lines',
  description: 'Classic Load Balancer access logs (HTTP/HTTPS and TCP/SSL listeners)',
  docsUrl: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html',
  // Classic load balancer names are letters, digits and hyphens: `app.` and `net.` never match.
  keyPatterns: [elbLogKey('[A-Za-z0-9-]+_\\d{8}T\\d{4}Z_[^_/]+_[^_/]+')],
  keyExample: 'AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/<account>_elasticloadbalancing_<region>_<lb-name>_<end-time>_<ip>_<random>.log',
  sniff(head: string): boolean {
    if (head.startsWith(ELB_CONTROL_PREFIX)) return /^Enable AccessLog for ELB: [A-Za-z0-9-]+ /.test(head);
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z [A-Za-z0-9-]+ [0-9A-Fa-f.:[\]]+:\d+ (-|[0-9A-Fa-f.:[\]]+:\d+) -?[\d.]+ -?[\d.]+ -?[\d.]+ /.test(head);
  },
  parse(frame: string, ctx: ParseContext): ParseResult {
    return countTrailingDrift(parseElbLine(frame), tokens, ELB_FIELDS.length, ctx);
  },
};
