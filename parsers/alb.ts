/**
 * Application Load Balancer access logs: one space-separated line per request or WebSocket
 * connection, gzipped, five-minute files per load balancer node.
 *
 * Format: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
 * Supports every documented field through `classification_reason` (2020), `conn_trace_id`
 * (2024) and `transformed_host` / `transformed_uri` / `request_transform_status` (2025); lines
 * from 2016 on (18 fields and more) are valid, and fields AWS appends later are kept under
 * positional names. Mapping to the common schema: docs/formats/alb.md.
 */
import type { EventFields } from '../schema/index.js';
import {
  DASH,
  ELB_CONTROL_PREFIX,
  arnAccountRegion,
  badNumber,
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
export const ALB_FIELDS = [
  'type',
  'time',
  'elb',
  'client:port',
  'target:port',
  'request_processing_time',
  'target_processing_time',
  'response_processing_time',
  'elb_status_code',
  'target_status_code',
  'received_bytes',
  'sent_bytes',
  'request',
  'user_agent',
  'ssl_cipher',
  'ssl_protocol',
  'target_group_arn',
  'trace_id',
  'domain_name',
  'chosen_cert_arn',
  'matched_rule_priority',
  'request_creation_time',
  'actions_executed',
  'redirect_url',
  'error_reason',
  'target:port_list',
  'target_status_code_list',
  'classification',
  'classification_reason',
  'conn_trace_id',
  'transformed_host',
  'transformed_uri',
  'request_transform_status',
] as const;

/** The 2016 layout ends at `trace_id`: fewer fields than that is a truncated line. */
const MIN_FIELDS = 18;
const TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);
/** Indexes that feed typed columns directly and so are not repeated in `fields`. */
const I_TIME = 1;
const I_CLIENT = 3;
const I_TARGET = 4;
const I_ELB_STATUS = 8;
const I_RECEIVED = 10;
const I_SENT = 11;
const I_REQUEST = 12;
const I_USER_AGENT = 13;
const I_TRACE = 17;
const I_ERROR = 24;

const tokens = new Tokens();

/** Parses one ALB access-log line. */
export function parseAlbLine(line: string): ParseResult {
  if (line.startsWith(ELB_CONTROL_PREFIX)) return { ok: 'skip', reason: 'control' };
  const rejected = screenLine(line, tokens);
  if (rejected !== null) return rejected;
  const v = tokens.values;
  const n = tokens.count;
  const type = v[0] as string;
  if (!TYPES.has(type)) {
    return { ok: false, reason: 'unknown_format', detail: `request type ${JSON.stringify(type.slice(0, 40))} is not one of http, https, h2, grpcs, ws, wss` };
  }
  if (n < MIN_FIELDS) return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, an ALB line has at least ${MIN_FIELDS}` };
  const timeText = v[I_TIME] as string;
  const time = parseIsoUtc(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `time ${JSON.stringify(timeText.slice(0, 40))} is not ISO-8601 UTC` };

  const rp = decimal(v[5] as string);
  if (Number.isNaN(rp)) return badNumber('request_processing_time', v[5] as string);
  const tp = decimal(v[6] as string);
  if (Number.isNaN(tp)) return badNumber('target_processing_time', v[6] as string);
  const sp = decimal(v[7] as string);
  if (Number.isNaN(sp)) return badNumber('response_processing_time', v[7] as string);
  const elbStatusText = v[I_ELB_STATUS] as string;
  const elbStatus = elbStatusText === DASH ? NaN : unsigned(elbStatusText);
  if (elbStatusText !== DASH && Number.isNaN(elbStatus)) return badNumber('elb_status_code', elbStatusText);
  const targetStatus = v[9] as string;
  if (targetStatus !== DASH && Number.isNaN(unsigned(targetStatus))) return badNumber('target_status_code', targetStatus);
  const receivedText = v[I_RECEIVED] as string;
  const received = receivedText === DASH ? null : unsigned(receivedText);
  if (received !== null && Number.isNaN(received)) return badNumber('received_bytes', receivedText);
  const sentText = v[I_SENT] as string;
  const sent = sentText === DASH ? null : unsigned(sentText);
  if (sent !== null && Number.isNaN(sent)) return badNumber('sent_bytes', sentText);

  const client = splitHostPort(v[I_CLIENT] as string);
  const targetText = v[I_TARGET] as string;
  const target = targetText === DASH ? null : splitHostPort(targetText);
  const request = v[I_REQUEST] as string;
  const parts = request === DASH ? null : splitRequest(request);

  // Named stores in a fixed order: V8 keeps these objects in a few shared shapes, which
  // measured 2x faster than storing under computed names (bench/access-logs.bench.ts).
  const f: Record<string, string> = {};
  let x: string;
  if (present((x = v[0] as string))) f.type = x;
  if (present((x = v[2] as string))) f.elb = x;
  if (client === null && present((x = v[I_CLIENT] as string))) f['client:port'] = x;
  if (target === null && present(targetText)) f['target:port'] = targetText;
  f.request_processing_time = v[5] as string;
  f.target_processing_time = v[6] as string;
  f.response_processing_time = v[7] as string;
  if (present((x = v[9] as string))) f.target_status_code = x;
  if (received !== null && !canonicalUnsigned(receivedText)) f.received_bytes = receivedText;
  if (sent !== null && !canonicalUnsigned(sentText)) f.sent_bytes = sentText;
  if (parts !== null) {
    if (present(parts.protocol)) f.request_protocol = parts.protocol;
  } else if (present(request)) {
    f.request = request;
  }
  if (present((x = v[14] as string))) f.ssl_cipher = x;
  if (present((x = v[15] as string))) f.ssl_protocol = x;
  if (present((x = v[16] as string))) f.target_group_arn = x;
  if (n > 18) {
    if (present((x = v[18] as string))) f.domain_name = x;
    if (present((x = tokens.at(19)))) f.chosen_cert_arn = x;
    if (present((x = tokens.at(20)))) f.matched_rule_priority = x;
    if (present((x = tokens.at(21)))) f.request_creation_time = x;
    if (present((x = tokens.at(22)))) f.actions_executed = x;
    if (present((x = tokens.at(23)))) f.redirect_url = x;
    if (present((x = tokens.at(25)))) f['target:port_list'] = x;
    if (present((x = tokens.at(26)))) f.target_status_code_list = x;
    if (present((x = tokens.at(27)))) f.classification = x;
    if (present((x = tokens.at(28)))) f.classification_reason = x;
    if (present((x = tokens.at(29)))) f.conn_trace_id = x;
    if (present((x = tokens.at(30)))) f.transformed_host = x;
    if (present((x = tokens.at(31)))) f.transformed_uri = x;
    if (present((x = tokens.at(32)))) f.request_transform_status = x;
    for (let i = ALB_FIELDS.length; i < n; i++) if (present((x = v[i] as string))) f[positionalName(i)] = x;
  }
  const fields = f;

  const tg = v[16] as string;
  const arn = tg === DASH ? null : arnAccountRegion(tg);
  const userAgent = v[I_USER_AGENT] as string;
  const trace = v[I_TRACE] as string;
  const error = tokens.at(I_ERROR);
  const record: EventFields = {
    time,
    category: 'http_activity',
    account_id: arn?.account ?? null,
    region: arn?.region ?? null,
    action: parts !== null && parts.method !== DASH ? parts.method : null,
    resource: parts !== null && parts.url !== DASH ? parts.url : null,
    src_ip: client?.ip ?? null,
    src_port: client?.port ?? null,
    dst_ip: target?.ip ?? null,
    dst_port: target?.port ?? null,
    user_agent: present(userAgent) ? userAgent : null,
    status: elbStatusText === DASH ? null : elbStatusText,
    outcome: httpOutcome(elbStatus),
    error: error === DASH ? null : error,
    bytes_in: received,
    bytes_out: sent,
    duration_ms: processingMs(rp, tp, sp),
    request_id: trace === DASH ? null : trace,
    fields,
  };
  return { ok: true, record };
}

/** Application Load Balancer access logs. */
export const parser: LineParser = {
  id: 'alb',
  source: 'alb',
  version: 1,
  framing: 'lines',
  description: 'Application Load Balancer access logs (http, https, h2, grpcs, ws, wss)',
  docsUrl: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html',
  keyPatterns: [elbLogKey('app\\.[^/]+')],
  keyExample: 'AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/<account>_elasticloadbalancing_<region>_app.<lb-name>.<lb-id>_<end-time>_<ip>_<random>.log.gz',
  sniff(head: string): boolean {
    if (head.startsWith(`${ELB_CONTROL_PREFIX}app/`)) return true;
    return /^(https?|h2|grpcs|wss?) \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z app\/\S+ \S+ \S+ -?[\d.]+ -?[\d.]+ -?[\d.]+ /.test(head);
  },
  parse(frame: string, ctx: ParseContext): ParseResult {
    return countTrailingDrift(parseAlbLine(frame), tokens, ALB_FIELDS.length, ctx);
  },
};
