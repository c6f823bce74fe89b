/**
 * `loglake verify` over a generated CloudTrail history on local disk: one trail, 14 days of
 * hourly signed digests (a key rotation in the middle) listing 30 log files each, 10,080 log
 * files in all. Compared in the same run with a sequential read-and-hash loop doing what
 * `aws cloudtrail validate-logs` does one file after the other (read a digest, verify its
 * signature, read and hash each log file it lists), and with verify at --concurrency 1.
 * records/s is log files verified per second. The history is generated once into the temp
 * folder and reused by every scenario's process. `npm run bench -- integrity`.
 */
import { createHash, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { main as loglake } from '../cli/main.js';
import { parseDigest, parsePublicKeyList, signingString } from '../pipeline/index.js';
import { main, MiB, scenario } from './lib.js';

const DAYS = 14;
const LOGS_PER_HOUR = 30;
const DIR = join(tmpdir(), `loglake-bench-integrity-${DAYS}d-${LOGS_PER_HOUR}`);
const DATA = join(DIR, 'copy');
const KEYS = join(DIR, 'public-keys.json');
const INDEX = join(DIR, 'index.json');
const FROM = '2024-05-01';
const TO = '2024-05-15';

interface Index {
  readonly digests: string[];
  readonly logs: number;
  readonly uncompressedMiB: number;
}

/** The history, generated on first use; the helper (and the S3 SDK it imports) is loaded only then, so it does not weigh on the scenarios' RSS. */
async function ensureHistory(): Promise<Index> {
  if (existsSync(INDEX)) return JSON.parse(readFileSync(INDEX, 'utf8')) as Index;
  const { cloudtrailHistory, writeHistoryToFolder } = await import('../test/helpers/cloudtrail-digests.js');
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  process.stderr.write(`  generating ${DAYS * 24 * LOGS_PER_HOUR} log files and ${DAYS * 24} digests in ${DIR}…\n`);
  const h = cloudtrailHistory({ hours: DAYS * 24, logsPerHour: LOGS_PER_HOUR, eventsPerLog: 20, trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'management' }] });
  writeHistoryToFolder(h, DATA);
  writeFileSync(KEYS, h.publicKeysJson());
  let bytes = 0;
  for (const k of h.logKeys) bytes += gunzipSync(h.objects.get(k)?.body as Buffer).length;
  const index: Index = { digests: h.digestKeys, logs: h.logKeys.length, uncompressedMiB: bytes / MiB };
  writeFileSync(INDEX, JSON.stringify(index));
  return index;
}

const index = await ensureHistory();

class Sink {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  once(): this {
    return this;
  }
}

async function verifyCommand(concurrency: number): Promise<{ inputMiB: number; seconds: number; records: number; note: string }> {
  const out = new Sink();
  const err = new Sink();
  const t = performance.now();
  const code = await loglake(['verify', DATA, '--from', FROM, '--to', TO, '--public-keys', KEYS, '--concurrency', String(concurrency), '--json'], { stdout: out, stderr: err, stdin: Readable.from(['']), env: process.env, cwd: DIR });
  const seconds = (performance.now() - t) / 1000;
  const report = JSON.parse(out.text) as { summary: { digests: { valid: number }; logs: { valid: number } } };
  if (code !== 0 || report.summary.logs.valid !== index.logs || report.summary.digests.valid !== index.digests.length) throw new Error(`verify: exit ${code}, ${out.text.slice(0, 300)} ${err.text}`);
  return { inputMiB: index.uncompressedMiB, seconds, records: index.logs, note: `${index.digests.length} digests, ${index.logs} log files` };
}

scenario('loglake verify (folder, --concurrency 16)', () => verifyCommand(16));
scenario('loglake verify (folder, --concurrency 1)', () => verifyCommand(1));

scenario('sequential read-and-hash loop', async () => {
  const t = performance.now();
  const keys = new Map(parsePublicKeyList(readFileSync(KEYS, 'utf8')).map((k) => [k.fingerprint, k.key]));
  let files = 0;
  for (const key of index.digests) {
    const bytes = gunzipSync(await readFile(join(DATA, key)));
    const meta = JSON.parse(await readFile(join(DATA, `${key}.metadata.json`), 'utf8')) as { signature: string };
    const d = parseDigest(bytes.toString('utf8'), key);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const publicKey = keys.get(d.digestPublicKeyFingerprint);
    if (publicKey === undefined || !verify('sha256', Buffer.from(signingString(d, hash)), publicKey, Buffer.from(meta.signature, 'hex'))) throw new Error(`${key}: signature`);
    for (const f of d.logFiles) {
      const raw = gunzipSync(await readFile(join(DATA, f.s3Object)));
      if (createHash('sha256').update(raw).digest('hex') !== f.hashValue) throw new Error(`${f.s3Object}: hash`);
      files++;
    }
  }
  return { inputMiB: index.uncompressedMiB, seconds: (performance.now() - t) / 1000, records: files, note: 'one file after the other, whole files in memory' };
});

await main(import.meta.url, `loglake verify: ${index.logs.toLocaleString('en-US')} CloudTrail log files, ${index.digests.length} digests on local disk (records/s = log files/s)`);
