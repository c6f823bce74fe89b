/**
 * What the compliance suite runs over, discovered rather than listed: every sample under
 * `samples/` (attributed to the parser its manifest names), every corpus file of a parser's
 * format (by corpus folder), and a minimal example of every ignorable. The only lists here are
 * the documented exceptions, each checked by the suite so that it cannot go stale.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IGNORABLES, PARSERS, type Parser } from '../../parsers/index.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { HEAD_BYTES, type Pin } from '../../pipeline/route/route.js';
import { looksLikePayload } from '../../pipeline/formats/cwlogs-payload.js';
import { decodeVisible } from '../../pipeline/decode/utf8.js';
import { CORPUS, corpusPresent } from '../helpers/corpus.js';
import { SAMPLES, sampleInputs } from '../helpers/golden.js';
import { decodeIndependently, runToFolder, tempRoot, type Decoded } from './harness.js';

/** One object the suite checks for one parser. */
export interface Case {
  readonly kind: 'sample' | 'corpus';
  /** `samples/<path>` or `corpus/<folder>/<path>`: also the object key of every run. */
  readonly label: string;
  readonly bytes: Buffer;
  readonly decoded: Decoded;
  readonly parser: Parser;
  /** Why content sniffing cannot recognize this object (see `CONTENT_EXCEPTIONS`), or null. */
  readonly unsniffable: string | null;
  /** The rule every run of it uses: none, unless the object cannot be recognized by itself. */
  readonly pin: Pin | null;
  /** The ignorable of the parser's source this object is (a digest in a CloudTrail folder), or null. */
  readonly ignorable: { readonly name: string; readonly sniffed: boolean } | null;
  /** Whether the split-equivalence checks run on it (every sample; a sample of the corpus). */
  readonly split: boolean;
}

/**
 * Objects whose content no parser can recognize, by label: deliberately invalid inputs and texts
 * that are not AWS deliveries. The suite checks that each one really fails content routing with
 * `unknown_format` (an entry that starts to route is reported, so it is removed), then runs every
 * other check on it under a pin of its parser, as a routing rule would.
 */
export const CONTENT_EXCEPTIONS: Readonly<Record<string, string>> = {
  'corpus/alb/otel-contrib_alb_al_insufficient_fields.log': 'deliberately invalid: too few fields to look like an ALB line',
  'corpus/alb/otel-contrib_alb_al_invalid_syntax.log': 'deliberately invalid: not ALB syntax',
  'corpus/s3access/signalfx_invalid_s3.log': 'deliberately invalid: its first line is not an S3 access log line',
  'corpus/config/awsdocs-archive_email-ConfigurationHistoryDeliveryFailed.txt': 'an e-mail notification body, not an object AWS Config delivers to S3',
  'corpus/config/awsdocs-archive_email-OversizedConfigurationItemChangeNotification.txt': 'an e-mail notification body, not an object AWS Config delivers to S3',
  'samples/cwlogs/exportedlogs/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/i-0123456789abcdef0/000000.gz':
    'a CloudWatch Logs export-task object: `<time> <message>` lines any log could hold, routed by its key (or a rule) only',
  'corpus/vpcflow/vrl_parse_aws_vpc_flow_log_example2.log': 'a headerless line of a custom format (its format is given out of band, in the .format.txt sidecar)',
  'corpus/vpcflow/vrl_parse_aws_vpc_flow_log_example3.log': 'a headerless line of a custom format (its format is given out of band, in the .format.txt sidecar)',
  'corpus/vpcflow/vrl_parse_aws_vpc_flow_log_example4.log': 'a headerless line of a custom format (its format is given out of band, in the .format.txt sidecar)',
};

/**
 * Corpus folders named neither after a parser id nor after a source. Folders that map to no
 * parser (formats without one yet) are listed by the
 * suite as not covered; registering a parser whose id or source is the folder name covers them.
 */
export const CORPUS_FOLDER_ALIASES: Readonly<Record<string, string>> = { clb: 'elb' };

/** The generic CloudWatch Logs parser, whose intake reads subscription payloads wherever the corpus keeps them. */
const cwlogsParser = PARSERS.find((p) => p.id === 'cwlogs');

/** The parser a corpus folder holds files of, or undefined. */
export function parserOfFolder(folder: string): Parser | undefined {
  const name = CORPUS_FOLDER_ALIASES[folder] ?? folder;
  return PARSERS.find((p) => p.id === name) ?? (PARSERS.filter((p) => p.source === name).length === 1 ? PARSERS.find((p) => p.source === name) : undefined);
}

/**
 * A folder named after a source that several parsers write, one per log type (`redshift/`: the
 * connection, user and user activity logs), holds files of each: a file belongs to the first of
 * them whose sniffing recognizes its head (else the first, and its routing check then fails).
 */
function parserOfSharedFolderFile(parsers: readonly Parser[], bytes: Buffer): Parser {
  const first = decodeIndependently(bytes).entries[0]?.data ?? Buffer.alloc(0);
  const head = decodeVisible(first, 0, Math.min(first.byteLength, HEAD_BYTES)).text;
  return parsers.find((p) => p.sniff(head)) ?? (parsers[0] as Parser);
}

const walk = (dir: string, prefix = ''): string[] =>
  readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n), `${prefix}${n}/`) : [`${prefix}${n}`]));

/** Other tools' outputs and documentation in the corpus: not objects to ingest. */
const NOT_CORPUS_INPUT = /\.md$|\.expected\.(json|yaml)$|\.format\.txt$/;

/**
 * Corpus files kept in a format's folder that reach loglake through another intake than that
 * format's S3 objects, by label: not cases of the folder's parser (its conformance test reads them).
 */
export const OTHER_INTAKE: Readonly<Record<string, string>> = {
  'corpus/vpcflow/otel-contrib_valid_vpc_flow_cw_custom.json': 'a CloudWatch Logs subscription payload carrying flow log records, not a flow log object delivered to S3',
};

function makeCase(kind: Case['kind'], label: string, bytes: Buffer, parser: Parser): Case {
  const unsniffable = CONTENT_EXCEPTIONS[label] ?? null;
  const decoded = decodeIndependently(bytes);
  const first = decoded.entries[0]?.data ?? Buffer.alloc(0);
  const head = decodeVisible(first, 0, Math.min(first.byteLength, HEAD_BYTES)).text;
  const ig = IGNORABLES.find((i) => i.source === parser.source && (i.keyPatterns.some((p) => p.test(label)) || i.sniff(head)));
  const ignorable = ig !== undefined ? { name: ig.name, sniffed: ig.sniff(head) } : null;
  return { kind, label, bytes, decoded, parser, unsniffable, pin: unsniffable !== null ? { kind: 'pin', format: parser.id } : null, ignorable, split: kind === 'sample' };
}

/** A sample's first run: into a real folder with default options; its manifest names the parser. */
export interface SampleRun {
  readonly label: string;
  readonly bytes: Buffer;
  readonly manifest: Manifest;
  readonly root: string;
}

/**
 * Runs every sample once (these runs are also the suite's references) and attributes each to the
 * parser its manifest names. Samples no parser read (ignorables such as digests) come back apart.
 */
/** A sample no parser read: an ignorable (a digest), or a failure the suite reports. */
export interface UnattributedSample {
  readonly label: string;
  readonly manifest: Manifest | null;
  /** What `processObject` threw instead of returning a manifest. */
  readonly thrown: string | null;
}

export async function discoverSamples(): Promise<{ cases: Case[]; runs: Map<string, SampleRun>; unattributed: UnattributedSample[] }> {
  const cases: Case[] = [];
  const runs = new Map<string, SampleRun>();
  const unattributed: UnattributedSample[] = [];
  for (const input of sampleInputs()) {
    const label = `samples/${input}`;
    const bytes = readFileSync(join(SAMPLES, input));
    const root = tempRoot('loglake-compliance-ref-');
    let manifest: Manifest | null = null;
    let thrown: string | null = null;
    try {
      // No rule: a sample must be recognized by its key or its content for its manifest to name a parser.
      manifest = (await runToFolder({ key: label, bytes }, root)).manifest;
    } catch (e) {
      thrown = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const parser = PARSERS.find((p) => p.id === manifest?.parser_id);
    if (manifest === null || parser === undefined) {
      unattributed.push({ label, manifest, thrown });
      continue;
    }
    runs.set(label, { label, bytes, manifest, root });
    cases.push(makeCase('sample', label, bytes, parser));
  }
  return { cases, runs, unattributed };
}

export interface CorpusPlan {
  readonly cases: Case[];
  /** Corpus folders no registered parser reads. */
  readonly uncovered: string[];
}

/** Every corpus file of every folder that maps to a parser; empty when the corpus is absent. */
export function discoverCorpus(): CorpusPlan {
  if (!corpusPresent) return { cases: [], uncovered: [] };
  const cases: Case[] = [];
  const uncovered: string[] = [];
  for (const folder of readdirSync(CORPUS).sort()) {
    if (!statSync(join(CORPUS, folder)).isDirectory()) continue;
    const parser = parserOfFolder(folder);
    const shared = parser === undefined ? PARSERS.filter((p) => p.source === folder) : [];
    if (parser === undefined && shared.length === 0) {
      uncovered.push(folder);
      continue;
    }
    const found = walk(join(CORPUS, folder))
      .filter((f) => !NOT_CORPUS_INPUT.test(f) && !Object.hasOwn(OTHER_INTAKE, `corpus/${folder}/${f}`))
      .map((file) => {
        const bytes = readFileSync(join(CORPUS, folder, file));
        return makeCase('corpus', `corpus/${folder}/${file}`, bytes, parser ?? parserOfSharedFolderFile(shared, bytes));
      });
    // A CloudWatch Logs subscription payload kept among a format's files is a case of the
    // CloudWatch Logs intake, whose Firehose path reads such objects by content.
    for (const file of walk(join(CORPUS, folder)).filter((f) => Object.hasOwn(OTHER_INTAKE, `corpus/${folder}/${f}`))) {
      const bytes = readFileSync(join(CORPUS, folder, file));
      if (cwlogsParser !== undefined && looksLikePayload(bytes.subarray(0, HEAD_BYTES).toString('utf8'))) found.push(makeCase('corpus', `corpus/${folder}/${file}`, bytes, cwlogsParser));
    }
    const sampled = splitSampled(found);
    cases.push(...found.map((c) => (sampled.has(c) ? { ...c, split: true } : c)));
  }
  return { cases, uncovered };
}

/**
 * The corpus files of one folder that get the split-equivalence checks. Routing, accounting and
 * the two Parquet readers run on every corpus file; splitting every one of them (hundreds of
 * runs each) would take minutes, and most corpus files are one or two records. So per folder:
 * the largest file by decompressed bytes (most frames, most boundaries), the first, and the files
 * a third and two thirds of the way in name order; objects that are ignorables have no rows to
 * compare and are never picked. Deterministic, so a failure reproduces.
 */
export function splitSampled(cases: readonly Case[]): Set<Case> {
  const eligible = cases.filter((c) => c.ignorable === null);
  if (eligible.length === 0) return new Set();
  const size = (c: Case): number => c.decoded.entries.reduce((n, e) => n + e.data.byteLength, 0);
  const largest = eligible.reduce((a, b) => (size(b) > size(a) ? b : a));
  const n = eligible.length;
  return new Set([largest, eligible[0], eligible[Math.floor(n / 3)], eligible[Math.floor((2 * n) / 3)]].filter((c): c is Case => c !== undefined));
}

/** A minimal object of an ignorable: a key its patterns match, and a body (sniffed when `sniffable`). */
export interface IgnorableExample {
  readonly key: string;
  readonly body: Buffer;
}

const digestBody = {
  awsAccountId: '111122223333',
  digestStartTime: '2024-05-01T10:00:00Z',
  digestEndTime: '2024-05-01T11:00:00Z',
  digestS3Bucket: 'trail-bucket',
  digestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240501T110000Z.json.gz',
  digestPublicKeyFingerprint: '0123456789abcdef0123456789abcdef',
  digestSignatureAlgorithm: 'SHA256withRSA',
  newestEventTime: null,
  oldestEventTime: null,
  previousDigestS3Bucket: null,
  previousDigestS3Object: null,
  previousDigestHashValue: null,
  previousDigestHashAlgorithm: null,
  previousDigestSignature: null,
  logFiles: [],
};

const curManifestBody = {
  assemblyId: 'asm-0001',
  account: '111122223333',
  columns: [{ category: 'identity', name: 'LineItemId' }],
  charset: 'UTF-8',
  compression: 'GZIP',
  contentType: 'text/csv',
  reportId: 'r-0001',
  reportName: 'acme',
  billingPeriod: { start: '20240301T000000.000Z', end: '20240401T000000.000Z' },
  bucket: 'billing-bucket',
  reportKeys: ['reports/acme/20240301-20240401/asm-0001/acme-00001.csv.gz'],
};

/**
 * One hand-built example per ignorable, by name. A new ignorable needs one here (the suite says
 * so); a new parser needs nothing.
 */
export const IGNORABLE_EXAMPLES: Readonly<Record<string, IgnorableExample>> = {
  'cloudtrail-digest': {
    key: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240501T110000Z.json.gz',
    body: gzipSync(JSON.stringify(digestBody)),
  },
  'config-writability-check': { key: 'AWSLogs/111122223333/Config/ConfigWritabilityCheckFile', body: Buffer.alloc(0) },
  'cur-manifest': { key: 'reports/acme/20240301-20240401/asm-0001/acme-Manifest.json', body: Buffer.from(JSON.stringify(curManifestBody, null, 2)) },
  'cwlogs-export-write-test': { key: 'exportedlogs/aws-logs-write-test', body: Buffer.from('Permission Check Successful') },
  'cur-artifact': { key: 'reports/acme/20240301-20240401/asm-0001/acme-RedshiftCommands.sql', body: Buffer.from("COPY acme FROM 's3://billing-bucket/reports/acme/20240301-20240401/asm-0001/acme-RedshiftManifest.json' CREDENTIALS 'x' GZIP CSV IGNOREHEADER 1;\n") },
};

export { IGNORABLES };
