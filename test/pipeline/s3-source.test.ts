import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectError } from '../../pipeline/run/errors.js';
import { S3Source } from '../../pipeline/storage/s3-source.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

let s3: LocalS3;
let source: S3Source;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket('src');
  source = new S3Source(s3.client);
});
afterAll(async () => {
  await s3.stop();
});

async function failure(p: Promise<unknown>): Promise<ObjectError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ObjectError)) throw new Error(`expected an ObjectError, got ${String(e)}`);
  return e;
}

describe('S3Source', () => {
  it('streams the body in reads of at least 1 MiB (the last excepted) and names its ETag, size and time', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 123);
    await s3.put('src', 'logs/a b/ü.log', body);
    const opened = await source.open({ bucket: 'src', key: 'logs/a b/ü.log' });
    const sizes: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const chunk of opened.body) {
      sizes.push(chunk.byteLength);
      parts.push(chunk);
    }
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect(sizes.slice(0, -1).every((s) => s >= 1024 * 1024)).toBe(true);
    expect(opened).toMatchObject({ size: body.byteLength, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
    expect(Math.abs((opened.lastModifiedMs ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('reports a missing object as unreadable, naming it', async () => {
    const e = await failure(source.open({ bucket: 'src', key: 'nope.log' }));
    expect(e.code).toBe('unreadable');
    expect(e.message).toBe('s3://src/nope.log: object not found (NoSuchKey, HTTP 404)');
  });

  it('reports an object whose ETag is no longer the expected one as object_changed', async () => {
    await s3.put('src', 'changing.log', 'version 2');
    const e = await failure(source.open({ bucket: 'src', key: 'changing.log', etag: '"0123456789abcdef0123456789abcdef"' }));
    expect(e.code).toBe('object_changed');
  });
});
