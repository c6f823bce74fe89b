import { beforeAll, describe, expect, it } from 'vitest';
import { INGEST_METRICS } from '../../functions/ingest/env-names.js';
import { parseConfig } from '../../infra/config.js';
import { alarmedSources } from '../../infra/stack.js';
import { PARSER_IDS, PARSER_SOURCES, SOURCES } from '../../schema/index.js';
import { FULL, MINIMAL, flat, idOf, synth, type CfnResource, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const alarms = (s: Synth): Map<string, Record<string, unknown>> =>
  new Map(s.resources('AWS::CloudWatch::Alarm').map(([, r]) => [r.Properties.AlarmName as string, r.Properties]));

/** The metric of a single-metric alarm as `namespace/name dimension=<resource>`. */
const metricOf = (a: Record<string, unknown> | undefined): string => {
  const dims = (a?.Dimensions as Array<{ Name: string; Value: unknown }>).map((d) => `${d.Name}=${flat(d.Value)}`).join(',');
  return `${String(a?.Namespace)}/${String(a?.MetricName)} ${dims}`;
};

describe('PipelineMonitoring with the defaults', () => {
  let s: Synth;
  let topic: string;
  let byName: Map<string, Record<string, unknown>>;
  beforeAll(() => {
    s = synth(MINIMAL);
    topic = idOf(s, s.stack.monitoring.topic);
    byName = alarms(s);
  }, SYNTH_TIMEOUT_MS);

  it('creates the documented alarms, with one rejected-line alarm per pinned format', () => {
    expect([...byName.keys()].sort()).toEqual(
      [
        'loglake-ingest-dlq-not-empty',
        'loglake-replay-dlq-not-empty',
        'loglake-replay-control-dlq-not-empty',
        'loglake-replay-errors',
        'loglake-ingest-falling-behind',
        'loglake-replay-near-expiry',
        'loglake-worker-errors',
        'loglake-worker-throttles',
        'loglake-rejected-lines-cloudtrail',
      ].sort(),
    );
  });

  it('wires every alarm and its recovery to the ops topic', () => {
    for (const [name, a] of byName) {
      expect(a.AlarmActions, name).toEqual([{ Ref: topic }]);
      expect(a.OKActions, name).toEqual([{ Ref: topic }]);
      expect(a.TreatMissingData, name).toBe('notBreaching');
    }
  });

  it('fires as soon as one message waits in a dead-letter queue', () => {
    const q = s.stack.queues;
    for (const [name, dlq] of [
      ['loglake-ingest-dlq-not-empty', q.ingestDlq],
      ['loglake-replay-dlq-not-empty', q.replayDlq],
    ] as const) {
      const a = byName.get(name);
      expect(metricOf(a), name).toBe(`AWS/SQS/ApproximateNumberOfMessagesVisible QueueName=<${idOf(s, dlq)}.QueueName>`);
      expect(a, name).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 1, Statistic: 'Maximum' });
    }
  });

  it('fires when the oldest ingest message is older than the configured age', () => {
    const a = byName.get('loglake-ingest-falling-behind');
    expect(metricOf(a)).toBe(`AWS/SQS/ApproximateAgeOfOldestMessage QueueName=<${idOf(s, s.stack.queues.ingest)}.QueueName>`);
    expect(a).toMatchObject({ Threshold: 1800, ComparisonOperator: 'GreaterThanThreshold' });
    expect(byName.get('loglake-replay-near-expiry')).toMatchObject({ Threshold: 7 * 86_400 });
  });

  it('fires on worker errors and throttles', () => {
    const fn = idOf(s, s.stack.worker.function);
    expect(metricOf(byName.get('loglake-worker-errors'))).toBe(`AWS/Lambda/Errors FunctionName=<${fn}>`);
    expect(metricOf(byName.get('loglake-worker-throttles'))).toBe(`AWS/Lambda/Throttles FunctionName=<${fn}>`);
  });

  it("computes the rejected-line rate from the worker's own metrics for its source", () => {
    const a = byName.get('loglake-rejected-lines-cloudtrail');
    expect(a?.Threshold).toBe(1);
    const metrics = a?.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(lines > 0, 100 * rejected / lines, 0)');
    const dims = [{ Name: 'service', Value: 'loglake' }, { Name: 'source', Value: 'cloudtrail' }];
    expect(metrics.find((m) => m.Id === 'rejected')?.MetricStat?.Metric).toEqual({ Namespace: 'Loglake', MetricName: INGEST_METRICS.rejected, Dimensions: dims });
    expect(metrics.find((m) => m.Id === 'lines')?.MetricStat?.Metric).toEqual({ Namespace: 'Loglake', MetricName: INGEST_METRICS.linesIn, Dimensions: dims });
  });

  it('has no e-mail subscription unless an address is configured', () => {
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('only accepts TLS publishing on the ops topic', () => {
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });

  it('draws a dashboard of objects, records, rejected lines, bytes, lag, errors by class and DLQ depth per source', () => {
    const [, dash] = s.resources('AWS::CloudWatch::Dashboard')[0] as [string, CfnResource];
    expect(dash.Properties.DashboardName).toBe('loglake-pipeline');
    // The body is a JSON text joined with references; only the references are flattened.
    const [, parts] = (dash.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : flat(p))).join('')) as { widgets: Array<{ type: string; properties: { title?: string; metrics?: unknown[] } }> };
    const graphs = new Map(body.widgets.filter((w) => w.type === 'metric').map((w) => [w.properties.title, JSON.stringify(w.properties.metrics)]));
    const search = (metric: string, dims = 'service,source'): string => `SEARCH('{Loglake,${dims}} service=\\"loglake\\" MetricName=\\"${metric}\\"`;
    expect(graphs.get('Objects processed per source')).toContain(search(INGEST_METRICS.objects));
    expect(graphs.get('Records written per source')).toContain(search(INGEST_METRICS.records));
    expect(graphs.get('Rejected lines per source')).toContain(search(INGEST_METRICS.rejected));
    expect(graphs.get('Bytes read (compressed) and written per source')).toContain(search(INGEST_METRICS.bytesIn));
    expect(graphs.get('Bytes read (compressed) and written per source')).toContain(search(INGEST_METRICS.bytesOut));
    expect(graphs.get('Lag from object time to lake, max (s)')).toContain(search(INGEST_METRICS.lag));
    const errors = graphs.get('Errors by class and code') ?? '';
    expect(errors).toContain("SEARCH('{Loglake,service,code} service=\\\"loglake\\\"");
    for (const m of [INGEST_METRICS.objectErrors, INGEST_METRICS.transientErrors, INGEST_METRICS.messageErrors, INGEST_METRICS.internalErrors]) {
      expect(errors).toContain(`MetricName=\\\"${m}\\\"`);
    }
    const dlq = graphs.get('Dead-letter queue depth') ?? '';
    for (const q of [s.stack.queues.ingestDlq, s.stack.queues.replayDlq]) expect(dlq).toContain(`<${idOf(s, q)}.QueueName>`);
    expect(body.widgets.some((w) => w.type === 'alarm')).toBe(true);
  });
});

describe('PipelineMonitoring with an e-mail, a customer key and auto sources', () => {
  let s: Synth;
  let byName: Map<string, Record<string, unknown>>;
  beforeAll(() => {
    s = synth(FULL);
    byName = alarms(s);
  }, SYNTH_TIMEOUT_MS);

  it('subscribes the configured address to the ops topic', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: idOf(s, s.stack.monitoring.topic) },
    });
  });

  it('encrypts the topic with the customer key and lets CloudWatch use it', () => {
    const key = idOf(s, s.stack.storage.key!);
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    const statements = (s.template.toJSON().Resources[key].Properties.KeyPolicy as { Statement: Array<{ Principal?: { Service?: string | string[] }; Action: string[] }> }).Statement;
    const cw = statements.filter((st) => [st.Principal?.Service].flat().includes('cloudwatch.amazonaws.com'));
    expect(cw.flatMap((st) => st.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('alarms on the rejected-line rate of every source when a source is auto, at the configured threshold', () => {
    const rejected = [...byName.keys()].filter((n) => n.startsWith('full-lake-rejected-lines-'));
    expect(rejected.sort()).toEqual(SOURCES.map((src) => `full-lake-rejected-lines-${src}`).sort());
    for (const n of rejected) expect(byName.get(n)?.Threshold).toBe(0.5);
    expect(byName.get('full-lake-ingest-falling-behind')?.Threshold).toBe(900);
  });
});

describe('alarmedSources', () => {
  const pinned = (...formats: string[]): string[] =>
    alarmedSources(parseConfig({ sources: formats.map((format, i) => ({ bucket: `acme-logs-${i}`, format })) }));

  it('alarms on the source a pinned parser id writes, the dimension the worker emits', () => {
    for (const id of PARSER_IDS) expect(pinned(id), id).toEqual([PARSER_SOURCES[id]]);
    expect(pinned('billing-cur', 'billing-dbr', 'alb')).toEqual(['alb', 'billing']);
  });

  it('alarms on every source when one source is auto', () => {
    expect(pinned('billing-dbr', 'auto')).toEqual([...SOURCES]);
  });
});
