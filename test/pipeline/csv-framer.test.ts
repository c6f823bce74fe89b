import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../schema/index.js';
import { CsvFramer } from '../../pipeline/framing/csv-framer.js';
import type { FrameSink } from '../../pipeline/framing/framing.js';

type Event = { frame: string; fields: readonly string[] | undefined; invalid?: true } | { reject: RejectReason; raw: string };

const OPTS = { maxLineBytes: 64, maxRejectRawBytes: 16 };

/** Feeds `input` cut into pieces of `size` bytes, so every chunk boundary position is exercised. */
function feed(input: Buffer | string, size: number, opts = OPTS): Event[] {
  const events: Event[] = [];
  const sink: FrameSink = {
    frame: (text, invalid, fields) => events.push(invalid ? { frame: text, fields, invalid: true } : { frame: text, fields }),
    reject: (reason, raw) => events.push({ reject: reason, raw }),
  };
  const framer = new CsvFramer(sink, opts);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let i = 0; i < buf.byteLength; i += size) framer.push(buf.subarray(i, i + size));
  framer.end();
  return events;
}

/** The same input at every chunk size from 1 byte to the whole input gives the same events. */
function atEveryChunkSize(input: Buffer | string, opts = OPTS): Event[] {
  const whole = feed(input, Math.max(1, Buffer.byteLength(input)), opts);
  for (let size = 1; size < Buffer.byteLength(input); size++) expect(feed(input, size, opts), `chunk size ${size}`).toEqual(whole);
  return whole;
}

const row = (frame: string, fields: string[]): Event => ({ frame, fields });

describe('CsvFramer', () => {
  it('splits rows on LF and CRLF and hands each row with its cells, header included', () => {
    const events = atEveryChunkSize('a,b,c\r\n1,2,3\r\n4,,6\n');
    expect(events).toEqual([row('a,b,c', ['a', 'b', 'c']), row('1,2,3', ['1', '2', '3']), row('4,,6', ['4', '', '6'])]);
  });

  it('reads quoted cells holding commas, doubled quotes and line breaks as one row', () => {
    const input = 'id,text\n1,"Amazon Web Services, Inc."\n2,"say ""hi"""\n3,"two\r\nlines"\n';
    expect(atEveryChunkSize(input)).toEqual([
      row('id,text', ['id', 'text']),
      row('1,"Amazon Web Services, Inc."', ['1', 'Amazon Web Services, Inc.']),
      row('2,"say ""hi"""', ['2', 'say "hi"']),
      row('3,"two\r\nlines"', ['3', 'two\r\nlines']),
    ]);
  });

  it('drops a UTF-8 BOM before the header, even split across chunks', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('"h1","h2"\n"x","y"\n')]);
    expect(atEveryChunkSize(input)).toEqual([row('"h1","h2"', ['h1', 'h2']), row('"x","y"', ['x', 'y'])]);
  });

  it('keeps bytes that only start like a BOM', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from('x\n')]);
    expect(feed(input, 1)).toEqual([{ frame: '\\xEF\\xBBx', fields: ['\uFFFDx'], invalid: true }]);
  });

  it('keeps the last row without a final newline and reports blank lines as empty frames', () => {
    expect(atEveryChunkSize('a,b\n\n1,2')).toEqual([row('a,b', ['a', 'b']), { frame: '', fields: undefined }, row('1,2', ['1', '2'])]);
  });

  it('emits nothing for an empty entry', () => {
    expect(feed('', 4)).toEqual([]);
  });

  it('passes rows with too few cells through with their cells, for the parser to reject against its header', () => {
    expect(atEveryChunkSize('a,b,c\n1,2\n')).toEqual([row('a,b,c', ['a', 'b', 'c']), row('1,2', ['1', '2'])]);
  });

  it('rejects a row whose quote is never closed at the end of the entry as unterminated_quote', () => {
    expect(atEveryChunkSize('a,b\n1,2\n3,"open\n')).toEqual([
      row('a,b', ['a', 'b']),
      row('1,2', ['1', '2']),
      { reject: 'unterminated_quote', raw: '3,"open' },
    ]);
  });

  it('costs one line for an unterminated quote: the rows after it are read again', () => {
    const input = 'a,b\n1,"broken\n2,x\n3,"fine, quoted"\n4,y\n';
    expect(atEveryChunkSize(input)).toEqual([
      row('a,b', ['a', 'b']),
      { reject: 'unterminated_quote', raw: '1,"broken' },
      row('2,x', ['2', 'x']),
      row('3,"fine, quoted"', ['3', 'fine, quoted']),
      row('4,y', ['4', 'y']),
    ]);
  });

  it('rejects a quote inside an unquoted cell or text after a closing quote as malformed_quote', () => {
    expect(atEveryChunkSize('a,b\n1,x"y"z\n2,"ok"tail\n3,fine\n')).toEqual([
      row('a,b', ['a', 'b']),
      { reject: 'malformed_quote', raw: '1,x"y"z' },
      { reject: 'malformed_quote', raw: '2,"ok"tail' },
      row('3,fine', ['3', 'fine']),
    ]);
  });

  it('rejects a line over maxLineBytes as line_too_long with a bounded prefix, neighbours intact', () => {
    const long = `1,${'x'.repeat(200)}`;
    expect(atEveryChunkSize(`a,b\n${long}\n2,y\n`)).toEqual([
      row('a,b', ['a', 'b']),
      { reject: 'line_too_long', raw: long.slice(0, 16) },
      row('2,y', ['2', 'y']),
    ]);
  });

  it('bounds a quote that never closes by maxLineBytes and reads the lines after it again', () => {
    const rest = Array.from({ length: 20 }, (_, i) => `${i},v${i}`);
    const input = `a,b\n0,"never closed\n${rest.join('\n')}\n`;
    const events = atEveryChunkSize(input);
    expect(events[1]).toEqual({ reject: 'unterminated_quote', raw: '0,"never closed' });
    expect(events.slice(2)).toEqual(rest.map((r) => row(r, r.split(','))));
  });

  it('keeps invalid UTF-8 visible as \\xNN in the frame and flags it', () => {
    const input = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff]), Buffer.from('z\n')]);
    expect(atEveryChunkSize(input)).toEqual([row('a,b', ['a', 'b']), { frame: '1,\\xFFz', fields: ['1', '\uFFFDz'], invalid: true }]);
  });

  it('accounts for every row exactly once: one sink call per CSV row', () => {
    const rows = ['h1,h2', '"a,b",c', '"multi\nline",d', 'bad"quote,e', '"x', 'y",z', 'ok,1'];
    const events = feed(`${rows.join('\n')}\n`, 5);
    // The quote opened in row 5 closes in row 6: one two-line row, parsed as one.
    expect(events.map((e) => ('reject' in e ? e.reject : e.frame))).toEqual(['h1,h2', '"a,b",c', '"multi\nline",d', 'malformed_quote', '"x\ny",z', 'ok,1']);
  });
});
