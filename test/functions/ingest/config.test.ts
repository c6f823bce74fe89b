import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../../functions/ingest/config.js';
import { INGEST_ENV } from '../../../functions/ingest/env-names.js';
import { ConfigError } from '../../../pipeline/run/errors.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadWorkerConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadWorkerConfig', () => {
  it('applies the documented defaults with only the lake bucket set', () => {
    const c = loadWorkerConfig({ [INGEST_ENV.lakeBucket]: 'central', PATH: '/usr/bin', AWS_REGION: 'eu-west-1' });
    expect(c).toMatchObject({ lakeBucket: 'central', s3Endpoint: null, rules: null, continuationQueueUrl: null, archiveRaw: false, deadlineMarginMs: 30_000, maxConcurrentMessages: 4 });
    expect(c.options).toMatchObject({ keepRaw: true, keepSelfTraffic: false, rowGroupRows: 20_000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every variable', () => {
    const c = loadWorkerConfig({
      [INGEST_ENV.lakeBucket]: 'central',
      [INGEST_ENV.s3Endpoint]: 'http://127.0.0.1:4568',
      [INGEST_ENV.routingRules]: '{"rules":[{"bucket":"b","prefix":"AWSLogs/","format":"alb"}]}',
      [INGEST_ENV.continuationQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/1/replay',
      [INGEST_ENV.archiveRaw]: 'true',
      [INGEST_ENV.keepRaw]: 'false',
      [INGEST_ENV.keepSelfTraffic]: 'true',
      [INGEST_ENV.deadlineMarginMs]: '45000',
      [INGEST_ENV.maxConcurrentMessages]: '2',
      [INGEST_ENV.rowGroupRows]: '5000',
    });
    expect(c).toMatchObject({ s3Endpoint: 'http://127.0.0.1:4568', continuationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/replay', archiveRaw: true, deadlineMarginMs: 45_000, maxConcurrentMessages: 2 });
    expect(c.rules?.rules[0]).toMatchObject({ bucket: 'b', prefix: 'AWSLogs/', format: 'alb' });
    expect(c.options).toMatchObject({ keepRaw: false, keepSelfTraffic: true, rowGroupRows: 5000 });
  });

  it.each([
    [{}, 'invalid_option', 'LOGLAKE_LAKE_BUCKET: is required (the name of the central bucket)'],
    [{ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_ARCHIVE_RAW: 'yes' }, 'invalid_option', 'LOGLAKE_ARCHIVE_RAW: must be true or false, got "yes"'],
    [{ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_DEADLINE_MARGIN_MS: '30s' }, 'invalid_option', 'LOGLAKE_DEADLINE_MARGIN_MS: must be a positive integer, got "30s"'],
    [
      { LOGLAKE_ARCHIVE_RAW: 'yes', LOGLAKE_MAX_CONCURRENT_MESSAGES: '0' },
      'invalid_option',
      'LOGLAKE_LAKE_BUCKET: is required (the name of the central bucket); LOGLAKE_ARCHIVE_RAW: must be true or false, got "yes"; LOGLAKE_MAX_CONCURRENT_MESSAGES: must be a positive integer, got "0"',
    ],
    [{ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_S3_ENDPOINT: 'localhost:4568' }, 'invalid_option', 'LOGLAKE_S3_ENDPOINT: must be an http(s) URL, got "localhost:4568"'],
    [{ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_ROUTING_RULES: '{"rules": [' }, 'invalid_rules', 'LOGLAKE_ROUTING_RULES: not valid JSON'],
    [{ LOGLAKE_LAKE_BUCKET: 'b', LOGLAKE_ARCHIVE_RAWW: 'true' }, 'unknown_option', `LOGLAKE_ARCHIVE_RAWW: unknown environment variable; known environment variables: LOGLAKE_LAKE_BUCKET, LOGLAKE_ROUTING_RULES, LOGLAKE_CONTINUATION_QUEUE_URL, LOGLAKE_ARCHIVE_RAW, LOGLAKE_KEEP_RAW, LOGLAKE_KEEP_SELF_TRAFFIC, LOGLAKE_DEADLINE_MARGIN_MS, LOGLAKE_MAX_CONCURRENT_MESSAGES, LOGLAKE_ROW_GROUP_ROWS, LOGLAKE_THREADS, LOGLAKE_S3_ENDPOINT, LOGLAKE_LOG_GROUPS, LOGLAKE_INTEGRITY, LOGLAKE_MISSING_LOG_AFTER_HOURS, LOGLAKE_ALARM_TOPIC_ARN, LOGLAKE_SOURCE_ACCESS`],
  ])('refuses %j with %s naming the variable', (env, code, message) => {
    const e = configError(env as Record<string, string>);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });
});
