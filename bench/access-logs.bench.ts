/**
 * Access logs (ALB, Classic ELB, NLB, S3 server access, CloudFront): for each format, on the
 * same generated lines and in one run, decompression + line splitting alone, parse + normalize
 * alone, the shared tokenizer alone (the part of parsing every parser must do: cut the line into
 * its fields, nothing converted, no record built), AWS's Athena RegexSerDe pattern for the format (read at run time from the corpus's
 * FORMATS.md section 12; CloudFront's Athena table is tab-delimited, so its baseline is
 * `split('\t')`), and the whole path to Parquet. The regex scenario also counts every line on
 * which the pattern and our parser disagree, field by field. Parse and pattern take the best of
 * three passes over lines held in memory. `npm run bench -- access-logs`.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { PARSERS, type ParseContext, type LineParser } from '../parsers/index.js';
import { Tokens, tokenize } from '../parsers/shared/tokenizer.js';
import { LineFramer } from '../pipeline/framing/framing.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { processObject } from '../pipeline/index.js';
import { athenaTable, ATHENA_SECTIONS, disagreements, type AthenaFormat } from '../test/helpers/athena-regex.js';
import { CORPUS } from '../test/helpers/corpus.js';
import { accessLogFile, type AccessFormat } from './gen-access-logs.js';
import { main, MiB, scenario, wholePath, type Result } from './lib.js';

const SIZE_MIB = 48;
const FORMATS: readonly AccessFormat[] = ['alb', 'elb', 'nlb', 's3access', 'cloudfront'];
const READ = { highWaterMark: MiB };
const FRAMING = { maxLineBytes: 4 * MiB, maxRejectRawBytes: 64 * 1024 };

async function gunzipLines(path: string, onLine: (line: string) => void): Promise<void> {
  const framer = new LineFramer({ frame: (t) => onLine(t), reject: () => undefined }, FRAMING);
  for await (const chunk of createReadStream(path, READ).pipe(createGunzip({ chunkSize: 256 * 1024 }))) framer.push(chunk as Buffer);
  framer.end();
}

/** Every line of the file in memory, so the parse and regex scenarios time only themselves. */
async function loadLines(path: string): Promise<string[]> {
  const lines: string[] = [];
  await gunzipLines(path, (l) => lines.push(l));
  return lines;
}

function parserOf(format: AccessFormat): LineParser {
  const p = PARSERS.find((x) => x.id === format);
  if (!p || p.framing !== 'lines') throw new Error(`no line parser ${format}`);
  return p;
}

/** Runs the parser over all lines the way the pipeline does (header hook, then parse). */
function parseAll(parser: LineParser, lines: readonly string[], count: number): number {
  const ctx: ParseContext = { object: 'bench', ordinal: 0, state: parser.createState?.() };
  let records = 0;
  for (let i = 0; i < count; i++) {
    const line = lines[i] as string;
    if (parser.header?.(line, ctx.state)) continue;
    ctx.ordinal = i + 1;
    if (parser.parse(line, ctx).ok === true) records++;
  }
  return records;
}

const WARMUP_LINES = 20_000;
/** Timed passes over the in-memory lines; the fastest counts, so a busy neighbour skews less. */
const PASSES = 3;

function bestOf(pass: () => number): { seconds: number; value: number } {
  let seconds = Infinity;
  let value = 0;
  for (let i = 0; i < PASSES; i++) {
    const t0 = performance.now();
    value = pass();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, value };
}

for (const format of FORMATS) {
  scenario(`${format}: gunzip + line splitting`, async () => {
    const f = await accessLogFile(format, SIZE_MIB);
    let lines = 0;
    const t0 = performance.now();
    await gunzipLines(f.path, () => lines++);
    const seconds = (performance.now() - t0) / 1000;
    if (lines !== f.lines + f.headerLines) throw new Error(`split ${lines} lines, expected ${f.lines + f.headerLines}`);
    return { inputMiB: f.bytes / MiB, seconds, records: lines };
  });

  scenario(`${format}: parse + normalize`, async () => {
    const f = await accessLogFile(format, SIZE_MIB);
    const lines = await loadLines(f.path);
    const parser = parserOf(format);
    parseAll(parser, lines, Math.min(WARMUP_LINES, lines.length));
    const { seconds, value: records } = bestOf(() => parseAll(parser, lines, lines.length));
    if (records !== f.lines) throw new Error(`parsed ${records} records, expected ${f.lines}`);
    return { inputMiB: f.bytes / MiB, seconds, records };
  });

  if (format !== 'cloudfront') {
    scenario(`${format}: tokenize only`, async () => {
      const f = await accessLogFile(format, SIZE_MIB);
      const lines = await loadLines(f.path);
      const tokens = new Tokens();
      const brackets = format === 's3access';
      const pass = (count: number): number => {
        let fields = 0;
        for (let i = 0; i < count; i++) if (tokenize(lines[i] as string, tokens, brackets)) fields += tokens.count;
        return fields;
      };
      pass(Math.min(WARMUP_LINES, lines.length));
      const { seconds, value: fields } = bestOf(() => pass(lines.length));
      return { inputMiB: f.bytes / MiB, seconds, records: lines.length, note: `${fields.toLocaleString('en-US')} fields` };
    });
  }

  scenario(`${format}: Athena ${format === 'cloudfront' ? "delimited SerDe (split('\\t'))" : 'RegexSerDe'}`, async () => {
    const f = await accessLogFile(format, SIZE_MIB);
    const lines = await loadLines(f.path);
    if (format === 'cloudfront') {
      const data = lines.filter((l) => !l.startsWith('#'));
      for (let i = 0; i < Math.min(WARMUP_LINES, data.length); i++) (data[i] as string).split('\t');
      const { seconds, value: columns } = bestOf(() => {
        let n = 0;
        for (const l of data) n += l.split('\t').length;
        return n;
      });
      if (columns !== data.length * 33) throw new Error(`split ${columns} columns, expected ${data.length * 33}`);
      return { inputMiB: f.bytes / MiB, seconds, records: data.length, note: 'no RegexSerDe: AWS reads CloudFront with a tab-delimited SerDe' };
    }
    const table = athenaTable(readFileSync(join(CORPUS, 'FORMATS.md'), 'utf8'), ATHENA_SECTIONS[format as AthenaFormat]);
    for (let i = 0; i < Math.min(WARMUP_LINES, lines.length); i++) table.regex.exec(lines[i] as string);
    const { seconds, value: matched } = bestOf(() => {
      let n = 0;
      for (const l of lines) if (table.regex.exec(l) !== null) n++;
      return n;
    });
    // Agreement, untimed: every line where the pattern and the parser read different values.
    const parser = parserOf(format);
    const ctx: ParseContext = { object: 'bench', ordinal: 0, state: undefined };
    let differing = 0;
    let noMatch = 0;
    const byColumn = new Map<string, number>();
    for (const l of lines) {
      const captures = table.regex.exec(l);
      const parsed = parser.parse(l, ctx);
      if (captures === null || parsed.ok !== true) {
        if (captures === null) noMatch++;
        if (captures !== null || parsed.ok === true) differing++;
        continue;
      }
      const d = disagreements(format as AthenaFormat, table, captures, parsed.record);
      if (d.length > 0) differing++;
      for (const c of d) byColumn.set(c, (byColumn.get(c) ?? 0) + 1);
    }
    const columns = [...byColumn].map(([c, n]) => `${c}:${n}`).join(' ');
    return {
      inputMiB: f.bytes / MiB,
      seconds,
      records: matched,
      note: `FORMATS.md ${table.section}; lines disagreeing: ${differing} of ${lines.length}${noMatch ? ` (${noMatch} not matched by the pattern)` : ''}${columns ? `; columns: ${columns}` : ''}`,
    };
  });

  scenario(`${format}: whole path to Parquet (${resolveOptions().codec})`, async () => {
    const f = await accessLogFile(format, SIZE_MIB);
    const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
    try {
      const t0 = performance.now();
      const { manifest: m } = await processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions() });
      const seconds = (performance.now() - t0) / 1000;
      if (m.records !== f.lines || m.source !== format) throw new Error(`wrote ${m.records} ${m.source} records, expected ${f.lines} ${format}`);
      const out = m.outputs.reduce((a, o) => a + o.bytes, 0);
      return { inputMiB: f.bytes / MiB, seconds, records: m.records, outputMiB: out / MiB };
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
}

// Worker threads (pipeline/threads/): ~200 MiB of ALB, one thread against two, and 2 GiB with
// two (peak RSS must not grow with the input).
for (const [mib, threads] of [[200, 1], [200, 2], [2048, 2]] as const) {
  scenario(`alb: whole path, ${mib} MiB, ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
    const f = await accessLogFile('alb', mib);
    const r = await wholePath(f.path, f.bytes, threads);
    if (r.records !== f.lines) throw new Error(`wrote ${r.records} records, expected ${f.lines}`);
    return r;
  });
}

const results = await main(import.meta.url, 'Access logs');

function rate(results: readonly Result[], name: string): number | undefined {
  const r = results.find((x) => x.name.startsWith(name));
  return r && r.inputMiB > 0 ? r.inputMiB / r.seconds : undefined;
}

if (results.length > 0) {
  const rows = ['| format | parse+normalize / Athena baseline | tokenize only / Athena baseline | target | whole path / (gunzip + split) | target |', '|---|---|---|---|---|---|'];
  for (const format of FORMATS) {
    const parse = rate(results, `${format}: parse + normalize`);
    const base = rate(results, `${format}: Athena`);
    const tokenizeOnly = rate(results, `${format}: tokenize only`);
    const whole = rate(results, `${format}: whole path`);
    const split = rate(results, `${format}: gunzip + line splitting`);
    const ratio = parse && base ? `${(parse / base).toFixed(2)}x` : 'n/a';
    const share = whole && split ? `${((whole / split) * 100).toFixed(0)} %` : 'n/a';
    const tokenRatio = tokenizeOnly && base ? `${(tokenizeOnly / base).toFixed(2)}x` : 'n/a';
    rows.push(`| ${format} | ${ratio} | ${tokenRatio} | ${format === 'nlb' || format === 'cloudfront' ? '—' : '>= 2x'} | ${share} | >= 25 % |`);
  }
  process.stdout.write(`\n${rows.join('\n')}\n`);
}
