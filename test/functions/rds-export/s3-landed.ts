/**
 * Read-after-write for s3rver. Its filesystem store answers a PutObject once it has read the body,
 * before the object's file is flushed (`putObject` resolves before its write stream finishes), so
 * a read right after can see a short file, and a second PutObject of the same key right after the
 * first can interleave with it and leave a corrupt file. The exporter rewrites its state object
 * several times a run, which hits this under load. S3 itself is read-after-write consistent; this
 * makes every PutObject of the test client wait until the object reads back whole, through a
 * second client, so recorders on the first see nothing of it.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../pipeline/storage/aws-clients.js';
import type { LocalS3 } from '../../helpers/s3.js';

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

export function waitForPutsToLand(s3: LocalS3): void {
  const reader = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  s3.client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName !== 'PutObjectCommand') return out;
      const input = args.input as { Bucket?: string; Key?: string; Body?: unknown };
      const body = typeof input.Body === 'string' ? Buffer.from(input.Body) : input.Body instanceof Uint8Array ? input.Body : null;
      if (body === null) return out;
      const want = md5(body);
      for (let i = 0; i < 500; i++) {
        try {
          const got = await reader.send(new GetObjectCommand({ Bucket: input.Bucket, Key: input.Key }));
          if (md5(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()) === want) break;
        } catch {
          // Not there yet.
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return out;
    },
    { step: 'initialize', name: 'waitForPutsToLand' },
  );
}
