/**
 * The one tokenizer of the space-separated AWS access logs (ALB, Classic ELB, NLB, S3 server
 * access): fields separated by spaces, some wrapped in double quotes and holding spaces.
 *
 * It walks the line with `indexOf` instead of a regex or `split`: an `indexOf` cursor measured
 * 2.2x AWS's own Athena RegexSerDe pattern on ALB lines (bench/README.md, access logs). The rules
 * are the ones AWS writes its access logs by:
 * - a run of spaces separates two fields; leading and trailing spaces are ignored;
 * - a field that starts with `"` runs to the next `"` that is followed by a space or the end of
 *   the line, so quotes that do not end a field (the NLB ALPN list `"h2","http/1.1"`) stay inside;
 *   a value that would contain a space followed by `"` is an unclosed quote that swallowed the
 *   next field, and a `"` inside an unquoted field is a lost opening quote: both are reported
 *   rather than shifting every later field;
 * - inside quotes, a `"` preceded by an odd number of backslashes is escaped: `\"` and `\\` are
 *   unescaped in the value. Load balancers write a quote in a URL or user agent as `\x22`; that
 *   text, and every other `\xHH`, is kept as AWS wrote it, which is also what Athena shows;
 * - optionally (S3 time) a field that starts with `[` runs to the next `]` followed by a space or
 *   the end of the line, so `[06/Feb/2019:00:00:38 +0000]` is one field.
 */

const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;
const LBRACKET = 91;

/** Reusable output of `tokenize`: one instance per parser module, overwritten by every line. */
export class Tokens {
  /** Field values in order; only the first `count` belong to the last line tokenized. */
  readonly values: string[] = [];
  /** 1 where the field was written in quotes (or brackets), so `"-"` and `-` stay tellable. */
  quoted: Uint8Array = new Uint8Array(64);
  count = 0;
  /** Offset of the quote or bracket that was never closed, -1 when the line tokenized. */
  errorAt = -1;

  /** Field `i` of the last line, or `-` (AWS's "not there") past its end: a line from before a field existed. */
  at(i: number): string {
    return i < this.count ? (this.values[i] as string) : '-';
  }

  /** The raw text of field `i` as it appeared, with its quotes put back (NLB ALPN lists). */
  text(i: number): string {
    const v = this.values[i] as string;
    return this.quoted[i] === 1 ? `"${v}"` : v;
  }
}

function unescape(value: string): string {
  let out = '';
  let from = 0;
  let b = value.indexOf('\\');
  while (b >= 0 && b + 1 < value.length) {
    const next = value.charCodeAt(b + 1);
    if (next === QUOTE || next === BACKSLASH) {
      out += value.slice(from, b) + (next === QUOTE ? '"' : '\\');
      from = b + 2;
      b = value.indexOf('\\', from);
    } else {
      b = value.indexOf('\\', b + 1);
    }
  }
  return out + value.slice(from);
}

/** True when the `"` at `q` is preceded by an odd number of backslashes (after `start`). */
function isEscaped(line: string, q: number, start: number): boolean {
  let b = q - 1;
  while (b > start && line.charCodeAt(b) === BACKSLASH) b--;
  return ((q - 1 - b) & 1) === 1;
}

/**
 * Splits `line` into `out`; returns false (with `out.errorAt` set) when a quoted or bracketed
 * field is not closed before the end of the line.
 */
export function tokenize(line: string, out: Tokens, brackets = false): boolean {
  const n = line.length;
  const values = out.values;
  let count = 0;
  let i = 0;
  // First backslash at or after the current field, searched once per line and only when a
  // quoted field needs to know (-2: not searched yet, -1: none left).
  let backslash = -2;
  // Next quote at or after `i`: a quote inside an unquoted field is a field whose opening quote
  // was lost, which would otherwise shift every later field silently.
  let nextQuote = line.indexOf('"');
  out.errorAt = -1;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === SPACE) {
      i++;
      continue;
    }
    if (count >= out.quoted.length) {
      const grown = new Uint8Array(out.quoted.length * 2);
      grown.set(out.quoted);
      out.quoted = grown;
    }
    if (c === QUOTE) {
      let from = i + 1;
      let end = -1;
      // A space followed by a quote inside the value is the opening quote of a later field: this
      // field's own closing quote is missing, and the line would silently shift by a field.
      // Every quote inside the value passes through this loop, so it is noticed here.
      let spaceQuote = false;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) break;
        if (!isEscaped(line, q, i) && (q + 1 === n || line.charCodeAt(q + 1) === SPACE)) {
          end = q;
          break;
        }
        if (q >= i + 2 && line.charCodeAt(q - 1) === SPACE) spaceQuote = true;
        from = q + 1;
      }
      if (end < 0 || spaceQuote) {
        out.errorAt = i;
        out.count = count;
        return false;
      }
      const v = line.slice(i + 1, end);
      if (backslash !== -1 && backslash <= i) backslash = line.indexOf('\\', i + 1);
      values[count] = backslash >= 0 && backslash < end ? unescape(v) : v;
      out.quoted[count++] = 1;
      i = end + 1;
      continue;
    }
    if (brackets && c === LBRACKET) {
      let from = i + 1;
      let end = -1;
      for (;;) {
        const r = line.indexOf(']', from);
        if (r < 0) break;
        if (r + 1 === n || line.charCodeAt(r + 1) === SPACE) {
          end = r;
          break;
        }
        from = r + 1;
      }
      if (end < 0) {
        out.errorAt = i;
        out.count = count;
        return false;
      }
      values[count] = line.slice(i + 1, end);
      out.quoted[count++] = 1;
      i = end + 1;
      continue;
    }
    let end = line.indexOf(' ', i);
    if (end < 0) end = n;
    if (nextQuote >= 0 && nextQuote < i) nextQuote = line.indexOf('"', i);
    if (nextQuote >= 0 && nextQuote < end) {
      out.errorAt = nextQuote;
      out.count = count;
      return false;
    }
    values[count] = line.slice(i, end);
    out.quoted[count++] = 0;
    i = end;
  }
  out.count = count;
  return true;
}
