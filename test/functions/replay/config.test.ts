import { describe, expect, it } from 'vitest';
import { loadReplayConfig } from '../../../functions/replay/config.js';
import { REPLAY_ENV } from '../../../functions/replay/env-names.js';
import { ConfigError } from '../../../pipeline/run/errors.js';

const REQUIRED = {
  [REPLAY_ENV.lakeBucket]: 'central',
  [REPLAY_ENV.replayQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/loglake-replay',
  [REPLAY_ENV.controlQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/loglake-replay-control',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadReplayConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadReplayConfig', () => {
  it('applies the documented defaults with the bucket and the two queues set', () => {
    const c = loadReplayConfig({ ...REQUIRED, PATH: '/usr/bin', AWS_REGION: 'eu-west-1' });
    expect(c).toEqual({
      lakeBucket: 'central',
      replayQueueUrl: REQUIRED[REPLAY_ENV.replayQueueUrl],
      controlQueueUrl: REQUIRED[REPLAY_ENV.controlQueueUrl],
      yieldMarginMs: 120_000,
      s3Endpoint: null,
      sourceAccess: null,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the margin and the endpoint', () => {
    expect(loadReplayConfig({ ...REQUIRED, [REPLAY_ENV.yieldMarginMs]: '60000', [REPLAY_ENV.s3Endpoint]: 'http://127.0.0.1:4568' })).toMatchObject({
      yieldMarginMs: 60_000,
      s3Endpoint: 'http://127.0.0.1:4568',
    });
  });

  it.each([
    [{}, 'invalid_option', 'LOGLAKE_LAKE_BUCKET: is required (the name of the central bucket); LOGLAKE_REPLAY_QUEUE_URL: is required (the queue the replay messages go to); LOGLAKE_CONTROL_QUEUE_URL: is required (the queue a run continues through)'],
    [{ ...REQUIRED, LOGLAKE_YIELD_MARGIN_MS: '2m' }, 'invalid_option', 'LOGLAKE_YIELD_MARGIN_MS: must be a positive integer, got "2m"'],
    [{ ...REQUIRED, LOGLAKE_CONTROL_QUEUE_URL: 'loglake-replay-control' }, 'invalid_option', 'LOGLAKE_CONTROL_QUEUE_URL: must be a queue URL, got "loglake-replay-control"'],
    [{ ...REQUIRED, LOGLAKE_ARCHIVE_RAW: 'true' }, 'unknown_option', 'LOGLAKE_ARCHIVE_RAW: unknown environment variable; known environment variables: LOGLAKE_LAKE_BUCKET, LOGLAKE_REPLAY_QUEUE_URL, LOGLAKE_CONTROL_QUEUE_URL, LOGLAKE_YIELD_MARGIN_MS, LOGLAKE_S3_ENDPOINT'],
  ])('refuses %j with %s naming the variable', (env, code, message) => {
    const e = configError(env as Record<string, string>);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
  });
});
