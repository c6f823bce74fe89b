/**
 * The encoder's string order against its definition: the order of the UTF-8 bytes the encoder
 * writes, as `Buffer.compare` sees them. Random strings are drawn from code units at the
 * boundaries where UTF-16 and UTF-8 orders part: ASCII, two- and three-byte characters below and
 * above the surrogates, high and low surrogates (paired and lone) and U+FFFD.
 */
import { describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../pipeline/parquet/parquet-encoding.js';
import { prng } from '../helpers/prng.js';

const UNITS = ['a', 'z', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ud800', '\ud83d', '\udbff', '\udc00', '\ude00', '\udfff', '\ue000', '\ufffd', '\uffff'];

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const bytes = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('compareUtf8', () => {
  it('orders as the UTF-8 bytes, where JavaScript < does not', () => {
    expect('😀' < '\ufffd').toBe(true);
    expect(compareUtf8('😀', '\ufffd')).toBeGreaterThan(0);
    expect(compareUtf8('\ue000', '😀')).toBeLessThan(0);
    expect(compareUtf8('x\ud83d', 'x\ud83d\ude00')).toBeLessThan(0);
    // A lone surrogate is stored as U+FFFD, so it compares as one.
    expect(compareUtf8('\ud800', '\ufffd')).toBe(0);
    expect(compareUtf8('abc', 'abd')).toBeLessThan(0);
    expect(compareUtf8('ab', 'abc')).toBeLessThan(0);
  });

  it('agrees with Buffer.compare of the encoded strings on 20,000 random pairs', () => {
    const r = prng(7);
    const text = (): string => {
      const len = Math.floor(r() * 5);
      let s = '';
      for (let i = 0; i < len; i++) s += UNITS[Math.floor(r() * UNITS.length)];
      return s;
    };
    for (let i = 0; i < 20_000; i++) {
      const a = text();
      // Shared prefixes make the interesting cases: the first difference past a surrogate.
      const b = r() < 0.5 ? a.slice(0, Math.floor(r() * (a.length + 1))) + text() : text();
      expect(sign(compareUtf8(a, b)), JSON.stringify([a, b])).toBe(bytes(a, b));
    }
  });
});
