import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../schema/index.js';
import { JsonRecordFramer, LineFramer, type Framer, type FrameSink } from '../../pipeline/framing.js';
import { ObjectError } from '../../pipeline/errors.js';

type Event = { frame: string; invalid?: true } | { reject: RejectReason; raw: string };

function collector(): { sink: FrameSink; events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    sink: {
      frame: (text, invalid) => events.push(invalid ? { frame: text, invalid: true } : { frame: text }),
      reject: (reason, raw) => events.push({ reject: reason, raw }),
    },
  };
}

const OPTS = { maxLineBytes: 64, maxRejectRawBytes: 16 };

/** Feeds `input` cut into pieces of `size` bytes, so every chunk boundary position is exercised. */
function feed(make: (sink: FrameSink) => Framer, input: Buffer | string, size: number): Event[] {
  const { sink, events } = collector();
  const framer = make(sink);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let i = 0; i < buf.byteLength; i += size) framer.push(buf.subarray(i, i + size));
  framer.end();
  return events;
}

const lines = (sink: FrameSink): Framer => new LineFramer(sink, OPTS);
const json = (sink: FrameSink): Framer => new JsonRecordFramer(sink, OPTS, ['Records'], 'test.json');

describe('LineFramer', () => {
  it('splits LF and CRLF lines and keeps a last line without newline, at every chunk size', () => {
    const input = 'alpha\r\nbeta\n\ngamma';
    for (let size = 1; size <= input.length; size++) {
      expect(feed(lines, input, size)).toEqual([{ frame: 'alpha' }, { frame: 'beta' }, { frame: '' }, { frame: 'gamma' }]);
    }
  });

  it('emits nothing for empty input and no phantom line after a final newline', () => {
    expect(feed(lines, '', 4)).toEqual([]);
    expect(feed(lines, 'one\n', 2)).toEqual([{ frame: 'one' }]);
  });

  it('rejects a line over maxLineBytes as line_too_long with a bounded raw prefix, neighbours intact', () => {
    const long = 'x'.repeat(200);
    for (const size of [1, 7, 64, 1000]) {
      const events = feed(lines, `before\n${long}\nafter\n`, size);
      expect(events).toEqual([{ frame: 'before' }, { reject: 'line_too_long', raw: 'x'.repeat(16) }, { frame: 'after' }]);
    }
  });

  it('keeps invalid UTF-8 visible as \\xNN and flags the line', () => {
    const input = Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xff, 0xc3]), Buffer.from(' end\né\n')]);
    expect(feed(lines, input, 3)).toEqual([{ frame: 'ok' }, { frame: 'bad \\xFF\\xC3 end', invalid: true }, { frame: 'é' }]);
  });

  it('decodes a multi-byte character split across chunks', () => {
    expect(feed(lines, 'a€b\n', 2)).toEqual([{ frame: 'a€b' }]);
  });
});

describe('JsonRecordFramer', () => {
  const doc = '{"Records":[{"a":"x}]\\"{"},{"b":[1,{"c":2}]}\n,{"d":"\\\\"}]}';
  it('yields each element of the Records array at every chunk size', () => {
    for (let size = 1; size <= doc.length; size++) {
      expect(feed(json, doc, size)).toEqual([{ frame: '{"a":"x}]\\"{"}' }, { frame: '{"b":[1,{"c":2}]}' }, { frame: '{"d":"\\\\"}' }]);
    }
  });

  it('finds Records after other keys and ignores nested arrays named Records', () => {
    const input = '{"meta":{"Records":[1]},"n":[{"x":1}],"Records":[{"e":1}]}';
    expect(feed(json, input, 5)).toEqual([{ frame: '{"e":1}' }]);
  });

  it('treats a top-level object without Records as one record (bare event, NDJSON, concatenated JSON)', () => {
    expect(feed(json, '{"e":1}\n{"e":2}{"e":3}', 3)).toEqual([{ frame: '{"e":1}' }, { frame: '{"e":2}' }, { frame: '{"e":3}' }]);
  });

  it('yields the elements of a top-level array', () => {
    expect(feed(json, ' [ {"e":1} , {"e":2} ] ', 2)).toEqual([{ frame: '{"e":1}' }, { frame: '{"e":2}' }]);
  });

  it('yields primitive elements as frames so the parser can reject them', () => {
    expect(feed(json, '{"Records":["s", 12, null,{"e":1}]}', 4)).toEqual([{ frame: '"s"' }, { frame: '12' }, { frame: 'null' }, { frame: '{"e":1}' }]);
  });

  it('rejects non-JSON text line by line as invalid_json and resumes at the next document', () => {
    expect(feed(json, 'WRONG one\n{"e":1}\nnope\n', 3)).toEqual([
      { reject: 'invalid_json', raw: 'WRONG one' },
      { frame: '{"e":1}' },
      { reject: 'invalid_json', raw: 'nope' },
    ]);
  });

  it('rejects a record cut off by the end of the object as truncated_record', () => {
    expect(feed(json, '{"Records":[{"e":1},{"e":"unfinish', 5)).toEqual([{ frame: '{"e":1}' }, { reject: 'truncated_record', raw: '{"e":"unfinish' }]);
  });

  it('rejects an oversized record as line_too_long and keeps framing the next one', () => {
    const big = `{"e":"${'y'.repeat(100)}"}`;
    expect(feed(json, `{"Records":[${big},{"e":2}]}`, 9)).toEqual([{ reject: 'line_too_long', raw: big.slice(0, 16) }, { frame: '{"e":2}' }]);
  });

  it('fails the object with records_not_array when Records holds something else', () => {
    expect(() => feed(json, '{"Records":{"e":1}}', 4)).toThrow(ObjectError);
    try {
      feed(json, '{"Records": "x"}', 100);
    } catch (e) {
      expect((e as ObjectError).code).toBe('records_not_array');
      expect((e as Error).message).toContain('"Records" must hold an array');
    }
  });

  it('renders invalid UTF-8 inside a record as an escaped \\xNN that survives JSON.parse', () => {
    const input = Buffer.concat([Buffer.from('{"Records":[{"ua":"a'), Buffer.from([0xfe]), Buffer.from('b"}]}')]);
    const [event] = feed(json, input, 4);
    expect(event).toEqual({ frame: '{"ua":"a\\\\xFEb"}', invalid: true });
    expect(JSON.parse((event as { frame: string }).frame)).toEqual({ ua: 'a\\xFEb' });
  });
});
