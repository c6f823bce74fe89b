/**
 * An object whose rows spread over many days (a CUR, a Config snapshot) keeps every day
 * partition open until its end; what it buffers must stay bounded by one row group's worth
 * across all of them, not per day.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject } from '../../pipeline/index.js';
import type { ObjectSource, OpenedObject } from '../../pipeline/storage/storage.js';
import { tempDir } from '../helpers/lake.js';

/** Serves text one line per chunk, so the pipeline drains between every row. */
function lineSource(text: string): ObjectSource {
  return {
    async open(): Promise<OpenedObject> {
      const lines = text.split(/(?<=\n)/);
      return {
        body: (async function* (): AsyncGenerator<Uint8Array> {
          for (const l of lines) yield Buffer.from(l);
        })(),
      };
    },
  };
}

describe('partition buffering across days', () => {
  it('flushes the fullest days once rows buffered across all of them reach rowGroupRows', async () => {
    const days = 20;
    const rows = Array.from({ length: 200 }, (_, i) => `r${i},2024-03-${String((i % days) + 1).padStart(2, '0')}T00:00:00Z,1.5`);
    const text = `identity/LineItemId,lineItem/UsageStartDate,lineItem/UnblendedCost\n${rows.join('\n')}\n`;
    const lake = tempDir('loglake-budget-');
    try {
      const { manifest } = await processObject(
        { bucket: '', key: 'budget.csv' },
        { source: lineSource(text), sink: new LocalLakeSink(lake.path), options: resolveOptions({ rowGroupRows: 10 }) },
      );
      expect(manifest).toMatchObject({ status: 'ok', records: 200 });
      expect(manifest.outputs).toHaveLength(days);
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      try {
        const groups = (
          await c.runAndReadAll(`SELECT file_name, row_group_id, max(row_group_num_rows) AS n FROM parquet_metadata('${join(lake.path, 'lake', '**', '*.parquet')}') GROUP BY ALL`)
        ).getRowObjectsJson() as Array<{ n: number | string }>;
        // Without a budget across days, each day would hold its 10 rows to the end: one group per file.
        expect(groups.length).toBeGreaterThan(days);
        expect(groups.reduce((a, g) => a + Number(g.n), 0)).toBe(200);
        for (const g of groups) expect(Number(g.n)).toBeLessThanOrEqual(10);
      } finally {
        c.closeSync();
        db.closeSync();
      }
    } finally {
      lake.cleanup();
    }
  });

  it('parks small day remainders on disk instead of writing tiny row groups, and cleans up', async () => {
    const parks = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`loglake-park-${process.pid}-`));
    const before = parks().length;
    // 100 open days and a 640-row budget: a spill finds ~6 rows per day, tiny enough to park.
    const days = 100;
    const day = (i: number): string => new Date(Date.UTC(2024, 0, 1) + (i % days) * 86_400_000).toISOString().slice(0, 10);
    const rows = Array.from({ length: days * 20 }, (_, i) => `r${i},${day(i)}T00:00:00Z,0.5`);
    const text = `identity/LineItemId,lineItem/UsageStartDate,lineItem/UnblendedCost\n${rows.join('\n')}\n`;
    const lake = tempDir('loglake-park-');
    try {
      const { manifest } = await processObject(
        { bucket: '', key: 'spread.csv' },
        { source: lineSource(text), sink: new LocalLakeSink(lake.path), options: resolveOptions({ rowGroupRows: 640 }) },
      );
      expect(manifest).toMatchObject({ status: 'ok', records: days * 20 });
      expect(manifest.outputs).toHaveLength(days);
      expect(parks().length).toBe(before);
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      try {
        const groups = (
          await c.runAndReadAll(
            `SELECT file_name, row_group_id, max(row_group_num_rows) AS n, max(row_group_id) OVER (PARTITION BY file_name) AS last FROM parquet_metadata('${join(lake.path, 'lake', '**', '*.parquet')}') GROUP BY file_name, row_group_id`,
          )
        ).getRowObjectsJson() as Array<{ n: number | string; row_group_id: number | string; last: number | string }>;
        expect(groups.reduce((a, g) => a + Number(g.n), 0)).toBe(days * 20);
        // Without parking, every spill would write a row group of the handful of rows each day holds.
        for (const g of groups) if (Number(g.row_group_id) !== Number(g.last)) expect(Number(g.n)).toBeGreaterThanOrEqual(10);
        expect(groups.length).toBeLessThan(days * 2);
      } finally {
        c.closeSync();
        db.closeSync();
      }
    } finally {
      lake.cleanup();
    }
  });
});
