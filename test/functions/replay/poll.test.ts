import { describe, expect, it } from 'vitest';
import { addDays, parsePollState, planPoll, pollStateKey, POLL_STALE_MS, type PollState } from '../../../functions/replay/poll.js';
import { newRecord, type ReplayRecord } from '../../../pipeline/replay/record.js';

const NOW = Date.parse('2024-03-10T12:00:00Z');
const state = (over: Partial<PollState> = {}): PollState => ({
  v: 1,
  bucket: 'acme-logs',
  prefix: 'AWSLogs/',
  run_id: '20240305T120000Z-a1b2c3',
  started_at: '2024-03-05T12:00:00.000Z',
  started_day: '2024-03-05',
  from: '2024-03-04',
  ...over,
});
const previous = (status: ReplayRecord['status'], updatedMs: number, from = '2024-03-04'): ReplayRecord => {
  const params = { bucket: 'acme-logs', prefix: 'AWSLogs/', from, to: '2024-03-05', source: null, account: null, region: null, force: false, parserOlderThan: null, rate: null, window: 'day' as const };
  const r = newRecord('20240305T120000Z-a1b2c3', 'poll', params, 'https://sqs/q', 2, updatedMs);
  r.status = status;
  return r;
};

describe('planPoll', () => {
  it('starts a first poll at today minus the lookback', () => {
    expect(planPoll(null, null, NOW, 1)).toEqual({ kind: 'run', from: '2024-03-09', to: '2024-03-10' });
    expect(planPoll(null, null, NOW, 0)).toEqual({ kind: 'run', from: '2024-03-10', to: '2024-03-10' });
  });

  it('starts at the day the previous poll started, minus the lookback, when that one is done', () => {
    expect(planPoll(state(), previous('done', NOW - 3600_000), NOW, 2)).toEqual({ kind: 'run', from: '2024-03-03', to: '2024-03-10' });
    // A done run started later than its own from: the lookback still counts from its start day.
    expect(planPoll(state({ from: '2024-02-01' }), previous('done', NOW), NOW, 1)).toEqual({ kind: 'run', from: '2024-03-04', to: '2024-03-10' });
  });

  it('starts where the previous run began when it did not finish, or its record is gone', () => {
    for (const status of ['failed', 'cancelled'] as const) {
      expect(planPoll(state({ from: '2024-02-01' }), previous(status, NOW), NOW, 1), status).toEqual({ kind: 'run', from: '2024-02-01', to: '2024-03-10' });
    }
    expect(planPoll(state({ from: '2024-02-01' }), null, NOW, 1)).toEqual({ kind: 'run', from: '2024-02-01', to: '2024-03-10' });
  });

  it('waits for a running previous poll until its record has been quiet for an hour', () => {
    expect(planPoll(state(), previous('running', NOW - POLL_STALE_MS + 1), NOW, 1)).toMatchObject({ kind: 'wait', runId: '20240305T120000Z-a1b2c3' });
    expect(planPoll(state({ from: '2024-02-01' }), previous('running', NOW - POLL_STALE_MS), NOW, 1)).toEqual({ kind: 'run', from: '2024-02-01', to: '2024-03-10' });
  });

  it('never starts after today, whatever the stored day says', () => {
    expect(planPoll(state({ started_day: '2024-03-20', from: '2024-03-19' }), previous('done', NOW), NOW, 1)).toEqual({ kind: 'run', from: '2024-03-10', to: '2024-03-10' });
  });
});

describe('poll state', () => {
  it('lives under replay-control/poll/<bucket>/ with the SHA-256 of the prefix as its name', () => {
    expect(pollStateKey('acme-logs', '')).toBe('replay-control/poll/acme-logs/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.json');
    expect(pollStateKey('acme-logs', 'AWSLogs/')).toMatch(/^replay-control\/poll\/acme-logs\/[0-9a-f]{64}\.json$/);
    expect(pollStateKey('acme-logs', 'AWSLogs/')).not.toBe(pollStateKey('acme-logs', 'AWSLogs/1/'));
  });

  it('reads back what is written and says what is wrong with anything else', () => {
    const s = state();
    expect(parsePollState(Buffer.from(JSON.stringify(s)), 'x')).toEqual(s);
    expect(parsePollState(Buffer.from('{'), 'x')).toMatch(/^x is not JSON/);
    expect(parsePollState(Buffer.from(JSON.stringify({ ...s, run_id: 'r', from: '2024-02-30' })), 'x')).toBe(
      'x is not a poll state: run_id: must be a run id, got "r"; from: must be a day YYYY-MM-DD, got "2024-02-30"',
    );
  });

  it('moves days across months and years', () => {
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2023-12-31', 1)).toBe('2024-01-01');
  });
});
