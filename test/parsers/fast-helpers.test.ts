/**
 * The parsers' hand-written number, time and address readers against the builtins they replace
 * for speed (`Number`, `String`, `Date.UTC`, `node:net`), on many seeded random inputs shaped
 * like what AWS writes and like what damaged lines hold. A disagreement is a wrong typed value.
 */
import { isIPv6 as netIsIPv6, isIPv4 as netIsIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canonicalDecimal, canonicalUnsigned, decimal, unsigned } from '../../parsers/shared/access-log.js';
import { isIPv4, isIPv6 } from '../../parsers/shared/ip.js';
import { parseClfTime, parseDateTimeUtc, parseIsoUtc } from '../../parsers/shared/time.js';
import { prng } from '../helpers/prng.js';

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

function text(r: () => number, alphabet: string, maxLength: number): string {
  let s = '';
  const n = Math.floor(r() * (maxLength + 1));
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

const CASES = 50_000;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

describe('number readers', () => {
  it('decimal reads plain decimals exactly as Number() does, and nothing else', () => {
    const r = prng(1);
    const wrong: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const s = text(r, '0123456789', 20) + (r() < 0.5 ? `.${text(r, '0123456789', 9)}` : '');
      const signed = r() < 0.2 ? `-${s}` : s;
      const want = /^-?\d+(\.\d+)?$/.test(signed) ? Number(signed) : NaN;
      if (!Object.is(decimal(signed), want)) wrong.push(signed);
    }
    expect(wrong).toEqual([]);
    for (const s of ['', '-', '.5', '5.', '1e5', '0x10', ' 1', '1 ', '+1', 'NaN', 'Infinity']) expect(decimal(s), s).toBeNaN();
  });

  it('canonicalUnsigned and canonicalDecimal say whether String(value) gives the text back', () => {
    const r = prng(2);
    const wrong: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const digits = text(r, r() < 0.3 ? '0' : '0123456789', 17) || '0';
      const u = unsigned(digits);
      if (!Number.isNaN(u) && canonicalUnsigned(digits) !== (String(u) === digits)) wrong.push(digits);
      const s = `${r() < 0.2 ? '-' : ''}${digits}${r() < 0.4 ? `.${text(r, '0123456789', 8) || '0'}` : ''}`;
      const d = decimal(s);
      if (!Number.isNaN(d) && canonicalDecimal(s, d) !== (String(d) === s)) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});

describe('time readers', () => {
  it('parseIsoUtc agrees with Date.UTC, including years 0–99, leap days and second 60', () => {
    const r = prng(3);
    const wrong: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const year = r() < 0.1 ? Math.floor(r() * 100) : 1900 + Math.floor(r() * 300);
      const month = 1 + Math.floor(r() * 12);
      const day = 1 + Math.floor(r() * 31);
      const [hh, mm, ss] = [Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 61)];
      const ms = Math.floor(r() * 1000);
      const s = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(ms, 3)}Z`;
      const t = Date.UTC(year, month - 1, day, hh, mm, ss, ms);
      // Date.UTC rolls an impossible day into the next month; the parser refuses it instead.
      const want = new Date(t).getUTCDate() !== day ? NaN : t;
      if (!Object.is(parseIsoUtc(s), want)) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });

  it('parseClfTime and parseDateTimeUtc agree with Date.UTC and apply the zone offset', () => {
    const r = prng(4);
    const wrong: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const year = 1970 + Math.floor(r() * 100);
      const month = 1 + Math.floor(r() * 12);
      const day = 1 + Math.floor(r() * 31);
      const [hh, mm, ss] = [Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 61)];
      const offset = pick(r, [0, 0, 60, -330, 545]);
      const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}${pad(Math.abs(offset) % 60, 2)}`;
      const t = Date.UTC(year, month - 1, day, hh, mm, ss);
      const rolled = new Date(t).getUTCDate() !== day;
      const clf = `${pad(day, 2)}/${MONTHS[month - 1]}/${year}:${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)} ${zone}`;
      const w3c = [`${year}-${pad(month, 2)}-${pad(day, 2)}`, `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`] as const;
      if (!Object.is(parseClfTime(clf), rolled ? NaN : t - offset * 60_000)) wrong.push(clf);
      if (!Object.is(parseDateTimeUtc(...w3c), rolled ? NaN : t)) wrong.push(w3c.join(' '));
    }
    expect(wrong).toEqual([]);
    for (const s of ['06/feb/2019:00:00:38 +0000', '06/Feb/2019:00:00:38 0000', '06/Fe\u00e9/2019:00:00:38 +0000', '6/Feb/2019:00:00:38 +0000']) expect(parseClfTime(s), s).toBeNaN();
  });
});

describe('address readers', () => {
  it('isIPv4 and isIPv6 agree with node:net on address-like text', () => {
    const r = prng(5);
    const alphabet = '0123456789abcdefABCDEFg:.';
    const samples = [':1::', '1::2:', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::ffff:192.0.2.1', '192.0.2.1', '01.2.3.4'];
    for (let i = 0; i < CASES * 4; i++) {
      samples.push(r() < 0.5 ? text(r, alphabet, 41) : pick(r, ['::', '::1', '1::', '::ffff:', '2001:db8:', '10.']) + text(r, alphabet, 20));
    }
    expect(samples.filter((s) => isIPv4(s) !== netIsIPv4(s) || isIPv6(s) !== netIsIPv6(s))).toEqual([]);
  });
});
