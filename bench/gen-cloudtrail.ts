/**
 * Deterministic CloudTrail input for benchmarks: `{"Records":[…]}` gzipped, realistic events
 * (several services, identity types, failures, IPv6, S3 data events) drawn from a seeded PRNG.
 */
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { prng } from '../test/helpers/prng.js';

const ACCOUNT = '111122223333';
const NAMES = ['RunInstances', 'DescribeInstances', 'GetObject', 'PutObject', 'AssumeRole', 'Decrypt', 'CreateUser', 'ConsoleLogin', 'ListBuckets', 'UpdateFunctionCode'];
const SOURCES = ['ec2', 'ec2', 's3', 's3', 'sts', 'kms', 'iam', 'signin', 's3', 'lambda'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const AGENTS = [
  'aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard',
  'aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.156.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'ec2.amazonaws.com',
];

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

/** One event; `i` orders times so a file spans a few hours like a real busy trail. */
export function makeEvent(r: () => number, i: number, startMs: number): Record<string, unknown> {
  const k = Math.floor(r() * NAMES.length);
  const name = NAMES[k] as string;
  const service = `${SOURCES[k] as string}.amazonaws.com`;
  const ipv6 = r() < 0.1;
  const ip = ipv6 ? `2001:db8:${hex(r, 4)}::${hex(r, 3)}` : r() < 0.15 ? service : `198.51.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`;
  const role = r() < 0.6;
  const failed = r() < 0.07;
  const event: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: role
      ? {
          type: 'AssumedRole',
          principalId: `AROA${hex(r, 16).toUpperCase()}:session-${Math.floor(r() * 1000)}`,
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app-${Math.floor(r() * 20)}/session-${Math.floor(r() * 1000)}`,
          accountId: ACCOUNT,
          accessKeyId: `ASIA${hex(r, 16).toUpperCase()}`,
          sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/app`, accountId: ACCOUNT, userName: 'app' }, attributes: { creationDate: new Date(startMs).toISOString(), mfaAuthenticated: 'false' } },
        }
      : { type: 'IAMUser', principalId: `AIDA${hex(r, 16).toUpperCase()}`, arn: `arn:aws:iam::${ACCOUNT}:user/user-${Math.floor(r() * 50)}`, accountId: ACCOUNT, userName: `user-${Math.floor(r() * 50)}` },
    eventTime: new Date(startMs + i * 37).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: service,
    eventName: name,
    awsRegion: REGIONS[Math.floor(r() * REGIONS.length)],
    sourceIPAddress: ip,
    userAgent: AGENTS[Math.floor(r() * AGENTS.length)],
    requestParameters: service.startsWith('s3') ? { bucketName: `bucket-${Math.floor(r() * 30)}`, key: `data/${hex(r, 8)}/part-${Math.floor(r() * 100)}.parquet`, Host: 'bucket.s3.amazonaws.com' } : { instanceId: `i-${hex(r, 17)}`, maxResults: 100 },
    responseElements: failed ? null : { requestId: `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}` },
    requestID: `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
    eventID: `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
    readOnly: r() < 0.7,
    eventType: 'AwsApiCall',
    managementEvent: !service.startsWith('s3'),
    recipientAccountId: ACCOUNT,
    eventCategory: service.startsWith('s3') ? 'Data' : 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: service },
  };
  if (failed) {
    event.errorCode = 'AccessDenied';
    event.errorMessage = `User is not authorized to perform: ${SOURCES[k] as string}:${name}`;
  }
  if (service.startsWith('s3')) event.additionalEventData = { bytesTransferredIn: 0, bytesTransferredOut: Math.floor(r() * 100000), SignatureVersion: 'SigV4' };
  return event;
}

/**
 * Writes (once; reused when present) a gzipped `{"Records":[…]}` file of at least `mib` MiB
 * uncompressed. Returns its path, uncompressed size and event count.
 */
export async function cloudTrailFile(mib: number, seed = 42): Promise<{ path: string; bytes: number; events: number }> {
  const path = new URL(`./.data/cloudtrail-${mib}mib-seed${seed}.json.gz`, import.meta.url).pathname;
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta)) {
    const { bytes, events } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(meta, 'utf8'))) as { bytes: number; events: number };
    if (statSync(path).size > 0) return { path, bytes, events };
  }
  mkdirSync(dirname(path), { recursive: true });
  const r = prng(seed);
  const gzip = createGzip({ level: 1 });
  const out = gzip.pipe(createWriteStream(path));
  const target = mib * 1024 * 1024;
  let bytes = 0;
  let events = 0;
  const startMs = Date.UTC(2024, 4, 1, 0, 0, 0);
  const write = async (s: string): Promise<void> => {
    bytes += Buffer.byteLength(s);
    if (!gzip.write(s)) await once(gzip, 'drain');
  };
  await write('{"Records":[');
  while (bytes < target) {
    await write((events > 0 ? ',' : '') + JSON.stringify(makeEvent(r, events, startMs)));
    events++;
  }
  await write(']}');
  gzip.end();
  await once(out, 'finish');
  await import('node:fs').then((fs) => fs.writeFileSync(meta, JSON.stringify({ bytes, events })));
  return { path, bytes, events };
}
