/**
 * Timestamp helpers for parsers: digit arithmetic on the text instead of `new Date(string)`,
 * which is slow and lenient (it accepts what AWS never writes).
 */

const ZERO = 48;

function digits(s: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Parses ISO-8601 UTC `YYYY-MM-DDTHH:MM:SS[.fff…]Z` (also with a `+00:00` offset) to epoch ms;
 * NaN when the text is anything else. A space instead of `T` and a missing zone are read as
 * UTC too: that is how exports (Athena, SIEMs) re-serialize CloudTrail times.
 */
export function parseIsoUtc(s: string): number {
  const sep = s.charCodeAt(10);
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 32)) return NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return NaN;
  }
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    while (i < s.length) {
      const d = s.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
      i++;
    }
    ms = Math.floor(ms);
  }
  const rest = s.length - i;
  if (rest !== 0 && !(rest === 1 && s.charCodeAt(i) === 90) && !(rest === 6 && s.endsWith('+00:00'))) return NaN;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 February over into March: reject instead of inventing a day.
  return new Date(t).getUTCDate() === day ? t : NaN;
}
