/**
 * `loglake ingest` around the pipeline: the --out checks, temporary files an interrupted run
 * leaves, progress inside an object, and the top-level usage of `loglake`.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_EXCLUDES } from '../../cli/commands/demo.js';
import { IngestProgress } from '../../cli/progress.js';
import { removeOwnTemp, removeStaleTemp, STALE_TEMP_MS } from '../../cli/temp-files.js';
import { loglake, MemoryOut, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/lake.js';

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
    p.objects(0, 2, 10);
    const opened = await p.hook.around({ bucket: '', key: 'big.log.gz' }, { source: { open: async () => ({ body: [new Uint8Array(2e6), new Uint8Array(2e6)], size: 10e6 }) } } as never, async (ref, deps) => {
      const o = await deps.source.open(ref);
      const it = o.body[Symbol.asyncIterator]();
      await it.next();
      now += 1000;
      await it.next();
      return { manifest: {}, error: null } as never;
    });
    expect(opened).toEqual({ manifest: {}, error: null });
    expect(p.line()).toBe('[1/2]  10 records  big.log.gz  4.00/10.0 MB  4.0 MB/s  ETA 0:02');
    // Drawn between objects; the first read, in the same 500 ms, is not drawn; the second, 1 s later, is.
    expect(err.text.split('\r\x1b[K').filter((l) => l !== '')).toEqual(['[0/2]  10 records', '[1/2]  10 records  big.log.gz  4.00/10.0 MB  4.0 MB/s  ETA 0:02']);
  });
});
