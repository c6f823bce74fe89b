/**
 * The RDS log exporter's configuration, read once from the environment at cold start, validated
 * and frozen, as the other functions do (`functions/replay/config.ts`): a bad value stops the cold
 * start naming the variable, and unknown `LOGLAKE_*` names are errors.
 */
import { ConfigError } from '../../pipeline/index.js';
import { Section, problemsText, show, type Problem } from '../../schema/checks.js';
import { logFilePrefixProblem, RDS_EXPORT_ENV, RDS_INSTANCE_ID, type RdsInstanceSetting } from './env-names.js';

/** Everything the exporter is configured with. */
export interface RdsExportConfig {
  readonly lakeBucket: string;
  readonly replayQueueUrl: string;
  readonly instances: readonly RdsInstanceSetting[];
  readonly account: string;
  readonly region: string;
  /** A run stops downloading when the invocation has less than this left. */
  readonly deadlineMarginMs: number;
  readonly linesPerPortion: number;
  readonly objectBytes: number;
  /** S3-compatible endpoint, or null for AWS. */
  readonly s3Endpoint: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_DEADLINE_MARGIN_MS = 30_000;
export const DEFAULT_LINES_PER_PORTION = 1000;
/** `DownloadDBLogFilePortion` returns at most 10,000 lines. */
export const MAX_LINES_PER_PORTION = 10_000;
export const DEFAULT_OBJECT_BYTES = 8 * 1024 * 1024;

const QUEUE_URL = /^https?:\/\/\S+$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** The instances of `LOGLAKE_RDS_INSTANCES`; problems are added to `problems` under the variable's name. */
export function parseInstances(text: string, problems: Problem[]): RdsInstanceSetting[] {
  const name = RDS_EXPORT_ENV.instances;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    problems.push({ path: name, message: `must be JSON, ${(e as Error).message}` });
    return [];
  }
  const top = new Section({ [name]: value }, { problems });
  const seen = new Set<string>();
  return top.sections(name, ['identifier', 'logFiles'], { expected: 'a non-empty array of instances', nonEmpty: true }).map((s) => {
    s.required('identifier', 'the DB instance identifier');
    const identifier = s.string('identifier', '', RDS_INSTANCE_ID, 'a DB instance identifier (1-63 lowercase letters, digits and hyphens, starting with a letter)');
    if (identifier !== '' && seen.has(identifier)) s.problem('identifier', `${show(identifier)} is listed twice`);
    seen.add(identifier);
    const logFiles = s.strings('logFiles', [''], logFilePrefixProblem, 'a non-empty array of log file name prefixes', true);
    return { identifier, logFiles };
  });
}

/** Reads and validates the exporter's configuration; throws `ConfigError` naming every bad variable. */
export function loadRdsExportConfig(env: Env): RdsExportConfig {
  const s = new Section(env, { text: true, known: Object.values(RDS_EXPORT_ENV), noun: 'environment variable', only: (name) => name.startsWith('LOGLAKE_') });
  s.required(RDS_EXPORT_ENV.lakeBucket, 'the name of the central bucket');
  s.required(RDS_EXPORT_ENV.replayQueueUrl, 'the queue the replay messages go to');
  s.required(RDS_EXPORT_ENV.instances, 'the DB instances to export the logs of');
  s.required(RDS_EXPORT_ENV.account, 'the account of the DB instances');
  s.required(RDS_EXPORT_ENV.region, 'the region of the DB instances');
  const instancesText = s.string(RDS_EXPORT_ENV.instances, '');
  const config: RdsExportConfig = {
    lakeBucket: s.string(RDS_EXPORT_ENV.lakeBucket, ''),
    replayQueueUrl: s.string(RDS_EXPORT_ENV.replayQueueUrl, '', QUEUE_URL, 'a queue URL'),
    instances: instancesText === '' ? [] : parseInstances(instancesText, s.problems),
    account: s.string(RDS_EXPORT_ENV.account, '', ACCOUNT, 'a 12-digit AWS account id'),
    region: s.string(RDS_EXPORT_ENV.region, '', REGION, 'an AWS region such as eu-west-1'),
    deadlineMarginMs: s.int(RDS_EXPORT_ENV.deadlineMarginMs, DEFAULT_DEADLINE_MARGIN_MS, 1),
    linesPerPortion: s.int(RDS_EXPORT_ENV.linesPerPortion, DEFAULT_LINES_PER_PORTION, 1, MAX_LINES_PER_PORTION),
    objectBytes: s.int(RDS_EXPORT_ENV.objectBytes, DEFAULT_OBJECT_BYTES, 1024, 256 * 1024 * 1024),
    s3Endpoint: s.optionalString(RDS_EXPORT_ENV.s3Endpoint, /^https?:\/\/[^/\s]+/, 'an http(s) URL'),
  };
  const [first] = s.problems;
  if (first !== undefined) throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems));
  return Object.freeze(config);
}
