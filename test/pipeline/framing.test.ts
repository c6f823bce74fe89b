import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../schema/index.js';
import { jsonErrorDetail, JsonRecordFramer, LineFramer, parseJson, type Framer, type FrameSink } from '../../pipeline/framing/framing.js';
import { ObjectError } from '../../pipeline/run/errors.js';

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

describe('JsonRecordFramer: a damaged record costs only itself (salvage)', () => {
  const OPEN = { maxLineBytes: 1 << 16, maxRejectRawBytes: 1 << 16 };
  type Seen = { frame: string; parsed: boolean } | { reject: RejectReason; raw: string };
  /** Frames and rejects, at every chunk size from 1 byte to the whole input, which must all agree. */
  const frame = (input: string, keys: readonly string[] = ['Records']): Seen[] => {
    const runs: Seen[][] = [];
    for (const size of [1, 2, 3, 7, 64, input.length]) {
      const seen: Seen[] = [];
      const framer = new JsonRecordFramer(
        { frame: (text, _i, _c, json) => seen.push({ frame: text, parsed: json?.ok === true }), reject: (reason, raw) => seen.push({ reject: reason, raw }) },
        OPEN,
        keys,
        'test.json',
      );
      const buf = Buffer.from(input);
      for (let i = 0; i < buf.byteLength; i += size) framer.push(buf.subarray(i, i + size));
      framer.end();
      runs.push(seen);
    }
    for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
    return runs[0] as Seen[];
  };
  const rec = (n: number, extra = ''): string =>
    `{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:0${n}Z","resources":[{"ARN":"arn:a:${n}","type":"T"},{"ARN":"arn:b:${n}","type":"T"}],"eventName":"Get${n}"${extra}}`;
  const ok = (text: string): Seen => ({ frame: text, parsed: true });
  const trail = (records: readonly string[]): string => `{"Records":[${records.join(',')}]}\n`;

  it('clean: every record framed and parsed once', () => {
    expect(frame(trail([rec(1), rec(2), rec(3)]))).toEqual([ok(rec(1)), ok(rec(2)), ok(rec(3))]);
  });

  it('a closing quote flipped turns the rest of the line inside out: the record is rejected, the ones after it kept', () => {
    const bad = rec(1).replace('"Get1"', '"Get1X');
    expect(frame(trail([bad, rec(2), rec(3)]))).toEqual([{ reject: 'invalid_json', raw: `${bad},` }, ok(rec(2)), ok(rec(3))]);
  });

  it('a record whose closing brace was lost: rejected up to the next record', () => {
    const bad = `${rec(1).slice(0, -1)}|`;
    expect(frame(trail([bad, rec(2), rec(3)]))).toEqual([{ reject: 'invalid_json', raw: `${bad},` }, ok(rec(2)), ok(rec(3))]);
  });

  it('a lost opening bracket: the record reads on to its own end and fails alone', () => {
    const bad = rec(2).replace('"resources":[{', '"resources":[x');
    expect(frame(trail([rec(1), bad, rec(3)]))).toEqual([ok(rec(1)), { frame: bad, parsed: false }, ok(rec(3))]);
  });

  it('an extra closing brace: the record ends early, the stray brace is one reject, the array stays open', () => {
    const bad = `${rec(1)}}`;
    expect(frame(trail([bad, rec(2), rec(3)]))).toEqual([ok(rec(1)), { reject: 'invalid_json', raw: '}' }, ok(rec(2)), ok(rec(3))]);
  });

  it('two damaged records in one line: each costs itself', () => {
    const bad1 = rec(1).replace('"Get1"', '"Get1X');
    const bad3 = rec(3).replace('"eventTime":', '"eventTime:');
    expect(frame(trail([bad1, rec(2), bad3, rec(4), rec(5)]))).toEqual([
      { reject: 'invalid_json', raw: `${bad1},` },
      ok(rec(2)),
      { reject: 'invalid_json', raw: `${bad3},` },
      ok(rec(4)),
      ok(rec(5)),
    ]);
  });

  it('a damaged value before a nested array of objects does not make its elements records', () => {
    const bad = rec(2).replace('"eventVersion":"1.08"', '"eventVersion":nul!');
    expect(frame(trail([rec(1), bad, rec(3)]))).toEqual([ok(rec(1)), { frame: bad, parsed: false }, ok(rec(3))]);
  });

  it('the first record damaged: the key records start with is taken from the damaged record itself', () => {
    const bad = rec(1).replace('"T"},{', '"T},{');
    expect(frame(trail([bad, rec(2), rec(3)]))).toEqual([{ reject: 'invalid_json', raw: `${bad},` }, ok(rec(2)), ok(rec(3))]);
  });

  it('a damaged record, then the file cut inside the last record', () => {
    const bad = rec(1).replace('"Get1"', '"Get1X');
    const cut = trail([bad, rec(2), rec(3)]).slice(0, -20);
    const tail = rec(3).slice(0, rec(3).length - 17);
    expect(frame(cut)).toEqual([{ reject: 'invalid_json', raw: `${bad},` }, ok(rec(2)), { reject: 'truncated_record', raw: tail }]);
  });

  it('pretty-printed: a lost opening brace in a nested array: the record reads on to its own end and fails alone', () => {
    const pretty = (n: number): string => JSON.stringify(JSON.parse(rec(n)), null, 2).replace(/\n/g, '\n  ');
    const bad = pretty(1).replace('[\n      {', '[\n      X');
    expect(bad).not.toBe(pretty(1));
    expect(frame(`{\n  "Records": [\n  ${bad},\n  ${pretty(2)}\n  ]\n}\n`)).toEqual([{ frame: bad, parsed: false }, ok(pretty(2))]);
  });

  it('a lost opening brace of a nested object closes the record early: its rest up to its real end is one more frame, the next record kept', () => {
    const bad = rec(1).replace('"resources":', '"userIdentity":X"type":"Root"},"resources":');
    const early = bad.indexOf('},"resources"') + 1;
    expect(frame(trail([bad, rec(2)]))).toEqual([
      { frame: bad.slice(0, early), parsed: false },
      { frame: '"resources"', parsed: true },
      { frame: bad.slice(early + ',"resources"'.length), parsed: false },
      ok(rec(2)),
    ]);
  });

  it('NDJSON: a flipped quote that hides the line break (escaped quotes after it) is rejected with its line, the next lines kept', () => {
    // The escaped quotes of an embedded message flip the parity back, so the line ends outside a
    // string and the framer reads the next lines as part of this document.
    const doc = (n: number): string => `{"eventVersion":"1.08","eventName":"Get${n}","Message":"{\\"a\\":${n}}"}`;
    const bad = doc(1).replace('"eventName":', '"eventName:');
    expect(frame(`${bad}\n${doc(2)}\n${doc(3)}\n`)).toEqual([{ reject: 'invalid_json', raw: `${bad}\n` }, ok(doc(2)), ok(doc(3))]);
  });
});

describe('JSON error details', () => {
  it('are the same on every Node.js: the line and column newer V8 appends are left out', () => {
    const parsed = parseJson('{"a":1 "b":2}');
    expect(parsed).toEqual({ ok: false, error: "Expected ',' or '}' after property value in JSON at position 7" });
    expect(jsonErrorDetail("Expected ',' or '}' after property value in JSON at position 120 (line 1 column 121)")).toBe(
      "Expected ',' or '}' after property value in JSON at position 120",
    );
    expect(jsonErrorDetail('Unexpected end of JSON input')).toBe('Unexpected end of JSON input');
  });
});
