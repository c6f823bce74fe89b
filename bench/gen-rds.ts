/**
 * Deterministic Amazon RDS database-log input for benchmarks, drawn from a seeded PRNG: gzipped
 * files of a requested uncompressed size under the RDS log exporter's key layout
 * (`raw/rds/<account>/<region>/<instance>/<log file>/<generation>/<sequence>.log.gz`), so they
 * route by key and their records name the instance. One generator per log type:
 *
 * - `postgresql`: RDS's prefix, statements of 1–30 lines (tab-continued), duration lines,
 *   extended-protocol executes, connection events, errors with their STATEMENT line, pgaudit;
 * - `error`: MySQL 8.0 lines, some with continuation lines (InnoDB reports);
 * - `slowquery`: MySQL 8.0 entries (`# Time:` before each), statements of 1–30 lines, some with
 *   `log_slow_extra` fields;
 * - `general`: MySQL 8.0 entries, connections and statements of 1–30 lines;
 * - `audit`: the audit plugin's lines, quoted statements with escaped quotes and line breaks.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import { prng } from '../test/helpers/prng.js';

export type RdsBenchLog = 'postgresql' | 'error' | 'slowquery' | 'general' | 'audit';

/** The RDS log file name of each generated log. */
export const RDS_LOG_FILES: Readonly<Record<RdsBenchLog, string>> = {
  postgresql: 'error/postgresql.log.2024-05-01-12',
  error: 'error/mysql-error-running.log',
  slowquery: 'slowquery/mysql-slowquery.log',
  general: 'general/mysql-general.log',
  audit: 'audit/server_audit.log',
};

export interface GeneratedRdsFile {
  readonly path: string;
  /** Uncompressed bytes. */
  readonly bytes: number;
  /** Records the parser makes of it. */
  readonly records: number;
  /** Frames the line framer cuts (records, plus the slow log's `# Time:` lines). */
  readonly frames: number;
  /** Physical lines. */
  readonly lines: number;
}

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}
const int = (r: () => number, n: number): number => Math.floor(r() * n);

const USERS = ['app', 'report', 'etl_loader', 'admin', 'svc_orders'];
const DBS = ['orders', 'billing', 'analytics'];
const TABLES = ['orders', 'order_items', 'customers', 'invoices', 'events'];

/** A statement of 1–30 lines (its lines, without a final semicolon). */
function statement(r: () => number, i: number): string[] {
  const table = pick(r, TABLES);
  const kind = r();
  if (kind < 0.3) return [pick(r, ['BEGIN', 'COMMIT', `SELECT ${i}`, 'SET autocommit=1', `select * from ${table} where id = ${i}`])];
  if (kind < 0.6) {
    const cols = 1 + int(r, 25);
    const lines = ['SELECT'];
    for (let c = 0; c < cols; c++) lines.push(`    t.col_${c}${c + 1 < cols ? ',' : ''}`);
    lines.push(`FROM ${table} t`, `WHERE t.region = 'eu-west-${1 + (i % 3)}'`, `  AND t.note <> 'it''s ${i}'`, `LIMIT ${100 + (i % 900)}`);
    return lines;
  }
  if (kind < 0.85) {
    const rows = 1 + int(r, 6);
    const lines = [`INSERT INTO ${table} (id, at, note)`, 'VALUES'];
    for (let k = 0; k < rows; k++) lines.push(`  (${i * 10 + k}, '2024-05-01 12:00:${String(k % 60).padStart(2, '0')}', 'row, ${k}')${k + 1 < rows ? ',' : ''}`);
    return lines;
  }
  return [`UPDATE ${table}`, "   SET status = 'shipped'", ` WHERE id = ${i}`];
}

const ip = (r: () => number): string => `10.0.${int(r, 256)}.${1 + int(r, 254)}`;
const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 23)}456Z`;
const pgTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** One generated record: its text (lines ending in `\n`) and the frames it makes. */
interface Chunk {
  readonly text: string;
  readonly records: number;
  readonly frames: number;
}

function postgresql(r: () => number, ms: number, i: number): Chunk {
  const pid = 4000 + int(r, 400);
  const client = ip(r);
  const p = `${pgTime(ms)}:${client}(${40000 + int(r, 20000)}):${pick(r, USERS)}@${pick(r, DBS)}:[${pid}]:`;
  const kind = r();
  const tabbed = (lines: string[]): string => lines.join('\n\t');
  if (kind < 0.35) return { text: `${p}LOG:  statement: ${tabbed(statement(r, i))}\n`, records: 1, frames: 1 };
  if (kind < 0.55) return { text: `${p}LOG:  duration: ${(r() * 5000).toFixed(3)} ms  statement: ${tabbed(statement(r, i))}\n`, records: 1, frames: 1 };
  if (kind < 0.65) return { text: `${p}LOG:  execute S_${i % 50}: SELECT name FROM customers WHERE id = $1\n${p}DETAIL:  parameters: $1 = '${i}'\n`, records: 2, frames: 2 };
  if (kind < 0.75) return { text: `${p}LOG:  connection authorized: user=app database=orders application_name=psql SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)\n`, records: 1, frames: 1 };
  if (kind < 0.8) return { text: `${p}LOG:  disconnection: session time: 0:00:${String(int(r, 60)).padStart(2, '0')}.123 user=app database=orders host=${client} port=5432\n`, records: 1, frames: 1 };
  if (kind < 0.85) return { text: `${p}ERROR:  relation "missing_${i % 7}" does not exist at character 15\n${p}STATEMENT:  SELECT * FROM missing_${i % 7};\n`, records: 2, frames: 2 };
  const st = statement(r, i).join('\n\t').replaceAll('"', '""');
  return { text: `${p}LOG:  AUDIT: SESSION,${i},1,READ,SELECT,TABLE,public.${pick(r, TABLES)},"${st}",<not logged>\n`, records: 1, frames: 1 };
}

function errorLog(r: () => number, ms: number, i: number): Chunk {
  const t = iso(ms);
  const kind = r();
  if (kind < 0.5) return { text: `${t} ${int(r, 500)} [Note] [MY-010914] [Server] Aborted connection ${i} to db: '${pick(r, DBS)}' user: '${pick(r, USERS)}' host: '${ip(r)}' (Got timeout reading communication packets).\n`, records: 1, frames: 1 };
  if (kind < 0.7) return { text: `${t} ${int(r, 500)} [Note] [MY-010926] [Server] Access denied for user '${pick(r, USERS)}'@'${ip(r)}' (using password: YES)\n`, records: 1, frames: 1 };
  if (kind < 0.9) return { text: `${t} 0 [Warning] [MY-010055] [Server] IP address '${ip(r)}' could not be resolved: Name or service not known\n`, records: 1, frames: 1 };
  const more = 1 + int(r, 8);
  const lines = [`${t} 0 [ERROR] [MY-012592] [InnoDB] Operating system error number 2 in a file operation.`];
  for (let k = 0; k < more; k++) lines.push(`InnoDB: report line ${k} of the error at ${t}`);
  return { text: `${lines.join('\n')}\n`, records: 1, frames: 1 };
}

function slowquery(r: () => number, ms: number, i: number): Chunk {
  const user = pick(r, USERS);
  const extra = r() < 0.3 ? ` Thread_id: ${i % 500} Errno: ${r() < 0.05 ? 1146 : 0} Killed: 0 Bytes_received: ${int(r, 500)} Bytes_sent: ${int(r, 50000)} Read_first: 0 Read_last: 0 Read_key: 1 Read_next: 0 Read_prev: 0 Read_rnd: 0 Read_rnd_next: ${int(r, 100000)} Sort_merge_passes: 0 Sort_range_count: 0 Sort_rows: 0 Sort_scan_count: 0 Created_tmp_disk_tables: 0 Created_tmp_tables: 0 Count_hit_tmp_table_size: 0  Start: ${iso(ms - 1000)} End: ${iso(ms)}` : '';
  const lines = [
    `# Time: ${iso(ms)}`,
    `# User@Host: ${user}[${user}] @  [${ip(r)}]  Id: ${String(i % 500).padStart(5)}`,
    `# Query_time: ${(1 + r() * 20).toFixed(6)}  Lock_time: ${(r() / 100).toFixed(6)} Rows_sent: ${int(r, 1000)}  Rows_examined: ${int(r, 1000000)}${extra}`,
    ...(r() < 0.2 ? [`use ${pick(r, DBS)};`] : []),
    `SET timestamp=${Math.floor(ms / 1000) - 1};`,
    ...statement(r, i),
  ];
  return { text: `${lines.join('\n')};\n`, records: 1, frames: 2 };
}

function general(r: () => number, ms: number, i: number): Chunk {
  const thread = String(10 + (i % 300)).padStart(5);
  const t = iso(ms);
  const kind = r();
  if (kind < 0.1) return { text: `${t}\t${thread} Connect\t${pick(r, USERS)}@${ip(r)} on ${pick(r, DBS)} using SSL/TLS\n`, records: 1, frames: 1 };
  if (kind < 0.15) return { text: `${t}\t${thread} Quit\t\n`, records: 1, frames: 1 };
  if (kind < 0.2) return { text: `${t}\t${thread} Init DB\t${pick(r, DBS)}\n`, records: 1, frames: 1 };
  return { text: `${t}\t${thread} Query\t${statement(r, i).join('\n')}\n`, records: 1, frames: 1 };
}

/** The audit plugin's escaping of a statement. */
const quoted = (sql: string): string => `'${sql.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;

function audit(r: () => number, ms: number, i: number): Chunk {
  const d = new Date(ms);
  const t = `${d.toISOString().slice(0, 10).replaceAll('-', '')} ${d.toISOString().slice(11, 19)}`;
  const head = `${t},ip-10-0-1-23,${pick(r, USERS)},${ip(r)},${10 + (i % 300)}`;
  const kind = r();
  if (kind < 0.1) return { text: `${head},0,${pick(r, ['CONNECT', 'DISCONNECT'])},${pick(r, DBS)},,0,SSL\n`, records: 1, frames: 1 };
  if (kind < 0.12) return { text: `${head},0,FAILED_CONNECT,,,1045,TCP/IP\n`, records: 1, frames: 1 };
  return { text: `${head},${100000 + i},QUERY,${pick(r, DBS)},${quoted(statement(r, i).join('\n'))},${r() < 0.03 ? 1146 : 0},,\n`, records: 1, frames: 1 };
}

const GENERATORS: Readonly<Record<RdsBenchLog, (r: () => number, ms: number, i: number) => Chunk>> = { postgresql, error: errorLog, slowquery, general, audit };

/** A gzipped log of `mib` MiB uncompressed under the exporter's key layout, generated once per size and kept in the temp folder. */
export async function rdsLogFile(log: RdsBenchLog, mib: number): Promise<GeneratedRdsFile> {
  const path = join(tmpdir(), `loglake-bench-rds-${mib}mib`, 'raw/rds/111122223333/us-east-1/bench-db', RDS_LOG_FILES[log], '1714564800/000001.log.gz');
  mkdirSync(dirname(path), { recursive: true });
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size > 0) return JSON.parse(readFileSync(meta, 'utf8')) as GeneratedRdsFile;
  const r = prng(0x5eed + log.length * 7919);
  const gz = createGzip({ level: 6 });
  const out = gz.pipe(createWriteStream(path));
  const target = mib * 1024 * 1024;
  let bytes = 0;
  let records = 0;
  let frames = 0;
  let lines = 0;
  let i = 0;
  let ms = Date.UTC(2024, 4, 1, 12, 0, 0);
  let batch = '';
  const generate = GENERATORS[log];
  while (bytes < target) {
    const c = generate(r, ms, i++);
    ms += int(r, 40);
    batch += c.text;
    bytes += Buffer.byteLength(c.text);
    records += c.records;
    frames += c.frames;
    for (let k = c.text.indexOf('\n'); k >= 0; k = c.text.indexOf('\n', k + 1)) lines++;
    if (batch.length > 1 << 20) {
      if (!gz.write(batch)) await once(gz, 'drain');
      batch = '';
    }
  }
  gz.end(batch);
  await once(out, 'finish');
  const file = { path, bytes, records, frames, lines };
  writeFileSync(meta, JSON.stringify(file));
  return file;
}
