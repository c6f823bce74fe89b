import { beforeAll, describe, expect, it } from 'vitest';
import { FULL, MINIMAL, flat, idOf, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const queuePolicy = (s: Synth, queueId: string): Statement[] =>
  s
    .resources('AWS::SQS::QueuePolicy')
    .filter(([, p]) => (p.Properties.Queues as unknown[]).some((q) => flat(q) === `<${queueId}>`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

for (const [label, config, receives, window] of [
  ['the defaults', MINIMAL, 5, 5],
  ['a tuned worker and KMS', FULL, 7, 20],
] as const) {
  describe(`IngestQueues with ${label}`, () => {
    let s: Synth;
    let ids: { ingest: string; ingestDlq: string; replay: string; replayDlq: string; fn: string };
    const res = (id: string): CfnResource => s.template.toJSON().Resources[id] as CfnResource;
    beforeAll(() => {
      s = synth(config);
      const q = s.stack.queues;
      ids = {
        ingest: idOf(s, q.ingest),
        ingestDlq: idOf(s, q.ingestDlq),
        replay: idOf(s, q.replay),
        replayDlq: idOf(s, q.replayDlq),
        fn: idOf(s, s.stack.worker.function),
      };
    }, SYNTH_TIMEOUT_MS);

    it('creates the ingest and replay queues, each redriving to its own dead-letter queue', () => {
      // Two more are the replay job's control queue and its dead-letter queue (test/infra/replay.test.ts).
      expect(s.resources('AWS::SQS::Queue')).toHaveLength(6);
      expect(res(ids.ingest).Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [ids.ingestDlq, 'Arn'] }, maxReceiveCount: receives });
      expect(res(ids.replay).Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [ids.replayDlq, 'Arn'] }, maxReceiveCount: receives });
    });

    it('keeps visibility above six times the function timeout plus the batching window', () => {
      const timeout = res(ids.fn).Properties.Timeout as number;
      expect(timeout).toBeGreaterThanOrEqual(60);
      for (const id of [ids.ingest, ids.replay]) {
        expect(res(id).Properties.VisibilityTimeout as number, id).toBeGreaterThan(6 * timeout + window);
      }
    });

    it('keeps messages and dead letters for the maximum 14 days', () => {
      for (const [id, q] of s.resources('AWS::SQS::Queue')) expect(q.Properties.MessageRetentionPeriod, id).toBe(14 * 86_400);
    });

    it(config === FULL ? 'encrypts every queue with the customer key' : 'encrypts every queue with SQS-managed keys', () => {
      for (const [id, q] of s.resources('AWS::SQS::Queue')) {
        if (config === FULL) expect(flat(q.Properties.KmsMasterKeyId), id).toBe(`<${idOf(s, s.stack.storage.key!)}.Arn>`);
        else expect(q.Properties.SqsManagedSseEnabled, id).toBe(true);
      }
    });

    it('denies every queue action without TLS', () => {
      for (const [id] of s.resources('AWS::SQS::Queue')) {
        expect(queuePolicy(s, id).filter((st) => st.Effect === 'Deny'), id).toEqual([
          {
            Effect: 'Deny',
            Action: 'sqs:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: { 'Fn::GetAtt': [id, 'Arn'] },
          },
        ]);
      }
    });

    it('grants no service a way into the replay queue or its dead-letter queue', () => {
      for (const id of [ids.replay, ids.replayDlq]) expect(queuePolicy(s, id).filter((st) => st.Effect === 'Allow'), id).toEqual([]);
    });
  });
}
