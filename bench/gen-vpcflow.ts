/**
 * Deterministic VPC flow log input for benchmarks: one gzipped object of the default format (the
 * 14 version-2 fields, with the header line S3 delivery writes) of a requested uncompressed size,
 * drawn from a seeded PRNG, under an AWS object name. Mixes TCP, UDP and ICMP, ACCEPT and REJECT,
 * IPv4 and a share of IPv6, ephemeral and service ports, and a few NODATA / SKIPDATA records.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import { DEFAULT_FLOW_FIELDS } from '../parsers/vpcflow.js';
import { prng } from '../test/helpers/prng.js';

export interface FlowFile {
  readonly path: string;
  /** Uncompressed bytes, header included. */
  readonly bytes: number;
  /** Data lines (records), header excluded. */
  readonly lines: number;
  readonly headerLines: number;
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const hex = (r: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
};

const PORTS = [443, 443, 443, 80, 22, 53, 3306, 5432, 6379, 8080, 8443, 3389];

/** A network interface and its private address (one in ten IPv6). */
interface Eni {
  readonly id: string;
  readonly address: string;
  readonly v6: boolean;
}

function flowLine(r: () => number, enis: readonly Eni[], startSec: number): string {
  const eni = pick(r, enis);
  const roll = r();
  if (roll < 0.01) return `2 111122223333 ${eni.id} - - - - - - - ${startSec} ${startSec + 60} - ${roll < 0.008 ? 'NODATA' : 'SKIPDATA'}`;
  const v6 = eni.v6;
  const local = eni.address;
  const remote = v6 ? `2600:1f18:${hex(r, 4)}:${hex(r, 4)}::${hex(r, 2)}` : `${pick(r, [52, 54, 3, 198, 203])}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const proto = pick(r, [6, 6, 6, 6, 6, 17, 17, 1]);
  const service = proto === 1 ? 0 : pick(r, PORTS);
  const ephemeral = proto === 1 ? 0 : 32768 + Math.floor(r() * 28000);
  const inbound = r() < 0.5;
  const [src, dst, sport, dport] = inbound ? [remote, local, ephemeral, service] : [local, remote, ephemeral, service];
  const packets = 1 + Math.floor(r() * r() * 2000);
  const bytes = packets * (40 + Math.floor(r() * 1400));
  const start = startSec + Math.floor(r() * 50);
  const end = start + Math.floor(r() * 60);
  const action = r() < 0.12 ? 'REJECT' : 'ACCEPT';
  return `2 111122223333 ${eni.id} ${src} ${dst} ${sport} ${dport} ${proto} ${packets} ${bytes} ${start} ${end} ${action} OK`;
}

/** A gzipped default-format flow log of about `mib` MiB uncompressed, generated once and cached in the temp folder. */
export async function flowLogFile(mib: number): Promise<FlowFile> {
  const name = `111122223333_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20240501T1200Z_${mib.toString(16).padStart(8, '0')}.log.gz`;
  const path = join(tmpdir(), 'loglake-bench-vpcflow', 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-east-1', '2024', '05', '01', name);
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size > 0) return JSON.parse(readFileSync(meta, 'utf8')) as FlowFile;
  mkdirSync(dirname(path), { recursive: true });
  const r = prng(0xf10e);
  const enis: Eni[] = Array.from({ length: 200 }, () => {
    const v6 = r() < 0.1;
    const address = v6 ? `2001:db8:${hex(r, 4)}:${hex(r, 4)}::${hex(r, 3)}` : `10.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    return { id: `eni-${hex(r, 17)}`, address, v6 };
  });
  const gz = createGzip({ level: 6 });
  const out = gz.pipe(createWriteStream(path));
  const header = `${DEFAULT_FLOW_FIELDS.join(' ')}\n`;
  gz.write(header);
  let bytes = Buffer.byteLength(header);
  let lines = 0;
  let sec = Date.UTC(2024, 4, 1, 12, 0, 0) / 1000;
  let batch = '';
  const target = mib * 1024 * 1024;
  while (bytes < target) {
    const line = `${flowLine(r, enis, sec)}\n`;
    if (lines % 2000 === 1999) sec++;
    batch += line;
    bytes += line.length;
    lines++;
    if (batch.length > 1 << 20) {
      if (!gz.write(batch)) await once(gz, 'drain');
      batch = '';
    }
  }
  gz.end(batch);
  await once(out, 'finish');
  const file: FlowFile = { path, bytes, lines, headerLines: 1 };
  writeFileSync(meta, JSON.stringify(file));
  return file;
}
