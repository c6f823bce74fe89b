import { describe, expect, it } from 'vitest';
import { Tokens, tokenize } from '../../parsers/shared/tokenizer.js';

function fields(line: string, brackets = false): string[] {
  const t = new Tokens();
  expect(tokenize(line, t, brackets)).toBe(true);
  return t.values.slice(0, t.count);
}

describe('tokenize', () => {
  it('splits unquoted fields on single spaces', () => {
    expect(fields('http 2018-07-02T22:23:00.186641Z app/lb/50dc 10.0.0.1:80')).toEqual(['http', '2018-07-02T22:23:00.186641Z', 'app/lb/50dc', '10.0.0.1:80']);
  });

  it('keeps spaces inside quoted fields and drops the quotes', () => {
    expect(fields('a "GET http://x/ HTTP/1.1" "curl/7.46.0" b')).toEqual(['a', 'GET http://x/ HTTP/1.1', 'curl/7.46.0', 'b']);
  });

  it('treats a run of spaces and trailing spaces as one separator', () => {
    expect(fields('  a   b  "c d"  ')).toEqual(['a', 'b', 'c d']);
  });

  it('keeps an empty quoted field as an empty value', () => {
    expect(fields('a "" b')).toEqual(['a', '', 'b']);
  });

  it('keeps the trailing space of the Classic ELB TCP placeholder inside its quotes', () => {
    expect(fields('x "- - - " "-" y')).toEqual(['x', '- - - ', '-', 'y']);
  });

  it('keeps quotes that do not end a field, as in the NLB ALPN list', () => {
    const t = new Tokens();
    expect(tokenize('h2 h2 "h2","http/1.1" 2020-04-01T08:51:20', t)).toBe(true);
    expect(t.values.slice(0, t.count)).toEqual(['h2', 'h2', 'h2","http/1.1', '2020-04-01T08:51:20']);
    expect(t.text(2)).toBe('"h2","http/1.1"');
    expect(t.text(0)).toBe('h2');
  });

  it('unescapes \\" and \\\\ inside quotes and does not end the field at an escaped quote', () => {
    expect(fields('a "say \\"hi\\" now" "c:\\\\dir" b')).toEqual(['a', 'say "hi" now', 'c:\\dir', 'b']);
  });

  it('ends the field at a quote preceded by an escaped backslash', () => {
    expect(fields('"ends with \\\\" next')).toEqual(['ends with \\', 'next']);
  });

  it('keeps AWS hex escapes such as \\x22 as written', () => {
    expect(fields('"GET /q?bar=\\x22 HTTP/2.0" x')).toEqual(['GET /q?bar=\\x22 HTTP/2.0', 'x']);
  });

  it('marks quoted fields so a quoted dash stays tellable from a bare one', () => {
    const t = new Tokens();
    tokenize('- "-"', t);
    expect([t.quoted[0], t.quoted[1]]).toEqual([0, 1]);
  });

  it('reads a bracketed field with a space as one field when brackets are on', () => {
    expect(fields('owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3', true)).toEqual(['owner', 'bucket', '06/Feb/2019:00:00:38 +0000', '192.0.2.3']);
  });

  it('leaves brackets alone when brackets are off (bracketed IPv6 client addresses)', () => {
    expect(fields('[fe80::1]:443 [2001:db8::1]:80')).toEqual(['[fe80::1]:443', '[2001:db8::1]:80']);
  });

  it('reports an unterminated quote with its column', () => {
    const t = new Tokens();
    expect(tokenize('a b "GET /x HTTP/1.1', t)).toBe(false);
    expect(t.errorAt).toBe(4);
  });

  it('reports an unterminated bracket when brackets are on', () => {
    const t = new Tokens();
    expect(tokenize('o b [06/Feb/2019:00:00:38 +0000 x', t, true)).toBe(false);
    expect(t.errorAt).toBe(4);
  });

  it('reuses one Tokens for many lines without leaking fields of a longer previous line', () => {
    const t = new Tokens();
    tokenize('a b c d e f', t);
    tokenize('x y', t);
    expect(t.count).toBe(2);
    expect(t.values.slice(0, t.count)).toEqual(['x', 'y']);
  });

  it('grows past 64 fields', () => {
    const line = Array.from({ length: 150 }, (_, i) => (i % 2 ? `"q ${i}"` : `f${i}`)).join(' ');
    const out = fields(line);
    expect(out.length).toBe(150);
    expect(out[149]).toBe('q 149');
  });
});

describe('tokenize, unclosed quotes that would swallow the next field', () => {
  it('reports a quote left open before another quoted field instead of shifting the fields', () => {
    const t = new Tokens();
    expect(tokenize('a "Mozilla/5.0 (X11) - - arn:x "Root=1-abc" "-" 0', t)).toBe(false);
    expect(t.errorAt).toBe(2);
  });
});

describe('tokenize, stray quotes', () => {
  it('reports a quote inside an unquoted field (a lost opening quote) at its column', () => {
    const t = new Tokens();
    expect(tokenize('a Mozilla/5.0 (X11) Firefox/125.0" - -', t)).toBe(false);
    expect(t.errorAt).toBe(33);
  });
});
