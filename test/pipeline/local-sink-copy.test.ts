import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { tempDir } from '../helpers/lake.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe('LocalLakeSink.copy', () => {
  it('copies a file into a folder it creates, leaves the source, and returns false for a missing source', async () => {
    const sink = new LocalLakeSink(dir.path);
    await sink.put('assemblies/billing/g/a/staged/lake/source=cur/dt=2024-05-01/x.parquet', 'PAR1');
    expect(await sink.copy('assemblies/billing/g/a/staged/lake/source=cur/dt=2024-05-01/x.parquet', 'lake/source=cur/dt=2024-05-01/x.parquet')).toBe(true);
    expect(readFileSync(join(dir.path, 'lake/source=cur/dt=2024-05-01/x.parquet'), 'utf8')).toBe('PAR1');
    expect(await sink.get('assemblies/billing/g/a/staged/lake/source=cur/dt=2024-05-01/x.parquet')).not.toBeNull();
    expect(await sink.copy('assemblies/missing.parquet', 'lake/source=cur/dt=2024-05-01/never.parquet')).toBe(false);
    expect(readdirSync(join(dir.path, 'lake/source=cur/dt=2024-05-01'))).toEqual(['x.parquet']);
  });
});
