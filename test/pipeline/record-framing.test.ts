/**
 * The line framer's records that span lines (`LineParser.recordStart`): joined lines, chunk
 * boundaries anywhere, CRLF, a last record without newline, lines before the first record, the
 * per-record byte cap, and what damage cuts.
 */
import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../schema/index.js';
import { LineFramer, type Framer, type FrameSink } from '../../pipeline/framing/framing.js';

type Event = { frame: string; invalid?: true } | { reject: RejectReason; raw: string; detail: string };

function collector(): { sink: FrameSink; events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    sink: {
      frame: (text, invalid) => events.push(invalid ? { frame: text, invalid: true } : { frame: text }),
      reject: (reason, raw, detail) => events.push({ reject: reason, raw, detail }),
    },
  };
}

const OPTS = { maxLineBytes: 64, maxRejectRawBytes: 16 };
/** Records start with `>`; everything else continues the open one. */
const startsRecord = (line: string): boolean => line.startsWith('>');
const records = (sink: FrameSink, opts = OPTS): Framer => new LineFramer(sink, opts, startsRecord);

function feed(input: Buffer | string, size: number, opts = OPTS): Event[] {
  const { sink, events } = collector();
  const framer = records(sink, opts);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let i = 0; i < buf.byteLength; i += size) framer.push(buf.subarray(i, i + size));
  framer.end();
  return events;
}

/** Every chunk size from 1 byte to the whole input. */
function atEverySize(input: string, expected: readonly Event[], opts = OPTS): void {
  for (let size = 1; size <= Buffer.byteLength(input); size++) expect(feed(input, size, opts), `chunks of ${size} bytes`).toEqual(expected);
}

describe('LineFramer with records that span lines', () => {
  it('joins the lines of each record with \\n, at every chunk size', () => {
    atEverySize('>a one\ntwo\n  three\n>b\n>c x\ny\n', [{ frame: '>a one\ntwo\n  three' }, { frame: '>b' }, { frame: '>c x\ny' }]);
  });

  it('drops the \\r of CRLF lines inside a record and keeps blank lines of a record', () => {
    atEverySize('>a\r\nq1\r\n\r\nq2\r\n>b\r\n', [{ frame: '>a\nq1\n\nq2' }, { frame: '>b' }]);
  });

  it('frames a last record without newline, and one ending in a blank line with it', () => {
    atEverySize('>a\n>b\nlast line', [{ frame: '>a' }, { frame: '>b\nlast line' }]);
    expect(feed('>a\nx\n\n', 3)).toEqual([{ frame: '>a\nx\n' }]);
  });

  it('makes each line before the first record start a frame of its own', () => {
    atEverySize('junk\n\nmore\n>a\nq\n', [{ frame: 'junk' }, { frame: '' }, { frame: 'more' }, { frame: '>a\nq' }]);
  });

  it('emits nothing for empty input', () => {
    expect(feed('', 4)).toEqual([]);
  });

  it('carries the invalid-UTF-8 flag of any line to its record', () => {
    const input = Buffer.concat([Buffer.from('>a\nok\nbad '), Buffer.from([0xff]), Buffer.from('\n>b\n')]);
    for (let size = 1; size <= input.byteLength; size++) expect(feed(input, size)).toEqual([{ frame: '>a\nok\nbad \\xFF', invalid: true }, { frame: '>b' }]);
  });

  it('rejects a record over maxLineBytes as line_too_long with a bounded prefix, the records around it intact', () => {
    // 6 lines of 10 bytes + 1 of 5, joined: 70 bytes > 64; each line alone is short.
    const long = ['>big 56789', ...Array.from({ length: 5 }, (_, i) => `line ${i}xxxx`), 'tail!'].join('\n');
    const events = feed(`>a\n${long}\n>b\n`, 7);
    expect(events).toEqual([
      { frame: '>a' },
      { reject: 'line_too_long', raw: '>big 56789\nline ', detail: 'a record of 71 bytes in 7 lines, limit 64 (raw keeps the first 16 characters)' },
      { frame: '>b' },
    ]);
    for (let size = 1; size <= 80; size++) expect(feed(`>a\n${long}\n>b\n`, size)).toEqual(events);
  });

  it('keeps a record of exactly maxLineBytes (newlines counted, \\r not)', () => {
    const exact = `>${'x'.repeat(30)}\r\n${'y'.repeat(32)}`;
    expect(Buffer.byteLength(exact.replace('\r', ''))).toBe(64);
    atEverySize(`${exact}\n>b`, [{ frame: `>${'x'.repeat(30)}\n${'y'.repeat(32)}` }, { frame: '>b' }]);
  });

  it('rejects a record one of whose lines alone is over the cap, a too-long line starting a record, and one outside any record', () => {
    const huge = 'z'.repeat(100);
    const input = `${huge}\n>a\n${huge}\nq\n>${huge}\n>b\n`;
    const expected: Event[] = [
      { reject: 'line_too_long', raw: 'z'.repeat(16), detail: '100 bytes, limit 64 (raw keeps the first 16)' },
      { reject: 'line_too_long', raw: `>a\n${'z'.repeat(13)}`, detail: 'a record of 105 bytes in 3 lines, limit 64 (raw keeps the first 16 characters)' },
      { reject: 'line_too_long', raw: `>${'z'.repeat(15)}`, detail: 'a record of 101 bytes in 1 lines, limit 64 (raw keeps the first 16 characters)' },
      { frame: '>b' },
    ];
    for (const size of [1, 3, 7, 64, 1000]) expect(feed(input, size), `chunks of ${size}`).toEqual(expected);
  });

  it('frames the open record as far as its whole lines go and hands back only the cut line when the input breaks', () => {
    const { sink, events } = collector();
    const framer = records(sink);
    framer.push(Buffer.from('>a\n>b\nq1\nq2 cut'));
    // "q2 cut" may be a continuation of >b or a record start cut short: it is the only damage.
    expect(framer.abandon()).toEqual({ text: 'q2 cut', bytes: 6 });
    expect(events).toEqual([{ frame: '>a' }, { frame: '>b\nq1' }]);
  });

  it('frames the open record whole when the cut line starts the next one', () => {
    const { sink, events } = collector();
    const framer = records(sink);
    framer.push(Buffer.from('>a\nq1\n>b cu'));
    expect(framer.abandon()).toEqual({ text: '>b cu', bytes: 5 });
    expect(events).toEqual([{ frame: '>a\nq1' }]);
  });

  it('frames the open record and hands back nothing when the break falls at a line end', () => {
    const { sink, events } = collector();
    const framer = records(sink);
    framer.push(Buffer.from('>a\nq1\n'));
    expect(framer.abandon()).toBeNull();
    expect(events).toEqual([{ frame: '>a\nq1' }]);
  });

  it('frames lines one by one as before without recordStart', () => {
    const { sink, events } = collector();
    const framer = new LineFramer(sink, OPTS);
    framer.push(Buffer.from('>a\nq1\n>b'));
    framer.end();
    expect(events).toEqual([{ frame: '>a' }, { frame: 'q1' }, { frame: '>b' }]);
  });
});
