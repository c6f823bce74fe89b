/**
 * `loglake verify`: CloudTrail log file integrity over a range of history, in S3 or in a local
 * copy. Lists only the digest day folders of the range, reads the digests and the log files they
 * list in parallel, and prints a summary like `aws cloudtrail validate-logs` plus every finding
 * (docs/integrity.md).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  auditDigests,
  digestKeyFacts,
  FolderListPages,
  listRange,
  LocalSource,
  LoglakeError,
  MemoryPublicKeyStore,
  objectAuditSource,
  parsePublicKeyList,
  PublicKeyError,
  type AuditProgress,
  type AuditResult,
  type AuditSource,
  type DigestRef,
  type ListPages,
  type PublicKeyLoader,
} from '../../pipeline/index.js';
import type { IntegrityRow } from '../../schema/index.js';
import { intFlag, parse, stringFlag, UsageError, type Values } from '../args.js';
import { count } from '../format.js';
import { pathFrom, writeOut, type Io } from '../io.js';
import { PROGRESS_EVERY_MS } from '../progress.js';
import { dayFlag, s3Target } from '../range-flags.js';
import { awsOptions, cause, type Aws } from '../replay-aws.js';

export const help = `usage: loglake verify <s3://bucket/prefix/ | folder> --from YYYY-MM-DD [options]

Verifies CloudTrail log file integrity over a range of days, as "aws cloudtrail validate-logs"
does, in parallel: every digest file of the range (listed by its day folders only) is checked
against its RSA signature and its link to the previous digest, and every log file it lists is
downloaded and its SHA-256 compared with the digest's. Works on the bucket CloudTrail delivers to
or on a local copy of it (aws s3 sync; a digest's metadata, which a copy loses, is read from
<digest>.metadata.json beside it when present, else its signature from the next digest). See
docs/integrity.md.

options:
  --from <YYYY-MM-DD>     first day of digest files (by their end time, UTC; required)
  --to <YYYY-MM-DD>       last day, included (default: today)
  --trail <name>          only this trail's digests
  --account <id>          only this account's AWSLogs folders
  --region <region>       only this region's AWSLogs folders
  --public-keys <file>    the public keys, offline: the JSON "aws cloudtrail list-public-keys"
                          prints (default: CloudTrail ListPublicKeys for each digest region)
  --endpoint <url>        S3-compatible endpoint (path-style) for the bucket
  --concurrency <n>       objects read at once (default 16)
  --json                  one JSON document: the summary and every finding
  -h, --help              this help

exit codes: 0 everything valid, 1 a finding (or the bucket cannot be read), 2 usage error
`;

interface Params {
  readonly target: { kind: 's3'; bucket: string; prefix: string } | { kind: 'local'; dir: string };
  readonly from: string;
  readonly to: string;
  readonly trail: string | undefined;
  readonly account: string | undefined;
  readonly region: string | undefined;
}

async function paramsOf(io: Io, values: Values, positionals: readonly string[]): Promise<Params> {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'an s3://bucket/prefix/ or a local folder to verify is required' : `one s3://bucket/prefix/ or folder at a time, got ${positionals.length}`);
  const text = positionals[0] as string;
  let target: Params['target'];
  if (text.startsWith('s3://')) target = { kind: 's3', ...s3Target(text) };
  else {
    const dir = pathFrom(io, text);
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) throw new UsageError(`${text} is neither s3://bucket/prefix/ nor a folder`);
    target = { kind: 'local', dir };
  }
  const from = dayFlag(values, 'from');
  if (from === undefined) throw new UsageError('--from YYYY-MM-DD is required');
  const to = dayFlag(values, 'to') ?? new Date().toISOString().slice(0, 10);
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}: the range is empty`);
  const account = stringFlag(values, 'account');
  if (account !== undefined && !/^\d{12}$/.test(account)) throw new UsageError(`--account must be a 12-digit account id, got ${JSON.stringify(account)}`);
  if (target.kind === 'local' && values.endpoint !== undefined) throw new UsageError('--endpoint is for an s3:// target; a folder is read directly');
  return { target, from, to, trail: stringFlag(values, 'trail'), account, region: stringFlag(values, 'region') };
}

/** The public keys: the given file, or ListPublicKeys in each region the digests come from. */
async function keyStore(io: Io, values: Values, p: Params, regions: readonly string[], aws: () => Promise<Aws>): Promise<MemoryPublicKeyStore> {
  const file = stringFlag(values, 'public-keys');
  if (file !== undefined) {
    const text = await readFile(pathFrom(io, file), 'utf8').catch((e: Error) => {
      throw new UsageError(`--public-keys ${file}: ${e.message}`, { hint: false });
    });
    try {
      return new MemoryPublicKeyStore(parsePublicKeyList(text, file));
    } catch (e) {
      if (e instanceof PublicKeyError) throw new UsageError(`--public-keys ${e.message}`, { hint: false });
      throw e;
    }
  }
  const { door } = await aws();
  const range = { start: new Date(`${p.from}T00:00:00Z`), end: new Date(Date.parse(`${p.to}T00:00:00Z`) + 2 * 86_400_000) };
  const loader: PublicKeyLoader = async () => {
    const lists = await Promise.all(
      regions.map(async (region) => {
        const client = door.createCloudTrailClient({ region });
        try {
          return await door.cloudTrailKeyLoader(client, range)();
        } finally {
          client.destroy();
        }
      }),
    );
    return lists.flat();
  };
  return new MemoryPublicKeyStore([], loader);
}

/** The progress line on a terminal: digests read, log files hashed. */
function progressLine(io: Io): { update(p: AuditProgress): void; clear(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS) return;
      last = now;
      drawn = true;
      io.stderr.write(`\r\x1b[Kdigests ${count(p.digests)}/${count(p.digestsTotal)}  log files ${count(p.logs)}/${count(p.logsTotal)}`);
    },
    clear() {
      if (drawn) io.stderr.write('\r\x1b[K');
    },
  };
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    trail: { type: 'string' },
    account: { type: 'string' },
    region: { type: 'string' },
    'public-keys': { type: 'string' },
    endpoint: { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean' },
  }, ['concurrency']);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const p = await paramsOf(io, values, positionals);
  const concurrency = intFlag(values, 'concurrency') ?? 16;
  let aws: Aws | null = null;
  // The AWS SDK is loaded only when S3 or ListPublicKeys is needed.
  const connect = async (): Promise<Aws> => (aws ??= await awsOptions(io, stringFlag(values, 'endpoint')));
  const where = p.target.kind === 's3' ? `s3://${p.target.bucket}/${p.target.prefix}` : p.target.dir;
  try {
    let pages: ListPages;
    let source: AuditSource;
    let bucket: string;
    let prefix: string;
    if (p.target.kind === 's3') {
      const a = await connect();
      ({ bucket, prefix } = p.target);
      pages = a.pages(bucket);
      source = objectAuditSource(a.source());
    } else {
      const dir = p.target.dir;
      bucket = '';
      prefix = '';
      pages = new FolderListPages(dir);
      source = objectAuditSource(new LocalSource({ pathOf: (ref) => join(dir, ...ref.key.split('/')) }), { sidecars: true });
    }
    const listing = await listRange(pages, prefix, {
      range: { from: p.from, to: p.to },
      services: ['CloudTrail-Digest'],
      ...(p.account !== undefined ? { account: p.account } : {}),
      ...(p.region !== undefined ? { region: p.region } : {}),
    }, { concurrency: Math.min(concurrency, 16) });
    const refs: DigestRef[] = [];
    const regions = new Set<string>();
    for (const c of listing.objects) {
      const facts = digestKeyFacts(c.key);
      if (facts === null || (p.trail !== undefined && facts.trail !== p.trail)) continue;
      refs.push({ bucket, key: c.key });
      regions.add(facts.region);
    }
    const keys = await keyStore(io, values, p, [...regions].sort(), connect);
    const progress = io.stderr.isTTY === true && values.json !== true ? progressLine(io) : null;
    const started = Date.now();
    const result = await auditDigests(refs, source, { keys, concurrency, ...(progress !== null ? { onProgress: (x: AuditProgress) => progress.update(x) } : {}) });
    progress?.clear();
    const seconds = (Date.now() - started) / 1000;
    await writeOut(io.stdout, values.json === true ? `${JSON.stringify(jsonReport(where, p, result, seconds, keys.loads))}\n` : textReport(where, p, result, seconds));
    return result.rows.some(isFinding) ? 1 : 0;
  } catch (e) {
    if (!(e instanceof LoglakeError)) throw e;
    io.stderr.write(`loglake verify: ${cause(e)}\n`);
    return 1;
  } finally {
    (aws as Aws | null)?.destroy();
  }
}

const isFinding = (r: IntegrityRow): boolean => r.status !== 'valid' && r.status !== 'not_yet_ingested';

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function jsonReport(where: string, p: Params, r: AuditResult, seconds: number, keyLoads: number): Record<string, unknown> {
  return {
    target: where,
    from: p.from,
    to: p.to,
    ...(p.trail !== undefined ? { trail: p.trail } : {}),
    summary: r.summary,
    seconds: Math.round(seconds * 1000) / 1000,
    public_key_loads: keyLoads,
    findings: r.rows.filter(isFinding).map((x) => ({ ...x, digest_end_time: iso(x.digest_end_time), checked_at: iso(x.checked_at) })),
  };
}

function textReport(where: string, p: Params, r: AuditResult, seconds: number): string {
  const { digests, logs } = r.summary;
  const ends = r.rows.filter((x) => x.kind === 'digest' && x.status !== 'digest_missing').map((x) => x.digest_end_time);
  const lines = [
    `Validating CloudTrail log files under ${where}`,
    `Results requested for ${p.from}T00:00:00Z to ${p.to}T23:59:59Z`,
    ends.length > 0 ? `Results found for digests ending ${iso(ends.reduce((a, b) => Math.min(a, b)))} to ${iso(ends.reduce((a, b) => Math.max(a, b)))}:` : 'No digest files found in the range.',
    '',
    `${count(digests.valid)}/${count(digests.listed)} digest files valid${digests.invalid > 0 ? `, ${count(digests.invalid)}/${count(digests.listed)} digest files INVALID` : ''}${digests.missing > 0 ? `, ${count(digests.missing)} digest files MISSING` : ''}`,
    `${count(logs.valid)}/${count(logs.listed)} log files valid${logs.invalid > 0 ? `, ${count(logs.invalid)}/${count(logs.listed)} log files INVALID` : ''}${logs.missing > 0 ? `, ${count(logs.missing)}/${count(logs.listed)} log files MISSING` : ''}`,
    `(${seconds.toFixed(1)} s)`,
  ];
  const findings = r.rows.filter(isFinding);
  if (findings.length > 0) {
    lines.push('', 'findings:');
    for (const f of findings) lines.push(`  ${f.status}  ${f.log_key ?? f.digest_key}${f.log_key !== null ? ` (digest ${f.digest_key})` : ''}: ${f.detail ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}
