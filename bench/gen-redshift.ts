/**
 * Deterministic Amazon Redshift audit-log input for benchmarks: gzipped user activity logs
 * (queries over 1 to 40 lines, quotes, comments, a quoted-timestamp line inside some) and
 * connection logs (padded columns, IPv4/IPv6/`[local]` clients, SSL, IAM, authentication
 * failures) of a requested uncompressed size, drawn from a seeded PRNG, under their AWS names.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { prng } from '../test/helpers/prng.js';

export type RedshiftBenchLog = 'useractivitylog' | 'connectionlog';

export interface GeneratedRedshiftFile {
  readonly path: string;
  /** Uncompressed bytes. */
  readonly bytes: number;
  /** Records (queries or connection events). */
  readonly records: number;
  /** Physical lines. */
  readonly lines: number;
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

const USERS = ['etl_loader', 'IAM:alice', 'IAMR:reporting-role', 'rdsdb', 'dbt_runner', 'IAM:bob.smith'];
const DBS = ['analytics', 'dev', 'sales'];
const TABLES = ['public.orders', 'public.customers', 'staging.events', 'mart.daily_revenue', 'audit.logins'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One query of 1–40 lines. */
function query(r: () => number, i: number): string {
  const table = pick(r, TABLES);
  const kind = r();
  if (kind < 0.25) return pick(r, ['COMMIT;', 'BEGIN;', 'SET statement_timeout TO 300000', `select ${i};`, 'ROLLBACK;']);
  if (kind < 0.55) {
    const cols = 2 + Math.floor(r() * 30);
    const lines = [`/* dashboard ${i % 97}, panel ${i % 13} */`, 'select'];
    for (let c = 0; c < cols; c++) lines.push(`    col_${c} as "Column ${c}"${c + 1 < cols ? ',' : ''}`);
    lines.push(`from ${table}`, `where region = 'eu-west-${1 + (i % 3)}'`, `  and note <> 'it''s ${i}'`, 'order by 1', `limit ${100 + (i % 900)};`);
    return lines.join('\n');
  }
  if (kind < 0.75) {
    const rows = 1 + Math.floor(r() * 8);
    const lines = ['-- load batch', `insert into ${table} (id, at, what)`, 'values'];
    for (let k = 0; k < rows; k++) lines.push(`'2024-05-01T12:${String(k % 60).padStart(2, '0')}:00Z' is not a record start, (${i * 10 + k}, 'row ${k}')${k + 1 < rows ? ',' : ';'}`);
    return lines.join('\n');
  }
  if (kind < 0.9) return `update ${table}\n   set tier = 'gold'\n where lifetime_value > ${i % 10000}\n   and tier <> 'gold';`;
  return `COPY ${table}\nFROM 's3://acme-landing/${table}/2024/05/01/'\nIAM_ROLE 'arn:aws:iam::111122223333:role/redshift-copy'\nFORMAT AS PARQUET;`;
}

function activityRecord(r: () => number, ms: number, i: number): string {
  const iso = `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  const pid = 1073741824 + Math.floor(r() * 200000);
  return `'${iso} UTC [ db=${pick(r, DBS)} user=${pick(r, USERS)} pid=${pid} userid=${100 + Math.floor(r() * 50)} xid=${88000 + i} ]' LOG: ${query(r, i)}\n`;
}

const pad = (v: string, w: number): string => v.padEnd(w);

function recordTime(ms: number): string {
  const d = new Date(ms);
  const hms = d.toISOString().slice(11, 19);
  return `${WEEKDAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${hms}:${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

function connectionLine(r: () => number, ms: number): string {
  const local = r() < 0.1;
  const host = local ? '[local]' : r() < 0.2 ? `2001:db8:${Math.floor(r() * 65535).toString(16)}::${Math.floor(r() * 4095).toString(16)}` : `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  const fail = !local && r() < 0.05;
  const event = fail ? 'authentication failure' : pick(r, ['authenticated', 'initiating session', 'disconnecting session']);
  const user = local ? 'rdsdb' : pick(r, USERS);
  const iam = user.startsWith('IAM');
  const ssl = !local;
  const values = [
    pad(event, 50),
    recordTime(ms),
    pad(host, 45),
    pad(local ? '' : String(1024 + Math.floor(r() * 60000)), 32),
    String(1073741824 + Math.floor(r() * 200000)),
    pad(pick(r, DBS), 50),
    pad(user, 50),
    pad(local ? 'Ident' : iam ? 'IAM' : 'password', 32),
    event === 'disconnecting session' ? String(Math.floor(r() * 900_000_000)) : '0',
    pad(ssl ? 'TLSv1.3' : '', 50),
    pad(ssl ? 'TLS_AES_256_GCM_SHA384' : '', 128),
    ssl ? '1500' : '0',
    pad('', 64),
    pad('', 64),
    pad(iam ? '2f6e5b1c-7d8a-4e3f-9b20-a1c4d5e6f708' : '', 36),
    pad(local ? '' : pick(r, ['DataGrip 2024.1', 'psql', 'Tableau', 'Query Editor v2', 'dbt']), 250),
    pad(local ? '' : 'Linux 6.5.0-1018-aws amd64', 64),
    pad(local ? '' : 'Redshift JDBC Driver 2.1.0.26', 64),
    pad('', 32),
    local ? '0' : '2',
    pad(local ? '' : '8c1f0e9a-3b44-4d6e-9a41-2f5b7c0d1e23', 36),
    pad(local ? '' : 'off', 64),
  ];
  return `${values.join('|')}|\n`;
}

/** A gzipped log of `mib` MiB uncompressed, generated once per size and kept in the temp folder. */
export async function redshiftLogFile(log: RedshiftBenchLog, mib: number): Promise<GeneratedRedshiftFile> {
  const dir = join(tmpdir(), `loglake-bench-redshift-${mib}mib`, 'AWSLogs/111122223333/redshift/us-east-1/2024/05/01');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `111122223333_redshift_us-east-1_bench-dw_${log}_2024-05-01T12:00.gz`);
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size > 0) return JSON.parse(readFileSync(meta, 'utf8')) as GeneratedRedshiftFile;
  const r = prng(0x5eed + log.length * 104729);
  const gz = createGzip({ level: 6 });
  const out = gz.pipe(createWriteStream(path));
  const target = mib * 1024 * 1024;
  let bytes = 0;
  let records = 0;
  let lines = 0;
  let ms = Date.UTC(2024, 4, 1, 12, 0, 0);
  let batch = '';
  while (bytes < target) {
    const text = log === 'useractivitylog' ? activityRecord(r, ms, records) : connectionLine(r, ms);
    ms += Math.floor(r() * 40);
    batch += text;
    bytes += Buffer.byteLength(text);
    records++;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (batch.length > 1 << 20) {
      if (!gz.write(batch)) await once(gz, 'drain');
      batch = '';
    }
  }
  gz.end(batch);
  await once(out, 'finish');
  const file = { path, bytes, records, lines };
  writeFileSync(meta, JSON.stringify(file));
  return file;
}
