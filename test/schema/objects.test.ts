/**
 * The `objects` table: its columns are the manifest's fields (one definition, `MANIFEST_COLUMNS`),
 * the DuckDB view reads back what real runs wrote, and the named queries over it run against a
 * local lake as Athena would run them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { NAMED_QUERIES } from '../../infra/queries.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { LakeQuery } from '../../query/lake-query.js';
import { MANIFEST_COLUMNS, type ManifestColumnName } from '../../schema/index.js';
import type { ObjectRef, OpenedObject } from '../../pipeline/storage/storage.js';
import { ctEvent, trailOf } from '../helpers/cloudtrail.js';
import { BytesSource, filesUnder, runLocal, tempDir, writeInput } from '../helpers/lake.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ALB_LINE = readFileSync(join(ROOT, 'samples', 'alb', 'bad-lines.log'), 'utf8').split('\n')[0] as string;
const HOUR_MS = 3_600_000;

const input = tempDir('loglake-objects-in-');
const lake = tempDir('loglake-objects-lake-');
/** Every manifest the runs below returned, by how the run ended. */
const manifests: Record<string, Manifest> = {};

/** Writes `name` with a last-modified time `ageMs` ago, so the manifest's ingest lag is known. */
function aged(name: string, body: string | Buffer, ageMs: number): string {
  const path = writeInput(input.path, name, body);
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(path, t, t);
  return path;
}

/** An object served in small reads, so a run can stop before its end, with a last-modified time. */
class AgedBytes extends BytesSource {
  constructor(
    bytes: Buffer,
    readBytes: number,
    private readonly lastModifiedMs: number,
  ) {
    super(bytes, readBytes);
  }

  override async open(ref: ObjectRef): Promise<OpenedObject> {
    return { ...(await super.open(ref)), lastModifiedMs: this.lastModifiedMs };
  }
}

/** A MAP column as DuckDB's JSON rows give it (key/value entries), as the manifest's object. */
const mapOf = (v: unknown): Record<string, number> => Object.fromEntries((v as Array<{ key: string; value: string }>).map((e) => [e.key, Number(e.value)]));

beforeAll(async () => {
  // One run of each way a manifest can end, so every field some path sets is written once.
  manifests.ok = (await runLocal(aged('alb/bad-lines.log', readFileSync(join(ROOT, 'samples', 'alb', 'bad-lines.log')), HOUR_MS), lake.path)).manifest;
  // Lines that differ (a digest per line), so the gzip object spans several reads and a run can stop part-way.
  const many = gzipSync(`${Array.from({ length: 20_000 }, (_, i) => ALB_LINE.replace(/TID_\w+$/, `TID_${createHash('md5').update(String(i)).digest('hex')}`)).join('\n')}\n`);
  let calls = 0;
  const pieces = new AgedBytes(many, 4096, Date.now() - HOUR_MS);
  manifests.partial = (await runLocal(aged('alb/many.log.gz', many, HOUR_MS), lake.path, { source: pieces, shouldYield: () => ++calls >= 1 })).manifest;
  manifests.damaged = (await runLocal(aged('alb/cut.log.gz', many.subarray(0, Math.floor(many.length / 2)), 2 * HOUR_MS), lake.path)).manifest;
  manifests.failed = (await runLocal(aged('mystery/notes.txt', 'nothing any parser knows\n', HOUR_MS), lake.path)).manifest;
  const cur = gzipSync('identity/LineItemId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode\nr1,2024-03-01T00:00:00Z,1.5,USD\n');
  manifests.staged = (await runLocal(aged('cur/acme-cur/20240301-20240401/0a1b-2c/acme-cur-1.csv.gz', cur, HOUR_MS), lake.path)).manifest;
  manifests.firehose = (await runLocal(aged('firehose/stream.gz', readFileSync(join(ROOT, 'samples', 'cwlogs', 'firehose-several-streams.gz')), HOUR_MS), lake.path)).manifest;
  // A CloudTrail log file, whose manifest records the hash its digest lists.
  const trailLog = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1000Z_0123456789abcdef.json.gz';
  manifests.cloudtrail = (await runLocal(aged(trailLog, gzipSync(trailOf([ctEvent(1, new Date(Date.now() - HOUR_MS).toISOString())])), HOUR_MS), lake.path)).manifest;
}, 120_000);
afterAll(() => {
  input.cleanup();
  lake.cleanup();
});

const names = MANIFEST_COLUMNS.map((c) => c.name);

describe('MANIFEST_COLUMNS', () => {
  it('has one column per field of the Manifest interface, and no other (checked by the type checker)', () => {
    expectTypeOf<ManifestColumnName>().toEqualTypeOf<keyof Manifest>();
  });

  it('runs of every ending wrote the statuses this test relies on', () => {
    expect(Object.fromEntries(Object.entries(manifests).map(([k, m]) => [k, m.status]))).toEqual({
      ok: 'ok',
      partial: 'partial',
      damaged: 'damaged',
      failed: 'failed',
      staged: 'ok',
      firehose: 'ok',
      cloudtrail: 'ok',
    });
    expect(manifests.cloudtrail?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifests.staged?.publication?.state).toBe('staged');
  });

  it('equals the fields the pipeline writes into manifests, over runs of every ending', () => {
    const written = new Set(Object.values(manifests).flatMap((m) => Object.keys(m)));
    expect([...written].sort()).toEqual([...names].sort());
  });

  it('names each column once, in the order the worker writes the fields', () => {
    expect(new Set(names).size).toBe(names.length);
    const order = Object.keys(manifests.ok as Manifest);
    expect(names.filter((n) => order.includes(n))).toEqual(order);
  });
});

describe('docs/objects.md', () => {
  it('documents every column with the type Athena reads it as, in order', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'objects.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1], (m[2] as string).trim()]);
    expect(rows).toEqual(MANIFEST_COLUMNS.map((c) => [c.name, c.athena]));
  });
});

describe('the objects view', () => {
  let q: LakeQuery;
  beforeAll(async () => {
    q = await LakeQuery.open(lake.path);
  });
  afterAll(() => q.close());

  it('has one row per manifest file, each with the values the manifest holds', async () => {
    const files = filesUnder(join(lake.path, 'manifests'));
    const { columns, rows } = await q.rows('SELECT * FROM objects ORDER BY object');
    expect(columns).toEqual(names);
    expect(rows).toHaveLength(files.length);
    for (const m of Object.values(manifests)) {
      const row = rows.find((r) => r.object === m.object) as Record<string, unknown>;
      expect(row, m.object).toBeDefined();
      // BIGINT columns come back as text from DuckDB's JSON rows.
      expect(row).toMatchObject({ status: m.status, reason: m.reason, records: String(m.records), rejected: String(m.rejected), lines_in: String(m.lines_in), started_at: m.started_at, finished_at: m.finished_at });
      expect(mapOf(row.rejected_by_reason)).toEqual(m.rejected_by_reason);
      expect(JSON.parse(row.outputs as string)).toEqual(m.outputs);
      expect(row.damage === null ? null : JSON.parse(row.damage as string)).toEqual(m.damage ?? null);
      expect(row.resume === null ? null : JSON.parse(row.resume as string)).toEqual(m.resume ?? null);
      expect(row.publication === null ? null : JSON.parse(row.publication as string)).toEqual(m.publication ?? null);
      expect(row.earlier_errors_outputs).toEqual(m.earlier_errors_outputs ?? null);
    }
  });

  it('stores each manifest as one line, which Athena’s JSON SerDe needs', () => {
    for (const f of filesUnder(join(lake.path, 'manifests'))) {
      const text = readFileSync(join(lake.path, 'manifests', f), 'utf8');
      expect(text.endsWith('\n'), f).toBe(true);
      expect(text.trimEnd().includes('\n'), f).toBe(false);
    }
  });

  it('still reads a manifest stored in several lines by an older version', async () => {
    const old = tempDir('loglake-objects-old-');
    try {
      const m = { ...(manifests.ok as Manifest), object: 's3://old/key.log', object_id: 'old' };
      writeInput(old.path, 'manifests/alb/old.json', `${JSON.stringify(m, null, 2)}\n`);
      writeInput(old.path, 'manifests/alb/new.json', `${JSON.stringify(manifests.failed)}\n`);
      const view = await LakeQuery.open(old.path);
      try {
        const { rows } = await view.rows('SELECT object, status, records FROM objects ORDER BY object');
        expect(rows).toEqual([
          { object: manifests.failed?.object, status: 'failed', records: '0' },
          { object: 's3://old/key.log', status: 'ok', records: String(m.records) },
        ]);
      } finally {
        view.close();
      }
    } finally {
      old.cleanup();
    }
  });

  it('is empty, with the same columns, in a lake without manifests', async () => {
    const empty = tempDir('loglake-objects-empty-');
    const view = await LakeQuery.open(empty.path);
    try {
      const { columns, rows } = await view.rows('SELECT * FROM objects');
      expect(columns).toEqual(names);
      expect(rows).toEqual([]);
    } finally {
      view.close();
      empty.cleanup();
    }
  });
});

describe('named queries over objects, run by DuckDB as Athena runs them', () => {
  const sqlOf = (id: string): string => {
    const q = NAMED_QUERIES.find((n) => n.id === id);
    expect(q, id).toBeDefined();
    return (q as { sql: string }).sql;
  };
  let q: LakeQuery;
  beforeAll(async () => {
    q = await LakeQuery.open(lake.path);
  });
  afterAll(() => q.close());

  it('"objects that failed today" lists the failed and the damaged object with their reason', async () => {
    const { rows } = await q.rows(sqlOf('ObjectsFailedToday'));
    expect(rows.map((r) => [r.object, r.status, r.reason]).sort()).toEqual(
      [
        [manifests.damaged?.object, 'damaged', manifests.damaged?.reason],
        [manifests.failed?.object, 'failed', manifests.failed?.reason],
      ].sort(),
    );
    const damaged = rows.find((r) => r.status === 'damaged');
    expect(damaged?.damage).toBe(manifests.damaged?.damage?.detail);
  });

  it('"objects that failed today" leaves out a failure of an earlier day', async () => {
    const earlier = tempDir('loglake-objects-earlier-');
    try {
      const yesterday = new Date(Date.now() - 36 * HOUR_MS).toISOString();
      writeInput(earlier.path, 'manifests/unknown/x.json', `${JSON.stringify({ ...manifests.failed, started_at: yesterday, finished_at: yesterday })}\n`);
      const view = await LakeQuery.open(earlier.path);
      try {
        expect((await view.rows(sqlOf('ObjectsFailedToday'))).rows).toEqual([]);
      } finally {
        view.close();
      }
    } finally {
      earlier.cleanup();
    }
  });

  it('"ingest lag by source" measures from the object’s last-modified time to its manifest', async () => {
    const { rows } = await q.rows(sqlOf('IngestLagBySource'));
    const alb = Object.fromEntries(Object.entries(rows.find((r) => r.source === 'alb') ?? {}).map(([k, v]) => [k, Number(v)]));
    // ok and partial an hour old, damaged two hours old; the run itself takes seconds.
    expect(alb.objects).toBe(3);
    expect(alb.p50_lag_seconds).toBeGreaterThanOrEqual(3600);
    expect(alb.p50_lag_seconds).toBeLessThan(3600 + 120);
    expect(alb.max_lag_seconds).toBeGreaterThanOrEqual(7200);
    expect(alb.max_lag_seconds).toBeLessThan(7200 + 120);
    // A failed object's manifest has no last-modified time and no lag.
    expect(rows.map((r) => r.source)).not.toContain('unknown');
  });
});
