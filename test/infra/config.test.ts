import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, LoglakeConfigError, parseConfig, sourceOfFormat } from '../../infra/config.js';
import { createApp } from '../../infra/stack.js';
import { EVENT_TIME_RANGE, FORMAT_NAMES, PARSER_IDS, PARSER_SOURCES, SOURCES } from '../../schema/index.js';
import { CDK_CONTEXT, INLINE_CODE, REPO } from './synth.js';

/** The issues a configuration is rejected with, or [] when it is valid. */
function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value);
    return [];
  } catch (e) {
    if (e instanceof LoglakeConfigError) return [...e.issues];
    throw e;
  }
}

const source = { bucket: 'acme-logs', prefixes: ['AWSLogs/'] };

describe('parseConfig', () => {
  it('applies the documented defaults to a one-source configuration', () => {
    const c = parseConfig({ sources: [{ bucket: 'acme-logs' }] });
    expect(c.name).toBe('loglake');
    expect(c.account).toBeNull();
    expect(c.sources).toEqual([
      { bucket: 'acme-logs', account: null, prefixes: [''], format: 'auto', notification: 's3', topicArn: null, kmsKeyArn: null, poll: null, roleArn: null, externalId: null },
    ]);
    expect(c.lake).toMatchObject({
      kms: false,
      archiveRaw: false,
      keepRaw: true,
      retentionDays: null,
      infrequentAccessAfterDays: 90,
      glacierInstantAfterDays: 365,
      noncurrentVersionRetentionDays: 30,
      objectLock: null,
      partitionsFrom: EVENT_TIME_RANGE.firstDay,
    });
    expect(c.worker).toMatchObject({ timeoutSeconds: 300, batchSize: 10, batchWindowSeconds: 5, replayMaxConcurrency: 2, maxReceiveCount: 5 });
    expect(c.athena).toEqual({ databaseName: 'loglake', workgroupName: 'loglake', maxScannedMiBPerQuery: 10240, resultRetentionDays: 30, lakeFormation: null });
    expect(c.alarms).toEqual({ email: null, maxMessageAgeSeconds: 1800, maxRejectedPercent: 1 });
  });

  it('derives the Glue database name from the deployment name', () => {
    expect(parseConfig({ name: 'sec-lake', sources: [source] }).athena.databaseName).toBe('sec_lake');
  });

  it('returns a frozen configuration', () => {
    const c = parseConfig({ sources: [source] });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.sources[0])).toBe(true);
    expect(Object.isFrozen(c.lake)).toBe(true);
  });

  it('lets glacierInstantAfterDays be switched off with null', () => {
    expect(parseConfig({ sources: [source], lake: { glacierInstantAfterDays: null } }).lake.glacierInstantAfterDays).toBeNull();
  });

  it('rejects unknown keys at every level, naming the path and the known keys', () => {
    const issues = issuesOf({ sources: [{ ...source, prefix: 'x' }], lake: { retention: 3 }, colour: 'red' });
    expect(issues).toContain('colour: unknown key; known keys: name, account, region, tags, sources, lake, worker, athena, alarms, rdsExport, cloudwatchLogs, integrity');
    expect(issues.some((i) => i.startsWith('sources[0].prefix: unknown key; known keys: bucket, account, prefixes'))).toBe(true);
    expect(issues.some((i) => i.startsWith('lake.retention: unknown key'))).toBe(true);
  });

  it('reports every problem at once, each with the received value', () => {
    const issues = issuesOf({
      name: 'Bad Name',
      sources: [{ bucket: 'Bad_Bucket', prefixes: ['/AWSLogs/', 'logs/*'], format: 'syslog', notification: 'sqs' }],
      worker: { timeoutSeconds: 5 },
    });
    expect(issues).toEqual([
      'name: must be a deployment name (2-32 lowercase letters, digits and hyphens, starting with a letter), got "Bad Name"',
      'sources[0].bucket: must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens), got "Bad_Bucket"',
      'sources[0].prefixes[0]: must not start with "/" (S3 keys have no leading slash), got "/AWSLogs/"',
      'sources[0].prefixes[1]: must not contain *, ? or $ (it is a literal prefix, not a pattern), got "logs/*"',
      'sources[0].notification: must be one of s3, s3-sns, cloudtrail-sns, config-sns, eventbridge, poll, got "sqs"',
      `sources[0].format: must be auto, a source (${SOURCES.join(', ')}) or a parser id (${FORMAT_NAMES.filter((f) => !(SOURCES as readonly string[]).includes(f)).join(', ')}), got "syslog"`,
      'worker.timeoutSeconds: must be an integer from 60 to 900, got 5',
    ]);
  });

  it('puts every issue on its own line of the error message, after the origin', () => {
    expect(() => parseConfig({ sources: [] }, 'loglake.config.json')).toThrow(
      'invalid loglake configuration (loglake.config.json):\n  - sources: must be a non-empty array of source buckets, got []',
    );
  });

  it('rejects a configuration that is not an object', () => {
    expect(issuesOf([1])).toEqual(['the configuration must be a JSON object, got [1]']);
  });

  it('requires a bucket for every source', () => {
    expect(issuesOf({ sources: [{ prefixes: ['a/'] }] })).toContain(
      'sources[0].bucket: is required (the name of the existing bucket the logs land in)',
    );
  });

  it('requires a topic ARN for the SNS notification types and refuses one elsewhere', () => {
    expect(issuesOf({ sources: [{ ...source, notification: 'cloudtrail-sns' }] })).toEqual([
      'sources[0].topicArn: is required when notification is cloudtrail-sns',
    ]);
    expect(issuesOf({ sources: [{ ...source, topicArn: 'arn:aws:sns:eu-west-1:111111111111:t' }] })).toEqual([
      'sources[0].topicArn: only applies to the *-sns notification types, not s3',
    ]);
    expect(issuesOf({ sources: [{ ...source, notification: 's3-sns', topicArn: 'arn:aws:sqs:eu-west-1:111111111111:q' }] })).toEqual([
      'sources[0].topicArn: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), got "arn:aws:sqs:eu-west-1:111111111111:q"',
    ]);
  });

  it('polls a poll source every 15 minutes with a lookback of one day unless told otherwise', () => {
    expect(parseConfig({ sources: [{ ...source, notification: 'poll' }] }).sources[0]?.poll).toEqual({ minutes: 15, lookbackDays: 1 });
    expect(parseConfig({ sources: [{ ...source, notification: 'poll', pollMinutes: 60, pollLookbackDays: 3 }] }).sources[0]?.poll).toEqual({ minutes: 60, lookbackDays: 3 });
    expect(parseConfig({ sources: [{ ...source, notification: 'poll', prefixes: [''] }] }).sources[0]?.poll).not.toBeNull();
  });

  it('refuses poll settings out of range, on other notification types, and poll prefixes that are no folder', () => {
    expect(issuesOf({ sources: [{ ...source, notification: 'poll', pollMinutes: 1, pollLookbackDays: 40 }] })).toEqual([
      'sources[0].pollMinutes: must be an integer from 5 to 1440, got 1',
      'sources[0].pollLookbackDays: must be an integer from 0 to 31, got 40',
    ]);
    expect(issuesOf({ sources: [{ ...source, pollMinutes: 15 }] })).toEqual(['sources[0].pollMinutes: only applies to notification poll, not s3']);
    expect(issuesOf({ sources: [{ ...source, notification: 'poll', prefixes: ['logs/', 'cf/E2'] }] })).toEqual([
      'sources[0].prefixes[1]: of a poll source must end in "/" (a folder the replay job lists), got "cf/E2"',
    ]);
  });

  it('refuses a CloudTrail or Config topic pinned to another format', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:t';
    expect(issuesOf({ sources: [{ ...source, notification: 'cloudtrail-sns', topicArn, format: 'alb' }] })).toEqual([
      'sources[0].format: a cloudtrail-sns source carries CloudTrail files, got "alb"',
    ]);
    expect(issuesOf({ sources: [{ ...source, notification: 'config-sns', topicArn, format: 'cloudtrail' }] })).toEqual([
      'sources[0].format: a config-sns source carries AWS Config files, got "cloudtrail"',
    ]);
  });

  it('accepts as format auto, every source and every parser id, and nothing else', () => {
    for (const format of ['auto', ...SOURCES, ...PARSER_IDS]) {
      expect(issuesOf({ sources: [{ ...source, format }] }), format).toEqual([]);
      expect(parseConfig({ sources: [{ ...source, format }] }).sources[0]?.format).toBe(format);
    }
    for (const format of ['netflow', 'syslog', 'Billing', 'billing-', '']) {
      expect(issuesOf({ sources: [{ ...source, format }] }), format).toHaveLength(1);
    }
  });

  it('refuses a format without a parser, naming every format that exists', () => {
    const [issue] = issuesOf({ sources: [{ ...source, format: 'netflow' }] });
    expect(issue).toMatch(/^sources\[0\]\.format: must be auto, a source \(.*\) or a parser id \(.*\), got "netflow"$/);
    for (const name of FORMAT_NAMES) expect(issue, name).toContain(name);
  });

  it('refuses such a format at synth time, before CloudFormation sees anything', () => {
    const config = { sources: [{ ...source, format: 'netflow' }] };
    expect(() => createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE })).toThrow(LoglakeConfigError);
    expect(() => createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE })).toThrow(/format: must be auto, a source .*billing-dbr.*got "netflow"/);
  });

  it('maps a parser id to the source it writes, a source to itself and auto to none', () => {
    for (const id of PARSER_IDS) expect(sourceOfFormat(id), id).toBe(PARSER_SOURCES[id]);
    for (const name of SOURCES) expect(sourceOfFormat(name), name).toBe(name);
    expect(sourceOfFormat('auto')).toBeNull();
  });

  it('checks a topic source pinned to a parser id by the source of that parser', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:t';
    expect(issuesOf({ sources: [{ ...source, notification: 'cloudtrail-sns', topicArn, format: 'billing-cur' }] })).toEqual([
      'sources[0].format: a cloudtrail-sns source carries CloudTrail files, got "billing-cur"',
    ]);
    expect(issuesOf({ sources: [{ ...source, notification: 'config-sns', topicArn, format: 'config' }] })).toEqual([]);
  });

  it('starts partition projection by default on the first day the worker accepts', () => {
    expect(parseConfig({ sources: [source] }).lake.partitionsFrom).toBe(EVENT_TIME_RANGE.firstDay);
  });

  it('refuses a partitionsFrom that is not a calendar day', () => {
    expect(issuesOf({ sources: [source], lake: { partitionsFrom: '2024-02-30' } })).toEqual([
      'lake.partitionsFrom: must be a calendar day as YYYY-MM-DD, got "2024-02-30"',
    ]);
    expect(issuesOf({ sources: [source], lake: { partitionsFrom: '2024-2-1' } })).toEqual(['lake.partitionsFrom: must be a day as YYYY-MM-DD, got "2024-2-1"']);
  });

  it('rejects overlapping prefixes of one bucket, which would ingest objects twice', () => {
    expect(
      issuesOf({ sources: [{ bucket: 'acme-logs', prefixes: ['AWSLogs/'] }, { bucket: 'acme-logs', prefixes: ['AWSLogs/123/'] }] }),
    ).toEqual([
      'sources[1].prefixes[0]: "AWSLogs/123/" overlaps "AWSLogs/" of sources[0].prefixes[0] in bucket acme-logs; objects would be ingested twice',
    ]);
    expect(issuesOf({ sources: [{ bucket: 'acme-logs', prefixes: ['a/', 'b/'] }, { bucket: 'other-logs', prefixes: ['a/'] }] })).toEqual([]);
  });

  it('treats a whole-bucket source as overlapping every other prefix of that bucket', () => {
    expect(issuesOf({ sources: [{ bucket: 'acme-logs' }, { bucket: 'acme-logs', prefixes: ['x/'] }] })).toHaveLength(1);
  });

  it('refuses the deployment account as a source account', () => {
    expect(issuesOf({ account: '111111111111', sources: [{ ...source, account: '111111111111' }] })).toEqual([
      'sources[0].account: is the deployment account; leave it out for same-account buckets',
    ]);
  });

  it('checks that lifecycle transitions come in order and before expiry', () => {
    expect(issuesOf({ sources: [source], lake: { infrequentAccessAfterDays: 20 } })).toEqual([
      'lake.infrequentAccessAfterDays: must be an integer from 30 to 36500, got 20',
    ]);
    expect(issuesOf({ sources: [source], lake: { infrequentAccessAfterDays: 100, glacierInstantAfterDays: 90 } })).toEqual([
      'lake.glacierInstantAfterDays: must be later than infrequentAccessAfterDays (100), got 90',
    ]);
    expect(issuesOf({ sources: [source], lake: { retentionDays: 200 } })).toEqual([
      'lake.glacierInstantAfterDays: must be earlier than retentionDays (200), or null to skip it; got 365',
    ]);
    expect(issuesOf({ sources: [source], lake: { archiveRaw: true, rawGlacierAfterDays: 90, rawRetentionDays: 60 } })).toEqual([
      'lake.rawRetentionDays: must be later than rawGlacierAfterDays (90), got 60',
    ]);
  });

  it('refuses raw lifecycle settings without the raw archive', () => {
    expect(issuesOf({ sources: [source], lake: { rawRetentionDays: 400 } })).toEqual([
      'lake.archiveRaw: raw/ lifecycle settings are given but archiveRaw is not true; nothing would be archived',
    ]);
  });

  it('refuses a retention shorter than the Object Lock period', () => {
    expect(issuesOf({ sources: [source], lake: { retentionDays: 500, glacierInstantAfterDays: null, objectLock: { mode: 'COMPLIANCE', days: 730 } } })).toEqual([
      'lake.retentionDays: must be at least objectLock.days (730), got 500; locked objects cannot expire earlier',
    ]);
    expect(issuesOf({ sources: [source], lake: { objectLock: { mode: 'LEGAL' } } })).toEqual([
      'lake.objectLock.days: is required (default retention of every new object)',
      'lake.objectLock.mode: must be one of GOVERNANCE, COMPLIANCE, got "LEGAL"',
    ]);
  });

  it('keeps reserved concurrency above the replay cap so live ingestion always has capacity', () => {
    expect(issuesOf({ sources: [source], worker: { reservedConcurrency: 2, replayMaxConcurrency: 2 } })).toEqual([
      'worker.reservedConcurrency: must exceed replayMaxConcurrency (2) so live ingestion always has capacity, got 2',
      // The default ingest cap of one source (10) and the replay cap (2) need 12.
      'worker.reservedConcurrency: must be at least ingestMaxConcurrency + replayMaxConcurrency (12), got 2',
    ]);
  });

  it('keeps reserved concurrency at least as large as what both consumers may use', () => {
    expect(issuesOf({ sources: [source], worker: { reservedConcurrency: 20, ingestMaxConcurrency: 19, replayMaxConcurrency: 2 } })).toEqual([
      'worker.reservedConcurrency: must be at least ingestMaxConcurrency + replayMaxConcurrency (21), got 20',
    ]);
    expect(issuesOf({ sources: [source], worker: { reservedConcurrency: 21, ingestMaxConcurrency: 19, replayMaxConcurrency: 2 } })).toEqual([]);
  });

  it('accepts only the log retention periods CloudWatch Logs offers', () => {
    expect(issuesOf({ sources: [source], worker: { logRetentionDays: 45 } })[0]).toMatch(/^worker\.logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60/);
  });

  it('accepts both example configurations shipped with the repository', () => {
    for (const file of ['loglake.config.example.json', 'loglake.config.multi-account.example.json']) {
      expect(issuesOf(JSON.parse(readFileSync(new URL(file, REPO), 'utf8'))), file).toEqual([]);
    }
  });
});

describe('loadConfig', () => {
  const dir = (files: Record<string, unknown>): string => {
    const d = mkdtempSync(join(tmpdir(), 'loglake-config-'));
    for (const [name, value] of Object.entries(files)) writeFileSync(join(d, name), typeof value === 'string' ? value : JSON.stringify(value));
    return d;
  };
  const context = (values: Record<string, unknown>) => (key: string): unknown => values[key];
  const config = (name: string): unknown => ({ name, sources: [source] });

  it('prefers context loglake, given as an object or as a JSON string', () => {
    const d = dir({ 'loglake.config.json': config('from-file') });
    expect(loadConfig(context({ loglake: config('from-context') }), d).config.name).toBe('from-context');
    expect(loadConfig(context({ loglake: JSON.stringify(config('from-string')) }), d)).toMatchObject({
      config: { name: 'from-string' },
      origin: 'context:loglake',
      isExample: false,
    });
  });

  it('reads the file named by context loglakeConfig, relative to the directory', () => {
    const d = dir({ 'loglake.config.json': config('default-file'), 'prod.json': config('named-file') });
    const loaded = loadConfig(context({ loglakeConfig: 'prod.json' }), d);
    expect(loaded.config.name).toBe('named-file');
    expect(loaded.origin).toBe(join(d, 'prod.json'));
  });

  it('reads loglake.config.json when no context names a configuration', () => {
    const d = dir({ 'loglake.config.json': config('default-file') });
    expect(loadConfig(context({}), d)).toMatchObject({ config: { name: 'default-file' }, isExample: false });
  });

  it('falls back to the example configuration and says so', () => {
    const loaded = loadConfig(context({}), fileURLToPath(REPO));
    expect(loaded.isExample).toBe(true);
    expect(loaded.origin.endsWith('loglake.config.example.json')).toBe(true);
  });

  it('names the file in errors about its content or its absence', () => {
    const d = dir({ 'loglake.config.json': '{ "sources": [' });
    expect(() => loadConfig(context({}), d)).toThrow(`invalid loglake configuration (${join(d, 'loglake.config.json')}):\n  - not valid JSON`);
    expect(() => loadConfig(context({ loglakeConfig: 'missing.json' }), d)).toThrow(`(${join(d, 'missing.json')}):\n  - the file does not exist`);
    expect(() => loadConfig(context({ loglake: '{' }), d)).toThrow('invalid loglake configuration (context:loglake):\n  - not valid JSON');
  });
});
