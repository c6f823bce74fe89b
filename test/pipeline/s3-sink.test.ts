import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectError } from '../../pipeline/run/errors.js';
import { S3LakeSink } from '../../pipeline/storage/s3-sink.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const MiB = 1024 * 1024;
let s3: LocalS3;
let sink: S3LakeSink;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket('sink-lake');
  sink = new S3LakeSink(s3.client, { bucket: 'sink-lake', partSizeBytes: 5 * MiB });
});
afterAll(async () => {
  await s3.stop();
});

describe('S3LakeSink', () => {
  it('streams an output in multipart chunks and publishes it only on close', async () => {
    const chunks = Array.from({ length: 12 }, () => randomBytes(MiB));
    const file = await sink.create('lake/source=alb/dt=2024-05-01/big.parquet');
    for (const c of chunks) await file.write(c);
    expect(await s3.list('sink-lake', 'lake/')).toEqual([]);
    await file.close();
    expect(await s3.list('sink-lake', 'lake/')).toEqual(['lake/source=alb/dt=2024-05-01/big.parquet']);
    expect((await s3.get('sink-lake', 'lake/source=alb/dt=2024-05-01/big.parquet'))?.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('leaves nothing behind when an output is aborted, before or after its first part went out', async () => {
    const small = await sink.create('lake/aborted-small.parquet');
    await small.write(randomBytes(1000));
    await small.abort();
    const large = await sink.create('lake/aborted-large.parquet');
    for (let i = 0; i < 7; i++) await large.write(randomBytes(MiB));
    await large.abort();
    expect((await s3.list('sink-lake', 'lake/')).filter((k) => k.includes('aborted'))).toEqual([]);
  });

  it('writes small files with put, reads them back with get, and returns null for a missing key', async () => {
    await sink.put('manifests/alb/abc.json', '{"manifest_version":1}\n');
    expect(Buffer.from((await sink.get('manifests/alb/abc.json')) ?? []).toString()).toBe('{"manifest_version":1}\n');
    expect(await sink.get('manifests/alb/missing.json')).toBeNull();
    expect(sink.describe('manifests/alb/abc.json')).toBe('s3://sink-lake/manifests/alb/abc.json');
  });

  it('copies server-side, keys with spaces and `=` included, and returns false for a missing source', async () => {
    const from = 'assemblies/billing/g/a b/staged/lake/source=cur/dt=2024-05-01/part=0.parquet';
    const to = 'lake/source=cur/dt=2024-05-01/a b=0.parquet';
    const bytes = randomBytes(3000);
    await sink.put(from, bytes);
    expect(await sink.copy(from, to)).toBe(true);
    expect((await s3.get('sink-lake', to))?.equals(bytes)).toBe(true);
    expect((await s3.get('sink-lake', from))?.equals(bytes)).toBe(true);
    expect(await sink.copy('assemblies/billing/g/missing.parquet', 'lake/never.parquet')).toBe(false);
    expect(await s3.list('sink-lake', 'lake/never')).toEqual([]);
  });

  it('copies under its key prefix', async () => {
    const prefixed = new S3LakeSink(s3.client, { bucket: 'sink-lake', prefix: 'tenant/' });
    await prefixed.put('assemblies/x.json', '{}');
    expect(await prefixed.copy('assemblies/x.json', 'lake/x.json')).toBe(true);
    expect((await s3.get('sink-lake', 'tenant/lake/x.json'))?.toString()).toBe('{}');
  });

  it('deletes more keys than one DeleteObjects request takes', async () => {
    const keys = Array.from({ length: 2100 }, (_, i) => `errors/source=alb/dt=2024-05-01/old-${i}.jsonl.gz`);
    await sink.put(keys[0] as string, 'a');
    await sink.put(keys[2099] as string, 'b');
    await sink.delete(keys);
    expect(await s3.list('sink-lake', 'errors/')).toEqual([]);
  });

  it('reports an output to a bucket that does not exist as output_failed', async () => {
    const broken = new S3LakeSink(s3.client, { bucket: 'no-such-lake' });
    const file = await broken.create('lake/x.parquet');
    await file.write(Buffer.from('PAR1'));
    const error = await file.close().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ObjectError);
    expect((error as ObjectError).code).toBe('output_failed');
    expect((error as ObjectError).message).toContain('s3://no-such-lake/lake/x.parquet: writing to the lake failed (NoSuchBucket)');
  });
});
