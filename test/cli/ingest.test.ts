/**
 * `loglake ingest` around the pipeline: the --out checks, temporary files an interrupted run
 * leaves, progress inside an object, and the top-level usage of `loglake`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_EXCLUDES } from '../../cli/commands/demo.js';
import { IngestProgress, type ProgressState } from '../../cli/progress.js';
import { FORMAT_HOOKS, ingestLocalFiles, resolveOptions, type ObjectHook } from '../../pipeline/index.js';
import { removeOwnTemp, removeStaleTemp, STALE_TEMP_MS } from '../../cli/temp-files.js';
import { loglake, MemoryOut, ROOT } from '../helpers/cli.js';
import { tempDir, writeInput } from '../helpers/lake.js';

const tmp = tempDir('loglake-ingest-');
afterAll(() => tmp.cleanup());
const TRAIL = join(ROOT, 'samples', 'cloudtrail');
const excludes = SAMPLE_EXCLUDES.flatMap((g) => ['--exclude', g]);

describe('loglake', () => {
  it('prints usage to stderr and exits 2 without arguments; --version prints the version', async () => {
    const none = await loglake();
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: loglake <command>/);
    const version = await loglake('--version');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatchObject({ code: 0, stdout: `loglake ${pkg.version}\n`, stderr: '' });
  });

  it('says a numeric option got a negative-looking value', async () => {
    const r = await loglake('ingest', TRAIL, '--out', join(tmp.path, 'x'), '--row-group-rows', '-5');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--row-group-rows must be a positive integer, got "-5"');
    const other = await loglake('ingest', TRAIL, '--out', '-5');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--out needs a value, got "-5"');
  });
});

describe('loglake ingest --out', () => {
  it.each([
    ['/proc/x', /cannot create the folder \(ENOENT\)/],
    [join(ROOT, 'README.md'), /is a file, not a folder/],
    [join(ROOT, 'README.md', 'sub'), /a part of the path is a file, not a folder/],
  ])('refuses %s in one line, exit 2', async (out, why) => {
    const r = await loglake('ingest', TRAIL, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('removes temporary files an interrupted run left over an hour ago, not newer ones', async () => {
    const out = join(tmp.path, 'stale');
    const dir = join(out, 'lake', 'source=alb', 'dt=2024-05-01');
    mkdirSync(dir, { recursive: true });
    const old = join(dir, 'part-0.parquet.tmp-99999-0');
    const fresh = join(dir, 'part-1.parquet.tmp-99999-1');
    writeFileSync(old, 'half written');
    writeFileSync(fresh, 'being written');
    const past = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    utimesSync(old, past, past);
    const r = await loglake('ingest', TRAIL, '--out', out, ...excludes);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('removed 1 temporary files an interrupted run left');
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('removes the temporary files of one process (what SIGINT does), and stale ones by age', () => {
    const root = join(tmp.path, 'own');
    mkdirSync(join(root, 'manifests'), { recursive: true });
    const mine = join(root, 'manifests', `a.json.tmp-${process.pid}-3`);
    const theirs = join(root, 'manifests', 'b.json.tmp-1-3');
    const final = join(root, 'manifests', 'c.json');
    for (const f of [mine, theirs, final]) writeFileSync(f, '{}');
    expect(removeOwnTemp(root)).toBe(1);
    expect([existsSync(mine), existsSync(theirs), existsSync(final)]).toEqual([false, true, true]);
    expect(removeStaleTemp(root, STALE_TEMP_MS, Date.now() + 2 * STALE_TEMP_MS)).toBe(1);
    expect(existsSync(final)).toBe(true);
  });
});

describe('ingest progress', () => {
  it('with --progress, reports on stderr even when it is not a terminal', async () => {
    const r = await loglake('ingest', TRAIL, '--out', join(tmp.path, 'progress'), '--progress', ...excludes);
    expect(r.code).toBe(0);
    // Plain lines, throttled: the small samples take less than 500 ms, so only the first is drawn;
    // the bytes, rate and ETA inside an object are checked with a clock below.
    expect(r.stderr).toMatch(/^\[0\/\d+\] {2}0 records\n/);
    expect(r.stderr).not.toContain('\x1b[K');
  });

  it('without --progress and without a terminal, prints nothing on stderr', async () => {
    const r = await loglake('ingest', TRAIL, '--out', join(tmp.path, 'quiet'), ...excludes);
    expect(r.stderr).toBe('');
  });

  it('computes MB/s and an ETA from the compressed size, throttled to every 500 ms', async () => {
    let now = 1_000_000;
    const err = new MemoryOut(true);
    const p = new IngestProgress(err, true, () => now);
    p.start(2);
    const opened = await p.hook.around({ bucket: '', key: 'big.log.gz' }, { source: { open: async () => ({ body: [new Uint8Array(2e6), new Uint8Array(2e6)], size: 10e6 }) } } as never, async (ref, deps) => {
      const o = await deps.source.open(ref);
      const it = o.body[Symbol.asyncIterator]();
      await it.next();
      deps.onRecords?.(6);
      now += 1000;
      await it.next();
      expect(p.line()).toBe('[0/2]  6 records  4.00 MB read  big.log.gz  4.00/10.0 MB  4.0 MB/s  ETA 0:02');
      return { manifest: { records: 10 }, error: null } as never;
    });
    expect(opened).toEqual({ manifest: { records: 10 }, error: null });
    // Done: its records are those of its manifest, its bytes stay counted.
    expect(p.line()).toBe('[1/2]  10 records  4.00 MB read');
    // Drawn at the start; the first read, in the same 500 ms, is not drawn; the second, 1 s later, is.
    expect(err.text.split('\r\x1b[K').filter((l) => l !== '')).toEqual(['[0/2]  0 records', '[0/2]  6 records  4.00 MB read  big.log.gz  4.00/10.0 MB  4.0 MB/s  ETA 0:02']);
  });

  it('counts objects in flight at the same time apart: their bytes and records add up, none replaces another', async () => {
    let now = 1_000_000;
    const p = new IngestProgress(new MemoryOut(true), true, () => now);
    p.start(3);
    const source = { open: async (ref: { key: string }) => ({ body: [new Uint8Array(ref.key === 'a.log' ? 1e6 : 3e6)], size: ref.key === 'a.log' ? 2e6 : 4e6 }) };
    // Two objects opened and read before either ends, as two lanes of `--threads` run them.
    const gates: Array<() => void> = [];
    const run = (key: string, records: number) =>
      p.hook.around({ bucket: '', key }, { source } as never, async (ref, deps) => {
        const o = await deps.source.open(ref);
        for await (const _ of o.body) deps.onRecords?.(records - 1);
        await new Promise<void>((resolve) => gates.push(resolve));
        return { manifest: { records }, error: null } as never;
      });
    const a = run('a.log', 5);
    const b = run('b.log', 7);
    while (gates.length < 2) await new Promise((r) => setTimeout(r, 1));
    now += 1000;
    expect(p.state()).toEqual({ done: 0, total: 3, running: 2, records: 4 + 6, read: 4e6 });
    expect(p.line()).toBe('[0/3]  10 records  4.00 MB read  2 running  4.00/6.00 MB  4.0 MB/s  ETA 0:01');
    (gates[1] as () => void)();
    await b;
    expect(p.state()).toEqual({ done: 1, total: 3, running: 1, records: 4 + 7, read: 4e6 });
    expect(p.line()).toBe('[1/3]  11 records  4.00 MB read  a.log  1.00/2.00 MB  4.0 MB/s  ETA 0:00');
    (gates[0] as () => void)();
    await a;
    expect(p.state()).toEqual({ done: 2, total: 3, running: 0, records: 12, read: 4e6 });
  });

  it('with several objects at a time, the line only goes forward and ends at the exact totals', async () => {
    // Four objects in flight at once, each read in several chunks and reporting records between them.
    const dir = join(tmp.path, 'concurrent-in');
    const files = Array.from({ length: 6 }, (_, f) => {
      const events = Array.from({ length: 1500 + 500 * f }, (_, i) => ({
        eventVersion: '1.09',
        eventTime: '2024-05-01T10:00:00Z',
        eventName: `Call-${f}-${i}`,
        eventSource: 'ec2.amazonaws.com',
        awsRegion: 'eu-west-1',
        eventID: `id-${f}-${i}-${'x'.repeat(200)}`,
      }));
      return writeInput(dir, `f${f}.json`, JSON.stringify({ Records: events }));
    });
    let now = 0;
    const err = new MemoryOut(false);
    // Every call a second later: every change is drawn.
    const p = new IngestProgress(err, false, () => (now += 1000));
    const states: ProgressState[] = [];
    const hook: ObjectHook = { name: 'spy', around: (ref, deps, next) => next(ref, { ...deps, onRecords: (n) => (deps.onRecords?.(n), states.push(p.state())) }) };
    p.start(files.length);
    const summary = await ingestLocalFiles(files, { lakeDir: join(tmp.path, 'concurrent'), options: resolveOptions({ threads: 4 }), hooks: [p.hook, hook, ...FORMAT_HOOKS] });
    states.push(p.state());

    expect(summary.reports.map((r) => r.manifest.object)).toEqual(files);
    expect(summary.reports.map((r) => r.manifest.records)).toEqual([1500, 2000, 2500, 3000, 3500, 4000]);
    expect(Math.max(...states.map((s) => s.running))).toBeGreaterThanOrEqual(2);
    for (const key of ['done', 'records', 'read'] as const) {
      const values = states.map((s) => s[key]);
      expect(values, key).toEqual([...values].sort((x, y) => x - y));
    }
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(states.at(-1)).toEqual({ done: 6, total: 6, running: 0, records: 16_500, read: bytes });
    // The drawn lines too: objects done, records and MB read never go back.
    const drawn = err.text.split('\n').filter((l) => l !== '').map((l) => /^\[(\d+)\/6\] {2}([\d,]+) records(?: {2}([\d.]+) MB read)?/.exec(l));
    expect(drawn.every((m) => m !== null)).toBe(true);
    for (const i of [1, 2, 3]) {
      const values = drawn.map((m) => Number((m?.[i] ?? '0').replaceAll(',', '')));
      expect(values).toEqual([...values].sort((x, y) => x - y));
    }
    expect(err.text).toMatch(/ {2}[234] running {2}/);
    expect(drawn.at(-1)?.slice(1, 3)).toEqual(['6', '16,500']);
  });
});
