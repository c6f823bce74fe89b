/**
 * Deterministic access-log input for benchmarks: gzipped ALB, Classic ELB, NLB, S3 server
 * access and CloudFront files of a requested uncompressed size, drawn from a seeded PRNG.
 * Lines use the layout of the Athena statement each format is compared with (ALB through
 * `classification_reason`, S3 through aclRequired, NLB through `tls_connection_creation_time`),
 * and mix request types, IPv4 and IPv6, long browser user agents, errors and `-` fields.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { prng } from '../test/helpers/prng.js';

/** The access-log formats the generator writes, by `source` name. */
export type AccessFormat = 'alb' | 'elb' | 'nlb' | 's3access' | 'cloudfront';

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'curl/8.5.0',
  'okhttp/4.12.0',
  'aws-sdk-java/2.25.40 Linux/6.1.84-99.169.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc.',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];
const PATHS = ['/', '/index.html', '/api/products?page=2&size=24', '/cart/checkout?step=2', '/static/app.4f3e2d1c.js', '/images/products/1042/hero.jpg', '/api/orders/8842', '/search?q=blue+shoes&sort=price'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'GET', 'HEAD', 'DELETE'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

function ipv4(r: () => number): string {
  return `${pick(r, [198, 203, 192])}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}

function client(r: () => number): string {
  return r() < 0.15 ? `2001:db8:${hex(r, 4)}:${hex(r, 4)}::${hex(r, 3)}` : ipv4(r);
}

const iso = (ms: number, micros: string): string => `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
const secs = (r: () => number): string => (r() * 0.2).toFixed(3);

function albLine(r: () => number, ms: number): string {
  const type = pick(r, ['http', 'https', 'https', 'h2', 'h2', 'grpcs', 'ws', 'wss']);
  const tls = type !== 'http' && type !== 'ws';
  const scheme = tls ? 'https' : 'http';
  const port = tls ? 443 : 80;
  const lambda = r() < 0.05;
  const status = pick(r, [200, 200, 200, 200, 304, 302, 404, 500, 502]);
  const target = lambda ? '-' : `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}:8080`;
  const times = lambda ? `${secs(r)} ${secs(r)} 0.000` : r() < 0.03 ? '-1 -1 -1' : `0.000 ${secs(r)} 0.000`;
  const tg = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/shop-web/5d1e2f3a4b5c6d7e';
  const method = type === 'grpcs' ? 'POST' : pick(r, METHODS);
  const path = type === 'grpcs' ? '/shop.inventory.v1.Inventory/Reserve' : pick(r, PATHS);
  const proto = type === 'h2' || type === 'grpcs' ? 'HTTP/2.0' : 'HTTP/1.1';
  const ua = type === 'grpcs' ? 'grpc-go/1.62.1' : pick(r, AGENTS);
  const cipher = tls ? 'TLS_AES_128_GCM_SHA256 TLSv1.3' : '- -';
  const domain = tls ? '"shop.example.com"' : '"-"';
  const cert = tls ? '"arn:aws:acm:us-east-1:111122223333:certificate/3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"' : '"-"';
  const created = iso(ms - 40, '000000').replace('.000000Z', `.${String(Math.floor(r() * 1000)).padStart(3, '0')}000Z`);
  const lists = lambda ? '"-" "-"' : `"${target}" "${status}"`;
  return (
    `${type} ${iso(ms, String(Math.floor(r() * 1e6)).padStart(6, '0'))} app/shop-frontend/6a2b8c3d4e5f6071 ${client(r)}:${1024 + Math.floor(r() * 60000)} ${target} ${times} ` +
    `${status} ${lambda ? '-' : status} ${Math.floor(r() * 2000)} ${Math.floor(r() * 90000)} "${method} ${scheme}://shop.example.com:${port}${path} ${proto}" "${ua}" ${cipher} ${tg} ` +
    `"Root=1-${hex(r, 8)}-${hex(r, 24)}" ${domain} ${cert} ${Math.floor(r() * 10)} ${created} "forward" "-" "${lambda && status >= 500 ? 'LambdaInvalidResponse' : '-'}" ${lists} "-" "-"`
  );
}

function elbLine(r: () => number, ms: number): string {
  const tcp = r() < 0.15;
  const status = pick(r, [200, 200, 200, 304, 404, 503]);
  const st = tcp ? '- -' : `${status} ${status}`;
  const req = tcp ? '"- - - " "-"' : `"${pick(r, METHODS)} http://www.example.net:80${pick(r, PATHS)} HTTP/1.1" "${pick(r, AGENTS)}"`;
  const t = (): string => (r() * 0.01).toFixed(6);
  return `${iso(ms, String(Math.floor(r() * 1e6)).padStart(6, '0'))} legacy-web ${ipv4(r)}:${1024 + Math.floor(r() * 60000)} 10.0.0.${Math.floor(r() * 250)}:80 ${t()} ${t()} ${t()} ${st} ${Math.floor(r() * 2000)} ${Math.floor(r() * 90000)} ${req} ${r() < 0.5 ? 'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2' : '- -'}`;
}

function nlbLine(r: () => number, ms: number): string {
  const failed = r() < 0.05;
  const alpn = r() < 0.5 ? 'h2 h2 "h2","http/1.1"' : '- - -';
  const t = new Date(ms).toISOString().slice(0, 19);
  return (
    `tls 2.0 ${t} net/tls-edge/0f1e2d3c4b5a6978 a1b2c3d4e5f60718 ${client(r)}:${1024 + Math.floor(r() * 60000)} 10.0.3.4:443 ${Math.floor(r() * 5000)} ${failed ? '-' : Math.floor(r() * 10)} ` +
    `${Math.floor(r() * 100000)} ${Math.floor(r() * 1000000)} ${failed ? '40' : '-'} arn:aws:acm:us-east-1:111122223333:certificate/9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d - ` +
    `TLS_AES_128_GCM_SHA256 tlsv13 - api.example.com ${alpn} ${new Date(ms - 5000).toISOString().slice(0, 19)}`
  );
}

const OWNER = 'a3f1c2d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b';

function s3Line(r: () => number, ms: number): string {
  const d = new Date(ms);
  const time = `${String(d.getUTCDate()).padStart(2, '0')}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
  const op = pick(r, ['REST.GET.OBJECT', 'REST.GET.OBJECT', 'REST.PUT.OBJECT', 'REST.HEAD.OBJECT', 'REST.GET.BUCKET']);
  const key = op === 'REST.GET.BUCKET' ? '-' : `images/products/${Math.floor(r() * 5000)}/hero%20${Math.floor(r() * 9)}.jpg`;
  const status = pick(r, [200, 200, 200, 304, 403, 404]);
  const err = status === 403 ? 'AccessDenied' : status === 404 ? 'NoSuchKey' : '-';
  const requester = r() < 0.2 ? '-' : 'arn:aws:sts::111122223333:assumed-role/shop-api/i-0a1b2c3d4e5f60718';
  const uri = key === '-' ? 'GET /?list-type=2&prefix=images%2F HTTP/1.1' : `${op.split('.')[1]} /${key} HTTP/1.1`;
  return (
    `${OWNER} shop-assets [${time}] ${client(r)} ${requester} ${hex(r, 16).toUpperCase()} ${op} ${key} "${uri}" ${status} ${err} ${Math.floor(r() * 300000)} ${Math.floor(r() * 300000)} ` +
    `${Math.floor(r() * 200)} ${Math.floor(r() * 100)} "${r() < 0.5 ? 'https://shop.example.com/' : '-'}" "${pick(r, AGENTS)}" - ${hex(r, 76)}= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader ` +
    `shop-assets.s3.us-east-1.amazonaws.com TLSv1.3 - ${r() < 0.3 ? 'Yes' : '-'}`
  );
}

const CF_HEADER =
  '#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n';

function cloudFrontLine(r: () => number, ms: number): string {
  const iso19 = new Date(ms).toISOString();
  const result = pick(r, ['Hit', 'Hit', 'Miss', 'RefreshHit', 'Error']);
  const status = result === 'Error' ? pick(r, ['502', '404', '000']) : '200';
  const [path, query] = pick(r, PATHS).split('?') as [string, string | undefined];
  return [
    iso19.slice(0, 10),
    iso19.slice(11, 19),
    pick(r, ['IAD89-C1', 'FRA56-P4', 'SEA19-C2']),
    String(Math.floor(r() * 200000)),
    client(r),
    pick(r, METHODS),
    'd1a2b3c4d5e6f7.cloudfront.net',
    path.replaceAll(' ', '%20'),
    status,
    r() < 0.5 ? 'https://www.example.com/' : '-',
    encodeURI(pick(r, AGENTS)),
    query ?? '-',
    '-',
    result,
    `${hex(r, 40)}==`,
    'www.example.com',
    'https',
    String(Math.floor(r() * 2000)),
    (r() * 0.3).toFixed(3),
    '-',
    'TLSv1.3',
    'TLS_AES_128_GCM_SHA256',
    result,
    'HTTP/2.0',
    '-',
    '-',
    String(1024 + Math.floor(r() * 60000)),
    (r() * 0.2).toFixed(3),
    result === 'Error' ? 'OriginConnectError' : result,
    'text/html',
    String(Math.floor(r() * 100000)),
    '-',
    '-',
  ].join('\t');
}

const LINE: Record<AccessFormat, (r: () => number, ms: number) => string> = {
  alb: albLine,
  elb: elbLine,
  nlb: nlbLine,
  s3access: s3Line,
  cloudfront: cloudFrontLine,
};

/** A generated file: where it is, its uncompressed size and how many data lines it has. */
export interface GeneratedFile {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
  readonly headerLines: number;
}

/**
 * Writes (once; later calls reuse it) a gzipped file of about `mib` MiB uncompressed for
 * `format`, seeded so every run sees the same lines.
 */
export async function accessLogFile(format: AccessFormat, mib: number): Promise<GeneratedFile> {
  const path = join(tmpdir(), `loglake-bench-${format}-${mib}mib.log.gz`);
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size > 0) {
    const { readFileSync } = await import('node:fs');
    return JSON.parse(readFileSync(meta, 'utf8')) as GeneratedFile;
  }
  const r = prng(0x5eed + format.length * 7919);
  const gz = createGzip({ level: 6 });
  const out = gz.pipe(createWriteStream(path));
  let bytes = 0;
  let lines = 0;
  let headerLines = 0;
  const target = mib * 1024 * 1024;
  if (format === 'cloudfront') {
    gz.write(CF_HEADER);
    bytes += Buffer.byteLength(CF_HEADER);
    headerLines = 2;
  }
  let ms = Date.UTC(2024, 4, 1, 12, 0, 0);
  let batch = '';
  while (bytes < target) {
    const line = `${LINE[format](r, ms)}\n`;
    ms += Math.floor(r() * 40);
    batch += line;
    bytes += Buffer.byteLength(line);
    lines++;
    if (batch.length > 1 << 20) {
      if (!gz.write(batch)) await once(gz, 'drain');
      batch = '';
    }
  }
  gz.end(batch);
  await once(out, 'finish');
  const file = { path, bytes, lines, headerLines };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(meta, JSON.stringify(file));
  return file;
}
