/**
 * Reading sources by role against a real S3 server (s3rver on loopback) with STS mocked: the
 * credentials AssumeRole returns are the ones the S3 requests are signed with, the call names
 * the role, its external id and the session, credentials are cached per role until shortly
 * before they expire, and every read, listing and archive copy names the bucket's expected owner.
 * s3rver ignores `x-amz-expected-bucket-owner`, so the sent headers are captured from the client.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ListPages } from '../../pipeline/replay/s3-pages.js';
import { ObjectError } from '../../pipeline/run/errors.js';
import { assumedRoleCredentials } from '../../pipeline/storage/assume-role.js';
import { S3Source } from '../../pipeline/storage/s3-source.js';
import { parseSourceAccess } from '../../pipeline/storage/source-access.js';
import { createSourceReaders } from '../../pipeline/storage/source-readers.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

const ROLE = 'arn:aws:iam::444444444444:role/security-lake-billing-reader';
const EXTERNAL_ID = 'security-lake-111111111111';
const ACCESS = parseSourceAccess(
  JSON.stringify({
    owner: '111111111111',
    buckets: { 'payer-reports': '444444444444' },
    roles: [{ bucket: 'payer-reports', prefixes: ['cur/'], roleArn: ROLE, externalId: EXTERNAL_ID }],
  }),
  'LOGLAKE_SOURCE_ACCESS',
);

const sts = mockClient(STSClient);
/** s3rver knows one key pair; the session token tells the two sets of credentials apart. */
const credentials = (token: string, expiresInMs: number) => ({
  Credentials: { AccessKeyId: 'S3RVER', SecretAccessKey: 'S3RVER', SessionToken: token, Expiration: new Date(Date.now() + expiresInMs) },
});

interface Sent {
  readonly path: string;
  readonly token: string | undefined;
  readonly owner: string | undefined;
  readonly sourceOwner: string | undefined;
  readonly credential: string | undefined;
}

/** Records the signed headers of every request `client` sends. */
function capture(client: S3Client): Sent[] {
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { path: string; headers: Record<string, string> };
      sent.push({
        path: req.path,
        token: req.headers['x-amz-security-token'],
        owner: req.headers['x-amz-expected-bucket-owner'],
        sourceOwner: req.headers['x-amz-source-expected-bucket-owner'],
        credential: /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1],
      });
      return next(args);
    },
    { step: 'deserialize', name: 'captureSigned' },
  );
  return sent;
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

let s3: LocalS3;
let baseSent: Sent[];

beforeAll(async () => {
  s3 = await startLocalS3();
  baseSent = capture(s3.client);
  await s3.createBucket('payer-reports');
  await s3.createBucket('same-account-logs');
  await s3.put('payer-reports', 'cur/2026/report-1.csv', 'identity/LineItemId\nabc\n');
  await s3.put('same-account-logs', 'AWSLogs/x.log', 'line\n');
});
afterAll(async () => s3.stop());
beforeEach(() => {
  sts.reset();
  baseSent.length = 0;
});

describe('reading a source by role', () => {
  it('signs the read with the assumed role credentials and names the owner; the cache reuses them', async () => {
    sts.on(AssumeRoleCommand).resolvesOnce(credentials('token-1', 3_600_000)).resolves(credentials('token-other', 3_600_000));
    const readers = createSourceReaders(s3.client, ACCESS, 'loglake-worker', { endpoint: s3.endpoint, region: 'us-east-1' });
    const reader = readers.for('payer-reports', 'cur/2026/report-1.csv');
    expect(reader.roleArn).toBe(ROLE);
    expect(reader.client).not.toBe(s3.client);
    const roleSent = capture(reader.client);

    const source = new S3Source(s3.client, readers);
    const opened = await source.open({ bucket: 'payer-reports', key: 'cur/2026/report-1.csv' });
    expect(await text(opened.body)).toBe('identity/LineItemId\nabc\n');
    const again = await source.open({ bucket: 'payer-reports', key: 'cur/2026/report-1.csv' });
    await text(again.body);

    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ RoleArn: ROLE, ExternalId: EXTERNAL_ID, RoleSessionName: 'loglake-worker', DurationSeconds: 3600 });
    expect(roleSent).toEqual([
      { path: '/payer-reports/cur/2026/report-1.csv', token: 'token-1', owner: '444444444444', sourceOwner: undefined, credential: 'S3RVER' },
      { path: '/payer-reports/cur/2026/report-1.csv', token: 'token-1', owner: '444444444444', sourceOwner: undefined, credential: 'S3RVER' },
    ]);
    // One client per role: the same one for every key of the source.
    expect(readers.for('payer-reports', 'cur/other.csv').client).toBe(reader.client);
    expect(baseSent).toEqual([]);
  });

  it('reads a source without a role with the own client, naming the deployment account as owner', async () => {
    const readers = createSourceReaders(s3.client, ACCESS, 'loglake-worker', { endpoint: s3.endpoint, region: 'us-east-1' });
    const opened = await new S3Source(s3.client, readers).open({ bucket: 'same-account-logs', key: 'AWSLogs/x.log' });
    expect(await text(opened.body)).toBe('line\n');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(baseSent.map((r) => [r.path, r.owner, r.token])).toEqual([['/same-account-logs/AWSLogs/x.log', '111111111111', undefined]]);
  });

  it('lists a role source with the role and the owner (the replay job path)', async () => {
    sts.on(AssumeRoleCommand).resolves(credentials('token-list', 3_600_000));
    const readers = createSourceReaders(s3.client, ACCESS, 'loglake-replay', { endpoint: s3.endpoint, region: 'us-east-1' });
    const reader = readers.for('payer-reports', 'cur/');
    const roleSent = capture(reader.client);
    const page = await new S3ListPages(reader.client, 'payer-reports', reader.expectedOwner).page({ prefix: 'cur/' });
    expect(page.keys.map((k) => k.key)).toEqual(['cur/2026/report-1.csv']);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleSessionName).toBe('loglake-replay');
    expect(roleSent.map((r) => [r.owner, r.token])).toEqual([['444444444444', 'token-list']]);
  });

  it('turns a refused AssumeRole into an unreadable object naming the role', async () => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const readers = createSourceReaders(s3.client, ACCESS, 'loglake-worker', { endpoint: s3.endpoint, region: 'us-east-1' });
    const err = await new S3Source(s3.client, readers).open({ bucket: 'payer-reports', key: 'cur/2026/report-1.csv' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectError);
    expect((err as ObjectError).code).toBe('unreadable');
    expect((err as Error).message).toContain(`assuming role ${ROLE} with its external id: access denied`);
  });
});

describe('the credentials cache', () => {
  it('reuses credentials until 5 minutes before they expire, then assumes the role again', async () => {
    let now = Date.parse('2026-12-02T10:00:00Z');
    const expiry = (min: number) => new Date(now + min * 60_000);
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce({ Credentials: { AccessKeyId: 'A1', SecretAccessKey: 's', SessionToken: 't1', Expiration: expiry(60) } })
      .resolvesOnce({ Credentials: { AccessKeyId: 'A2', SecretAccessKey: 's', SessionToken: 't2', Expiration: expiry(120) } });
    const provide = assumedRoleCredentials(new STSClient({ region: 'us-east-1' }), { roleArn: ROLE, externalId: null }, { sessionName: 'loglake-worker', now: () => now });

    // Concurrent first callers share one AssumeRole.
    const [a, b] = await Promise.all([provide(), provide()]);
    expect([a.accessKeyId, b.accessKeyId]).toEqual(['A1', 'A1']);
    now += 54 * 60_000;
    expect((await provide()).accessKeyId).toBe('A1');
    now += 60_000; // 55 minutes: within the 5-minute margin of the 60-minute expiry
    expect((await provide()).accessKeyId).toBe('A2');
    expect((await provide()).sessionToken).toBe('t2');
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(2);
    // No external id configured: none is sent.
    expect(calls[0]?.args[0].input).toEqual({ RoleArn: ROLE, RoleSessionName: 'loglake-worker', DurationSeconds: 3600 });
  });

  it('assumes again after a failed call instead of caching the failure', async () => {
    const now = Date.now();
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolves({ Credentials: { AccessKeyId: 'A3', SecretAccessKey: 's', SessionToken: 't3', Expiration: new Date(now + 3_600_000) } });
    const provide = assumedRoleCredentials(new STSClient({ region: 'us-east-1', maxAttempts: 1 }), { roleArn: ROLE, externalId: EXTERNAL_ID }, { sessionName: 'x' });
    await expect(provide()).rejects.toMatchObject({ name: 'TransientError', code: 'throttled' });
    expect((await provide()).accessKeyId).toBe('A3');
  });
});
