/**
 * The compliance suite's own instruments, checked on inputs whose answer is known by hand: the
 * independent frame counters, the zip reader, the cut source and the memory sink. A counter that
 * agreed with the pipeline by sharing its mistake would make the accounting checks worthless.
 */
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { BytesSource, MemorySink, countCsvRecords, countJsonRecords, countLines, decodeIndependently, fixedCuts, lineCuts } from './harness.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('compliance harness', () => {
  it('counts lines: newline-terminated ones, a last one without newline, blank ones, CRLF', () => {
    expect(countLines(b(''))).toBe(0);
    expect(countLines(b('a'))).toBe(1);
    expect(countLines(b('a\n'))).toBe(1);
    expect(countLines(b('a\n\nb'))).toBe(3);
    expect(countLines(b('a\r\nb\r\n'))).toBe(2);
    expect(countLines(b('\n'))).toBe(1);
  });

  it('counts CSV records: quoted newlines stay in their record, a BOM is not a row, an unclosed quote resyncs at the next line', () => {
    expect(countCsvRecords(b('h1,h2\n1,2\n'))).toBe(2);
    expect(countCsvRecords(b('\uFEFFh1,h2\r\n1,"multi\r\nline"\r\n3,4'))).toBe(3);
    expect(countCsvRecords(b('h\n"a ""quoted"" cell"\n\n'))).toBe(3);
    // The row opening the quote counts once, every line after it is a row of its own.
    expect(countCsvRecords(b('h\n"open,1\n2,3\n4,5\n'))).toBe(4);
    expect(countCsvRecords(b('h\n"x"y,1\n'))).toBe(2);
    expect(countCsvRecords(b('\uFEFF'))).toBe(0);
  });

  it('counts JSON records: container arrays, top-level arrays, NDJSON with non-JSON lines; null when it cannot tell', () => {
    expect(countJsonRecords(b('{"Records":[{"a":1},{"a":2}]}'), ['Records'])).toBe(2);
    expect(countJsonRecords(b('{"other":1,"Records":[]}'), ['Records'])).toBe(0);
    expect(countJsonRecords(b('[1,{"a":2},"x"]'), [])).toBe(3);
    expect(countJsonRecords(b('{"a":1}\nnot json\n{"a":2}\n'), [])).toBe(3);
    expect(countJsonRecords(b('{"Records":[{"a":1}]}\n{"Records":[{"a":2},{"a":3}]}\n'), ['Records'])).toBe(3);
    expect(countJsonRecords(b('{"Records":[{"a":1},\n{"broken"\n]}'), ['Records'])).toBeNull();
    expect(countJsonRecords(b('{"Records":{"a":1}}'), ['Records'])).toBeNull();
  });

  it('decodes gzip, zip (every entry, in order) and plain bytes without the pipeline', () => {
    expect(decodeIndependently(gzipSync('a\nb\n'))).toEqual({ compression: 'gzip', entries: [{ name: null, data: b('a\nb\n') }], damaged: false });
    const zip = Buffer.from(zipSync({ 'one.csv': b('h\n1\n'), 'two.csv': [b('h\n2\n3\n'), { level: 0 }] }));
    const z = decodeIndependently(zip);
    expect(z.compression).toBe('zip');
    expect(z.entries.map((e) => [e.name, e.data.toString()])).toEqual([
      ['one.csv', 'h\n1\n'],
      ['two.csv', 'h\n2\n3\n'],
    ]);
    const cut = gzipSync(Buffer.alloc(100_000, 'line\n'));
    const damaged = decodeIndependently(cut.subarray(0, cut.byteLength - 20));
    expect(damaged.damaged).toBe(true);
    expect(damaged.entries[0]?.data.byteLength).toBeGreaterThan(0);
    expect(decodeIndependently(Buffer.alloc(0))).toEqual({ compression: 'empty', entries: [], damaged: false });
  });

  it('serves an object in exactly the reads asked for, and refuses a changed ETag', async () => {
    const bytes = b('ab\ncd\nef');
    expect(lineCuts(bytes)).toEqual([3, 6, 8]);
    expect(fixedCuts(8, 3)).toEqual([3, 6, 8]);
    const reads: string[] = [];
    const opened = await new BytesSource(bytes, lineCuts(bytes)).open({ bucket: 'b', key: 'k' });
    for await (const r of opened.body) reads.push(Buffer.from(r).toString());
    expect(reads).toEqual(['ab\n', 'cd\n', 'ef']);
    await expect(new BytesSource(bytes).open({ bucket: 'b', key: 'k', etag: '"other"' })).rejects.toMatchObject({ code: 'object_changed' });
  });

  it('keeps what a memory sink was given, and lists only lake and errors outputs', async () => {
    const sink = new MemorySink();
    const f = await sink.create('lake/source=x/dt=d/a.parquet');
    await f.write(b('12'));
    await f.write(b('3'));
    await f.close();
    const dropped = await sink.create('errors/source=x/dt=d/a.jsonl.gz');
    await dropped.write(b('x'));
    await dropped.abort();
    await sink.put('manifests/x/a.json', '{}');
    expect(Buffer.from((await sink.get('lake/source=x/dt=d/a.parquet')) ?? []).toString()).toBe('123');
    expect(sink.outputKeys()).toEqual(['lake/source=x/dt=d/a.parquet']);
  });
});
