/**
 * Amazon S3 server access logs: one space-separated line per request, plain text objects
 * under a prefix the bucket owner chooses.
 *
 * Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html
 * Supports every documented field: the original 17 (Bucket Owner through User-Agent), then the
 * ones AWS appended over the years: Version Id, Host Id, Signature Version, Cipher Suite,
 * Authentication Type, Host Header and TLS version (2019), Access Point ARN (2020) and
 * aclRequired (2022). A line is valid from 17 fields on (older, shorter lines end at User-Agent;
 * the fields they lack are absent from `fields`); fields past aclRequired are kept under
 * positional names (`field_27` is the Region the current documentation example shows, not yet
 * named there). The Key field is URL-encoded in two layers and is decoded into `resource`
 * (`decodeS3Key`); the Request-URI is kept as logged. Both key layouts:
 * `<prefix>YYYY-mm-DD-HH-MM-SS-<id>` and the date-partitioned
 * `<prefix><account>/<region>/<bucket>/YYYY/MM/DD/…`. Mapping: docs/formats/s3access.md.
 */
import type { EventFields } from '../schema/index.js';
import { DASH, badNumber, canonicalUnsigned, countTrailingDrift, httpOutcome, positionalName, present, screenLine, unsigned } from './shared/access-log.js';
import { isIP } from './shared/ip.js';
import { parseClfTime } from './shared/time.js';
import { Tokens } from './shared/tokenizer.js';
import type { ParseContext, ParseResult, LineParser } from './types.js';

/** Field names in line order: the documentation's names in snake_case. */
export const S3_ACCESS_FIELDS = [
  'bucket_owner',
  'bucket',
  'time',
  'remote_ip',
  'requester',
  'request_id',
  'operation',
  'key',
  'request_uri',
  'http_status',
  'error_code',
  'bytes_sent',
  'object_size',
  'total_time',
  'turn_around_time',
  'referer',
  'user_agent',
  'version_id',
  'host_id',
  'signature_version',
  'cipher_suite',
  'authentication_type',
  'host_header',
  'tls_version',
  'access_point_arn',
  'acl_required',
] as const;

/** The oldest layout ends at User-Agent: Version Id and everything after it were appended later. */
const MIN_FIELDS = 17;
const I_VERSION_ID = 17;
const I_TIME = 2;
const I_REMOTE_IP = 3;
const I_REQUESTER = 4;
const I_REQUEST_ID = 5;
const I_OPERATION = 6;
const I_KEY = 7;
const I_STATUS = 9;
const I_ERROR = 10;
const I_BYTES_SENT = 11;
const I_OBJECT_SIZE = 12;
const I_TOTAL_TIME = 13;
const I_TURN_AROUND = 14;
const I_USER_AGENT = 16;

const tokens = new Tokens();

/** True for a canonical user ID: 64 lowercase hex characters. */
function isCanonicalId(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The object key an S3 access-log Key field stands for. S3 writes the key URL-encoded in two
 * layers: the key is encoded once, with a space as `+`, and that text is percent-encoded again.
 * A real REST.PUT.OBJECT line (corpus `signalfx_s3.log`) logs `WhatsApp%2BImage%2B…` for the key
 * its Request-URI sends as `/WhatsApp%20Image%20…`; batch deletes and lifecycle records are
 * reported to show a space as `%2520` (`%20` encoded again; no such sample in the corpus). So:
 * percent-decode once, then decode again with `+` as a space. That also reads a key logged in
 * one layer (`%20` or `+` for a space, `%C3%A9`) as meant, unless it holds a literal `+` or
 * `%`, which such a line cannot tell apart anyway.
 * A malformed escape (`%zz`, a lone `%`, bytes that are not UTF-8) in either layer returns the
 * logged text unchanged: never thrown, never guessed at.
 */
export function decodeS3Key(logged: string): string {
  try {
    let key = logged.indexOf('%') < 0 ? logged : decodeURIComponent(logged);
    if (key.indexOf('+') >= 0) key = key.replaceAll('+', ' ');
    return key.indexOf('%') < 0 ? key : decodeURIComponent(key);
  } catch {
    return logged;
  }
}

/** What kind of principal the Requester field names. */
export function requesterType(requester: string): string | null {
  if (requester === DASH) return 'Anonymous';
  if (requester.startsWith('arn:')) {
    if (requester.includes(':assumed-role/')) return 'AssumedRole';
    if (requester.endsWith(':root')) return 'Root';
    if (requester.includes(':user/')) return 'IAMUser';
    if (requester.includes(':federated-user/')) return 'FederatedUser';
    return null;
  }
  if (requester.startsWith('svc:') || requester === 'AmazonS3') return 'AWSService';
  return isCanonicalId(requester) ? 'CanonicalUser' : null;
}

/** Parses one S3 server access-log line. */
export function parseS3AccessLine(line: string): ParseResult {
  const rejected = screenLine(line, tokens, true);
  if (rejected !== null) return rejected;
  const v = tokens.values;
  const n = tokens.count;
  if (n > I_TIME && tokens.quoted[I_TIME] !== 1) {
    return { ok: false, reason: 'unknown_format', detail: `an S3 access-log line has its [time] third, found ${JSON.stringify((v[I_TIME] as string).slice(0, 40))}` };
  }
  if (n < MIN_FIELDS) return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, an S3 access-log line has at least the ${MIN_FIELDS} fields through User-Agent` };
  const timeText = v[I_TIME] as string;
  const time = parseClfTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `time [${timeText.slice(0, 40)}] is not dd/MMM/yyyy:HH:mm:ss +zzzz` };

  const statusText = v[I_STATUS] as string;
  const status = statusText === DASH ? NaN : unsigned(statusText);
  if (statusText !== DASH && Number.isNaN(status)) return badNumber('http_status', statusText);
  const sentText = v[I_BYTES_SENT] as string;
  const sent = sentText === DASH ? null : unsigned(sentText);
  if (sent !== null && Number.isNaN(sent)) return badNumber('bytes_sent', sentText);
  const sizeText = v[I_OBJECT_SIZE] as string;
  if (sizeText !== DASH && Number.isNaN(unsigned(sizeText))) return badNumber('object_size', sizeText);
  const totalText = v[I_TOTAL_TIME] as string;
  const total = totalText === DASH ? null : unsigned(totalText);
  if (total !== null && Number.isNaN(total)) return badNumber('total_time', totalText);
  const turnText = v[I_TURN_AROUND] as string;
  if (turnText !== DASH && Number.isNaN(unsigned(turnText))) return badNumber('turn_around_time', turnText);

  const remote = v[I_REMOTE_IP] as string;
  const remoteIsIp = remote !== DASH && isIP(remote);
  const bucket = v[1] as string;
  const keyText = v[I_KEY] as string;
  // Most keys hold neither `%` nor `+`: only those pay for decoding.
  const key = keyText === DASH ? null : keyText.indexOf('%') < 0 && keyText.indexOf('+') < 0 ? keyText : decodeS3Key(keyText);
  // Named stores in a fixed order keep these objects in a few shared V8 shapes (see alb.ts).
  const fields: Record<string, string> = {};
  let x: string;
  if (present((x = v[0] as string))) fields.bucket_owner = x;
  if (present(bucket)) fields.bucket = bucket;
  if (!remoteIsIp && present(remote)) fields.remote_ip = remote;
  if (key !== keyText && present(keyText)) fields.key = keyText;
  if (present((x = v[8] as string))) fields.request_uri = x;
  if (sent !== null && !canonicalUnsigned(sentText)) fields.bytes_sent = sentText;
  if (present(sizeText)) fields.object_size = sizeText;
  if (total !== null && !canonicalUnsigned(totalText)) fields.total_time = totalText;
  if (present(turnText)) fields.turn_around_time = turnText;
  if (present((x = v[15] as string))) fields.referer = x;
  // Tokens are reused line after line: past `n` the values are another line's.
  if (n > I_VERSION_ID && present((x = v[I_VERSION_ID] as string))) fields.version_id = x;
  if (n > 18) {
    if (present((x = v[18] as string))) fields.host_id = x;
    if (present((x = tokens.at(19)))) fields.signature_version = x;
    if (present((x = tokens.at(20)))) fields.cipher_suite = x;
    if (present((x = tokens.at(21)))) fields.authentication_type = x;
    if (present((x = tokens.at(22)))) fields.host_header = x;
    if (present((x = tokens.at(23)))) fields.tls_version = x;
    if (present((x = tokens.at(24)))) fields.access_point_arn = x;
    if (present((x = tokens.at(25)))) fields.acl_required = x;
    for (let i = S3_ACCESS_FIELDS.length; i < n; i++) if (present((x = v[i] as string))) fields[positionalName(i)] = x;
  }

  const requester = v[I_REQUESTER] as string;
  const requestId = v[I_REQUEST_ID] as string;
  const operation = v[I_OPERATION] as string;
  const errorCode = v[I_ERROR] as string;
  const userAgent = v[I_USER_AGENT] as string;
  const hasBucket = bucket !== DASH;
  let outcome = httpOutcome(status);
  if (errorCode !== DASH) outcome = 'failure';
  const record: EventFields = {
    time,
    category: 'http_activity',
    actor: requester === DASH ? null : requester,
    actor_type: requesterType(requester),
    action: operation === DASH ? null : operation,
    resource: hasBucket ? (key !== null ? `${bucket}/${key}` : bucket) : key,
    resource_type: key !== null ? 'AWS::S3::Object' : hasBucket ? 'AWS::S3::Bucket' : null,
    src_ip: remoteIsIp ? remote : null,
    user_agent: userAgent === DASH ? null : userAgent,
    status: statusText === DASH ? null : statusText,
    outcome,
    error: errorCode === DASH ? null : errorCode,
    bytes_out: sent,
    duration_ms: total,
    request_id: requestId === DASH ? null : requestId,
    fields,
  };
  return { ok: true, record };
}

/** S3 server access logs. */
export const parser: LineParser = {
  id: 's3access',
  source: 's3access',
  // 2: lines of 17 fields (through User-Agent) are read; keys are decoded in both layers.
  version: 2,
  framing: 'lines',
  description: 'Amazon S3 server access logs',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html',
  // The prefix is the bucket owner's choice, so only the object name (and the date-partitioned
  // folders before it) can be matched; content sniffing catches the rest.
  keyPatterns: [
    /(^|\/)\d{12}\/[a-z0-9-]+\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/,
    /\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/,
  ],
  keyExample: '<prefix>YYYY-mm-DD-HH-MM-SS-<UniqueString> or <prefix><account>/<region>/<bucket>/YYYY/MM/DD/YYYY-mm-DD-HH-MM-SS-<UniqueString>',
  sniff(head: string): boolean {
    return /^(-|[0-9a-f]{64}) \S+ \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] \S+ \S+ \S+ [A-Z0-9_.]+ /.test(head);
  },
  parse(frame: string, ctx: ParseContext): ParseResult {
    return countTrailingDrift(parseS3AccessLine(frame), tokens, S3_ACCESS_FIELDS.length, ctx);
  },
};
