/**
 * Local copies named as S3 objects (`loglake ingest --as`): the S3 name of a file and the file
 * of an S3 name, and the MD5 ETag `LocalSource` computes while the body streams.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { localPathOf, s3RefOf, type S3Names } from '../../pipeline/run/ingest-files.js';
import { LocalSource } from '../../pipeline/storage/local-storage.js';
import { tempDir, writeInput } from '../helpers/lake.js';

const tmp = tempDir('loglake-local-as-');
afterAll(() => tmp.cleanup());

describe('S3 names of local files', () => {
  const names: S3Names = { bucket: 'acme-logs', prefix: 'synced/', folder: '/data/copy' };

  it('names a file <prefix><path under the folder> with / separators, and maps the name back', () => {
    const ref = s3RefOf(names, '/data/copy/AWSLogs/111122223333/CloudTrail/x.json.gz');
    expect(ref).toEqual({ bucket: 'acme-logs', key: 'synced/AWSLogs/111122223333/CloudTrail/x.json.gz' });
    expect(localPathOf(names, ref)).toBe('/data/copy/AWSLogs/111122223333/CloudTrail/x.json.gz');
    expect(s3RefOf({ ...names, prefix: '' }, '/data/copy/a.log')).toEqual({ bucket: 'acme-logs', key: 'a.log' });
  });

  it('refuses a file outside the folder, and names no file for another bucket, prefix or an escaping key', () => {
    expect(() => s3RefOf(names, '/data/other/a.log')).toThrow(/is not inside \/data\/copy/);
    expect(() => s3RefOf(names, '/data/copy')).toThrow(/is not inside/);
    expect(localPathOf(names, { bucket: 'other', key: 'synced/a.log' })).toBeNull();
    expect(localPathOf(names, { bucket: 'acme-logs', key: 'elsewhere/a.log' })).toBeNull();
    expect(localPathOf(names, { bucket: 'acme-logs', key: 'synced/../../etc/passwd' })).toBeNull();
    expect(localPathOf(names, { bucket: 'acme-logs', key: 'synced/a//b' })).toBeNull();
  });
});

describe('LocalSource md5Etag', () => {
  const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 'loglake ');
  const path = writeInput(tmp.path, 'copy/big.log', bytes);
  const md5 = `"${createHash('md5').update(bytes).digest('hex')}"`;

  const readAll = async (body: AsyncIterable<Uint8Array>): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts);
  };

  it('passes the bytes through and gives their quoted MD5 once the body was read to its end', async () => {
    const opened = await new LocalSource({ md5Etag: true }).open({ bucket: '', key: path });
    expect(opened.etag).toBeUndefined();
    expect(opened.etagAfterRead?.()).toBeUndefined();
    expect((await readAll(opened.body)).equals(bytes)).toBe(true);
    expect(opened.etagAfterRead?.()).toBe(md5);
  });

  it('keeps the ETag through a wrapper that spreads the opened object (the progress hook)', async () => {
    const opened = await new LocalSource({ md5Etag: true }).open({ bucket: '', key: path });
    const passThrough = async function* (body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      yield* body;
    };
    const wrapped = { ...opened, body: passThrough(opened.body) };
    await readAll(wrapped.body);
    expect(wrapped.etagAfterRead?.()).toBe(md5);
  });

  it('reads the file pathOf names, and says which object has no file', async () => {
    const source = new LocalSource({ pathOf: (ref) => (ref.key === 'k/big.log' ? path : null), md5Etag: true });
    const opened = await source.open({ bucket: 'acme-logs', key: 'k/big.log' });
    expect((await readAll(opened.body)).byteLength).toBe(bytes.byteLength);
    await expect(source.open({ bucket: 'acme-logs', key: 'k/other.log' })).rejects.toThrow(/cannot read s3:\/\/acme-logs\/k\/other.log: no local file stands for it/);
    await expect(new LocalSource({ pathOf: () => join(tmp.path, 'missing') }).open({ bucket: 'b', key: 'k' })).rejects.toThrow(/cannot read .*missing/);
  });

  it('stays a Readable a reader may destroy before the end; no ETag then', async () => {
    const opened = await new LocalSource({ md5Etag: true }).open({ bucket: '', key: path });
    expect(opened.body).toBeInstanceOf(Readable);
    for await (const chunk of opened.body) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    expect((opened.body as Readable).destroyed).toBe(true);
    expect(opened.etagAfterRead?.()).toBeUndefined();
  });

  it('without the option: the file stream itself, and no ETag', async () => {
    const opened = await new LocalSource().open({ bucket: '', key: path });
    expect(opened.etagAfterRead).toBeUndefined();
    expect((await readAll(opened.body)).equals(bytes)).toBe(true);
  });
});
