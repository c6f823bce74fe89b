/**
 * UTF-8 decoding that never throws and never hides bad bytes: valid text decodes natively, and
 * a frame with invalid sequences shows each offending byte as `\xNN` so it can be found later.
 */
import { isUtf8 } from 'node:buffer';

function sequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i] as number;
  let need: number;
  let min: number;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) {
    need = 1;
    min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    min = 0x800;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + need >= end) return 0;
  let cp = b & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    const c = buf[i + k] as number;
    if ((c & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

/**
 * Decodes `buf[start, end)`, rendering invalid bytes as `\xNN`; reports whether any were found.
 * With `json`, the backslash is doubled so that inside a JSON string the escape survives
 * `JSON.parse` as the visible text `\xNN` instead of making the record invalid JSON.
 */
export function decodeVisible(buf: Buffer, start: number, end: number, json = false): { text: string; invalid: boolean } {
  if (isUtf8(buf.subarray(start, end))) return { text: buf.toString('utf8', start, end), invalid: false };
  let out = '';
  let runStart = start;
  let i = start;
  while (i < end) {
    const len = sequenceLength(buf, i, end);
    if (len > 0) {
      i += len;
      continue;
    }
    out += buf.toString('utf8', runStart, i) + (json ? '\\\\x' : '\\x') + `${(buf[i] as number).toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
    runStart = i;
  }
  out += buf.toString('utf8', runStart, end);
  return { text: out, invalid: true };
}
