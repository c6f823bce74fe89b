/**
 * Helpers shared by the access-log parsers (ALB, Classic ELB, NLB, S3, CloudFront): strict
 * number reading, the `-` convention, control-character screening, request-line splitting,
 * percent-decoding and the HTTP status → outcome rule. Kept here so the five formats apply the
 * same rules the same way.
 */
import type { Outcome } from '../schema/index.js';
import type { ParseResult } from './types.js';

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
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return NaN;
  let digitsSeen = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digitsSeen++;
    else if (c === 46 && !dot && digitsSeen > 0) dot = true;
    else return NaN;
  }
  if (digitsSeen === 0 || s.charCodeAt(n - 1) === 46) return NaN;
  return Number(s);
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

/**
 * Index of the first raw control character (U+0000–U+001F, U+007F) in `line`, or -1. `allowTab`
 * is for the tab-separated formats. AWS escapes these characters in every access log, so a raw
 * one means the line was damaged or is not an AWS line at all. A one-character-class search is
 * not a tokenizing regex: V8 compiles it to a native scan that measured 2x a `charCodeAt` loop.
 */
export function controlCharAt(line: string, allowTab = false): number {
  return line.search(allowTab ? CONTROL_BUT_TAB : CONTROL);
}

/** A control character shown as `U+0001` for rejection details. */
export function describeControl(line: string, at: number): string {
  return `raw control character U+${line.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')} at column ${at + 1}`;
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
  const last = request.lastIndexOf(' ');
  if (first < 0 || last <= first) return null;
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
