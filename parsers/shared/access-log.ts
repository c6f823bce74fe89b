/**
 * Helpers shared by the access-log parsers (ALB, Classic ELB, NLB, S3, CloudFront): strict
 * number reading, the `-` convention, control-character screening, request-line splitting,
 * percent-decoding and the HTTP status → outcome rule. Kept here so the five formats apply the
 * same rules the same way.
 */
import type { Outcome } from '../../schema/index.js';
import { type Tokens, tokenize } from './tokenizer.js';
import type { ParseContext, ParseResult } from '../types.js';

/** AWS's "not applicable / not available" placeholder. */
export const DASH = '-';

/** True for a value that is there: not AWS's `-` placeholder and not empty (`""`). */
export function present(s: string): boolean {
  return s !== DASH && s !== '';
}

/** Positional names for fields past the newest known layout: `field_34`, 1-based like AWS docs. */
export function positionalName(index: number): string {
  return `field_${index + 1}`;
}

/**
 * Reads a plain decimal (`-1`, `0.000086`, `4406583`): optional minus, digits, optional
 * fraction. NaN for anything else, including the empty string, exponents, hex and spaces,
 * which `Number()` would quietly accept.
 */
export function decimal(s: string): number {
  const n = s.length;
  const negative = s.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  if (i >= n) return NaN;
  let digitsSeen = 0;
  let dot = -1;
  let mantissa = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digitsSeen++;
      mantissa = mantissa * 10 + (c - 48);
    } else if (c === 46 && dot < 0 && digitsSeen > 0) {
      dot = i;
    } else {
      return NaN;
    }
  }
  if (digitsSeen === 0 || s.charCodeAt(n - 1) === 46) return NaN;
  // With at most 15 digits the mantissa and the power of ten are exact doubles, so one division
  // rounds exactly as `Number()` does (Clinger's fast path), without parsing the text twice.
  if (digitsSeen > 15) return Number(s);
  const value = dot < 0 ? mantissa : mantissa / (POW10[n - 1 - dot] as number);
  return negative ? -value : value;
}

/** Exact powers of ten 10^0…10^15, the divisors of `decimal`'s fast path. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * True when `unsigned` read `text` as its canonical decimal form (`String(n) === text`): no
 * leading zero. Saves formatting the number again just to compare it with the text.
 */
export function canonicalUnsigned(text: string): boolean {
  return text.length === 1 || text.charCodeAt(0) !== 48;
}

/**
 * True when `decimal` read `text` as `value`'s canonical form (`String(value) === text`). Integers
 * of up to 15 digits print as their digits, so for them a leading-zero check replaces formatting
 * the number again; anything else (fractions, longer numbers) is compared the long way.
 */
export function canonicalDecimal(text: string, value: number): boolean {
  const negative = text.charCodeAt(0) === 45;
  const digits = negative ? text.length - 1 : text.length;
  if (digits < 1 || digits > 15 || text.indexOf('.') >= 0) return String(value) === text;
  // `-0` prints as `0`.
  return text.charCodeAt(negative ? 1 : 0) !== 48 || (digits === 1 && !negative);
}

/** Reads an unsigned integer of digits only; NaN for anything else. */
export function unsigned(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

const CONTROL = /[\x00-\x1f\x7f]/;
const CONTROL_BUT_TAB = /[\x00-\x08\x0a-\x1f\x7f]/;
const CLEAN = /^[^\x00-\x1f\x7f]*$/;
const CLEAN_BUT_TAB = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/**
 * Index of the first raw control character (U+0000–U+001F, U+007F) in `line`, or -1. `allowTab`
 * is for the tab-separated formats. AWS escapes these characters in every access log, so a raw
 * one means the line was damaged or is not an AWS line at all. A one-character-class search is
 * not a tokenizing regex: V8 compiles it to a native scan that measured 2x a `charCodeAt` loop,
 * and the anchored "nothing but allowed characters" test measured 2x the unanchored search, so
 * clean lines (nearly all) take that one and only a damaged line is searched for the column.
 */
export function controlCharAt(line: string, allowTab = false): number {
  if (allowTab) return CLEAN_BUT_TAB.test(line) ? -1 : line.search(CONTROL_BUT_TAB);
  return CLEAN.test(line) ? -1 : line.search(CONTROL);
}

/** A control character shown as `U+0001` for rejection details. */
export function describeControl(line: string, at: number): string {
  return `raw control character U+${line.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')} at column ${at + 1}`;
}

/**
 * The checks every space-separated access-log line (ALB, Classic ELB, NLB, S3) passes before its
 * fields are read: no raw control character, every quote (and, for S3, bracket) closed, at least
 * one field. Tokenizes the line into `tokens`; returns its rejection, or null when the fields
 * are ready.
 */
export function screenLine(line: string, tokens: Tokens, brackets = false): ParseResult | null {
  const cc = controlCharAt(line);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  if (!tokenize(line, tokens, brackets)) {
    const what = brackets ? 'quote or bracket' : 'quote';
    return { ok: false, reason: 'unterminated_quote', detail: `the ${what} at column ${tokens.errorAt + 1} is never closed or was never opened` };
  }
  if (tokens.count === 0) return { ok: false, reason: 'field_count_mismatch', detail: 'a line of spaces only' };
  return null;
}

/**
 * `result`, after counting one unit of schema drift on `ctx` when the line it came from had more
 * fields than the newest documented layout (`known`): AWS appends fields at the end of lines.
 */
export function countTrailingDrift(result: ParseResult, tokens: Tokens, known: number, ctx: ParseContext): ParseResult {
  if (result.ok === true && tokens.count > known) ctx.drift = (ctx.drift ?? 0) + 1;
  return result;
}

/**
 * Sum of the three processing times of an ALB or Classic ELB line in ms (µs precision), null
 * when any is `-1` (not dispatched).
 */
export function processingMs(request: number, target: number, response: number): number | null {
  if (request < 0 || target < 0 || response < 0) return null;
  return Math.round((request + target + response) * 1e6) / 1e3;
}

/**
 * The object keys Elastic Load Balancing delivers access logs under, ending with `name` (the
 * part that tells ALB `app.…`, NLB `net.…` and Classic load balancers apart).
 */
export function elbLogKey(name: string): RegExp {
  return new RegExp(`(^|/)AWSLogs/\\d{12}/elasticloadbalancing/[a-z0-9-]+/\\d{4}/\\d{2}/\\d{2}/\\d{12}_elasticloadbalancing_[a-z0-9-]+_${name}\\.log(\\.gz)?$`);
}

/** The parts of an HTTP request line `METHOD URL PROTOCOL`; the URL may itself hold spaces. */
export interface RequestLine {
  readonly method: string;
  readonly url: string;
  readonly protocol: string;
}

/**
 * Splits a request line at its first and last space, as AWS's Athena patterns do, so a URL with
 * unencoded spaces (ALB classification `SpaceInUri`) stays whole. Null when there are fewer
 * than two spaces.
 */
export function splitRequest(request: string): RequestLine | null {
  const first = request.indexOf(' ');
  if (first < 0) return null;
  // The protocol is short: scanning back from the end beats `lastIndexOf`, a runtime call.
  let last = request.length - 1;
  while (last > first && request.charCodeAt(last) !== 32) last--;
  if (last <= first) return null;
  return { method: request.slice(0, first), url: request.slice(first + 1, last), protocol: request.slice(last + 1) };
}

/**
 * Decodes `%XX` escapes (UTF-8) once. Text without `%` is returned as is; text whose escapes do
 * not form valid UTF-8 is returned undecoded rather than guessed at. `+` is left alone: the
 * formats that use it for spaces say so themselves.
 */
export function percentDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Outcome of an HTTP exchange from its status: 4xx and 5xx are failures (the request was
 * refused or broke), 1xx–3xx successes, and no status (`-`, `000`: nothing was answered)
 * unknown.
 */
export function httpOutcome(status: number): Outcome {
  if (!(status >= 100)) return 'unknown';
  return status >= 400 ? 'failure' : 'success';
}

/** `account` and `region` of an ARN (`arn:partition:service:region:account:…`), when present. */
export function arnAccountRegion(arn: string): { account: string | null; region: string | null } {
  if (!arn.startsWith('arn:')) return { account: null, region: null };
  const a = arn.indexOf(':', 4);
  const b = a < 0 ? -1 : arn.indexOf(':', a + 1);
  const c = b < 0 ? -1 : arn.indexOf(':', b + 1);
  const d = c < 0 ? -1 : arn.indexOf(':', c + 1);
  if (d < 0) return { account: null, region: null };
  const region = arn.slice(b + 1, c);
  const account = arn.slice(c + 1, d);
  return { account: account === '' ? null : account, region: region === '' ? null : region };
}

/** The text of the control object ELB writes when access logging is enabled (not an event). */
export const ELB_CONTROL_PREFIX = 'Enable AccessLog for ELB: ';

/** The rejection of a numeric field that is not a number, naming the field and what came. */
export function badNumber(name: string, value: string): ParseResult {
  return { ok: false, reason: 'bad_number', detail: `${name} ${JSON.stringify(value.slice(0, 40))} is not a number` };
}
