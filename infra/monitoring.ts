/**
 * The watching stage: an ops SNS topic, the alarms that publish to it and a dashboard of the
 * pipeline per source.
 *
 * Alarms are the "never babysit it" promise: anything that parks work (dead-letter queues),
 * delays it (age of the oldest message), breaks it (errors, throttles) or degrades it (rejected
 * lines) pages the topic; nothing else does, so every page means something.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CWLOGS_METRICS } from '../functions/cwlogs/env-names.js';
import { INGEST_METRICS } from '../functions/ingest/env-names.js';
import { RDS_EXPORT_METRICS } from '../functions/rds-export/env-names.js';
import { REPLAY_METRICS } from '../functions/replay/env-names.js';
import type { Source } from '../schema/index.js';
import type { AlarmsConfig } from './config.js';
import { QUEUE_RETENTION } from './queues.js';

/** Properties of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** Deployment name: alarm name prefix and the `service` metric dimension. */
  readonly name: string;
  readonly alarms: AlarmsConfig;
  /** Customer key for the topic; without one the topic is not encrypted at rest (see the constructor). */
  readonly encryptionKey?: kms.IKey;
  readonly ingestQueue: sqs.IQueue;
  readonly ingestDlq: sqs.IQueue;
  readonly replayQueue: sqs.IQueue;
  readonly replayDlq: sqs.IQueue;
  readonly worker: lambda.IFunction;
  /** The replay job: its function and the dead-letter queue of its control queue. */
  readonly replay: { readonly function: lambda.IFunction; readonly controlDlq: sqs.IQueue };
  /** The RDS log exporter and its schedule, when deployed. */
  readonly rdsExport?: { readonly function: lambda.IFunction; readonly scheduleMinutes: number };
  /** The CloudWatch Logs intake function and the dead-letter queue of its invocations, when deployed. */
  readonly cwlogs?: { readonly function: lambda.IFunction; readonly deadLetterQueue: sqs.IQueue };
  /** The Firehose stream of the CloudWatch Logs intake, when deployed: its delivery freshness and buffer interval. */
  readonly cwlogsFirehose?: { readonly freshness: cloudwatch.IMetric; readonly bufferSeconds: number };
  /** Sources that get a rejected-line-rate alarm: the formats the configuration can produce. */
  readonly sources: readonly Source[];
}

const FIVE_MINUTES = Duration.minutes(5);

/** Worker error metrics that carry a `code` dimension, one per error class. */
const ERROR_CLASSES = [INGEST_METRICS.objectErrors, INGEST_METRICS.transientErrors, INGEST_METRICS.messageErrors, INGEST_METRICS.internalErrors];

/** Ops topic, alarms and dashboard. */
export class PipelineMonitoring extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { name } = props;

    const topic = new sns.Topic(this, 'OpsTopic', {
      displayName: `loglake ${name} alarms`,
      enforceSSL: true,
      masterKey: props.encryptionKey,
    });
    // Without a customer key the topic stays unencrypted at rest: CloudWatch alarms cannot publish
    // to a topic under the AWS-managed SNS key, and alarm messages carry no log data.
    if (props.encryptionKey) {
      // CloudWatch must be able to encrypt what it publishes to the topic.
      props.encryptionKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    if (props.alarms.email) topic.addSubscription(new subs.EmailSubscription(props.alarms.email));
    this.topic = topic;

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, options: cloudwatch.AlarmProps): void => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...options });
      a.addAlarmAction(new actions.SnsAction(topic));
      a.addOkAction(new actions.SnsAction(topic));
      alarms.push(a);
    };

    for (const [id, dlq, what] of [
      ['IngestDlqNotEmpty', props.ingestDlq, 'ingest'],
      ['ReplayDlqNotEmpty', props.replayDlq, 'replay'],
      ['ReplayControlDlqNotEmpty', props.replay.controlDlq, 'replay-control'],
    ] as const) {
      alarm(id, {
        alarmName: `${name}-${what}-dlq-not-empty`,
        alarmDescription: `messages of the ${what} queue failed every retry and wait in its dead-letter queue; inspect, fix, then redrive`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    alarm('IngestBacklog', {
      alarmName: `${name}-ingest-falling-behind`,
      alarmDescription: `the oldest ingest message is older than ${props.alarms.maxMessageAgeSeconds} s: the worker is not keeping up or not running`,
      metric: props.ingestQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: props.alarms.maxMessageAgeSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    // Replays may queue for days by design; only messages close to expiry are a problem.
    const replayAgeLimit = QUEUE_RETENTION.toSeconds() / 2;
    alarm('ReplayBacklog', {
      alarmName: `${name}-replay-near-expiry`,
      alarmDescription: `the oldest replay message is older than ${replayAgeLimit} s, half the queue retention: raise worker.replayMaxConcurrency or it will expire`,
      metric: props.replayQueue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: replayAgeLimit,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    // With partial batch responses the handler fails only when it crashes or times out.
    alarm('WorkerErrors', {
      alarmName: `${name}-worker-errors`,
      alarmDescription: 'the worker invocation failed (crash, out of memory or timeout) in 2 of the last 3 five-minute periods',
      metric: props.worker.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    alarm('WorkerThrottles', {
      alarmName: `${name}-worker-throttles`,
      alarmDescription: 'the worker was throttled for 15 minutes: account concurrency or reserved concurrency is too low',
      metric: props.worker.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    // What the replay job records as errors (a listing or a send that failed, a request it could
    // not run), plus its invocations that failed outright (a crash, a timeout), which record nothing.
    alarm('ReplayErrors', {
      alarmName: `${name}-replay-errors`,
      alarmDescription: 'the replay job recorded errors or an invocation failed in the last 5 minutes: read its log and the run record (replays/<run-id>.json), then resume or start the run again',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(recorded, 0) + FILL(failed, 0)',
        usingMetrics: {
          recorded: new cloudwatch.Metric({ namespace: REPLAY_METRICS.namespace, metricName: REPLAY_METRICS.errors, dimensionsMap: { service: name }, statistic: 'Sum', period: FIVE_MINUTES }),
          failed: props.replay.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        period: FIVE_MINUTES,
        label: 'replay errors',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    if (props.rdsExport !== undefined) {
      // One period per scheduled run, so a run that keeps failing keeps the alarm on instead of
      // flapping between runs; failed instances and refused messages, plus crashed invocations.
      const period = Duration.minutes(props.rdsExport.scheduleMinutes);
      alarm('RdsExportErrors', {
        alarmName: `${name}-rds-export-errors`,
        alarmDescription: 'the RDS log exporter could not export an instance (not found, access denied, RDS or S3 failing), could not send a replay message, or crashed: read its log; the next run resumes where the last write stopped',
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(recorded, 0) + FILL(failed, 0)',
          usingMetrics: {
            recorded: new cloudwatch.Metric({ namespace: RDS_EXPORT_METRICS.namespace, metricName: RDS_EXPORT_METRICS.errors, dimensionsMap: { service: name }, statistic: 'Sum', period }),
            failed: props.rdsExport.function.metricErrors({ period, statistic: 'Sum' }),
          },
          period,
          label: 'RDS export errors',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    if (props.cwlogs !== undefined) {
      // Failed invocations are retried by Lambda: the alarm says intake is failing, the
      // dead-letter queue alarm says payloads are waiting to be redriven.
      alarm('CloudWatchLogsIntakeErrors', {
        alarmName: `${name}-cwlogs-intake-errors`,
        alarmDescription: 'the CloudWatch Logs intake failed invocations in the last 5 minutes (a payload it could not decode, a write to the lake that failed, a crash or timeout); Lambda retries them, then parks them in the dead-letter queue: read its log',
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(counted, 0) + FILL(failed, 0)',
          usingMetrics: {
            counted: new cloudwatch.Metric({ namespace: CWLOGS_METRICS.namespace, metricName: CWLOGS_METRICS.errors, dimensionsMap: { service: name }, statistic: 'Sum', period: FIVE_MINUTES }),
            failed: props.cwlogs.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
          },
          period: FIVE_MINUTES,
          label: 'CloudWatch Logs intake errors',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm('CloudWatchLogsDlqNotEmpty', {
        alarmName: `${name}-cwlogs-dlq-not-empty`,
        alarmDescription: 'subscription payloads failed every retry of the CloudWatch Logs intake and wait in its dead-letter queue; fix the cause, then invoke the function with each message body',
        metric: props.cwlogs.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm('CloudWatchLogsThrottles', {
        alarmName: `${name}-cwlogs-throttles`,
        alarmDescription: 'the CloudWatch Logs intake was throttled for 15 minutes: payloads wait in Lambda\'s queue (up to 6 hours); raise cloudwatchLogs.reservedConcurrency or the account limit',
        metric: props.cwlogs.function.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
    }
    if (props.cwlogsFirehose !== undefined) {
      // Firehose retries S3 delivery for up to a day, then drops: records older than the buffer
      // interval plus 15 minutes mean delivery is failing (its error log says why).
      const limit = props.cwlogsFirehose.bufferSeconds + 900;
      alarm('CloudWatchLogsFirehoseFreshness', {
        alarmName: `${name}-cwlogs-firehose-stale`,
        alarmDescription: `the CloudWatch Logs Firehose stream holds records older than ${limit} s for 15 minutes: delivery to raw/cwlogs/ is failing; read its DeliveryErrors log group`,
        metric: props.cwlogsFirehose.freshness,
        threshold: limit,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
    }
    for (const source of props.sources) {
      alarm(`RejectedLines-${source}`, {
        alarmName: `${name}-rejected-lines-${source}`,
        alarmDescription: `more than ${props.alarms.maxRejectedPercent}% of ${source} lines were rejected over 15 minutes: query the errors table for reasons`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(lines > 0, 100 * rejected / lines, 0)',
          usingMetrics: {
            rejected: this.workerMetric(name, INGEST_METRICS.rejected, source),
            lines: this.workerMetric(name, INGEST_METRICS.linesIn, source),
          },
          period: Duration.minutes(15),
          label: `rejected % ${source}`,
        }),
        threshold: props.alarms.maxRejectedPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    this.alarms = alarms;

    this.dashboard = this.buildDashboard(props, alarms);
  }

  private workerMetric(service: string, metricName: string, source: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: INGEST_METRICS.namespace,
      metricName,
      dimensionsMap: { service, source },
      statistic: 'Sum',
      period: Duration.minutes(15),
    });
  }

  /** One graph per question; per-source lines come from SEARCH so new sources appear by themselves. */
  private buildDashboard(props: PipelineMonitoringProps, alarms: readonly cloudwatch.Alarm[]): cloudwatch.Dashboard {
    const ns = INGEST_METRICS.namespace;
    // `${PROP('Dim.x')}` labels each line found by SEARCH with its own dimension value.
    const perSource = (metricName: string, statistic: string, prefix = ''): cloudwatch.IMetric =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${ns},service,source} service="${props.name}" MetricName="${metricName}"', '${statistic}', 300)`,
        usingMetrics: {},
        label: `${prefix}\${PROP('Dim.source')}`,
        period: FIVE_MINUTES,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], stacked = false): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, stacked, width: 8, height: 6 });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.name}-pipeline`,
      defaultInterval: Duration.hours(24),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# loglake ${props.name}\nObjects, records and rejected lines per source; lag from object time to lake; failures. Alarms publish to the ops topic.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24, height: 3 }));
    dashboard.addWidgets(
      graph('Objects processed per source', [perSource(INGEST_METRICS.objects, 'Sum')], true),
      graph('Records written per source', [perSource(INGEST_METRICS.records, 'Sum')], true),
      graph('Rejected lines per source', [perSource(INGEST_METRICS.rejected, 'Sum')], true),
    );
    dashboard.addWidgets(
      graph('Bytes read (compressed) and written per source', [
        perSource(INGEST_METRICS.bytesIn, 'Sum', 'in '),
        perSource(INGEST_METRICS.bytesOut, 'Sum', 'out '),
      ]),
      graph('Lag from object time to lake, max (s)', [perSource(INGEST_METRICS.lag, 'Maximum')]),
      graph('Errors by class and code', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${ns},service,code} service="${props.name}" (${ERROR_CLASSES.map((m) => `MetricName="${m}"`).join(' OR ')})', 'Sum', 300)`,
          usingMetrics: {},
          label: "${PROP('MetricName')} ${PROP('Dim.code')}",
          period: FIVE_MINUTES,
        }),
        // Failures that fit no class carry no code: they are bugs.
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${ns},service} service="${props.name}" MetricName="${INGEST_METRICS.internalErrors}"', 'Sum', 300)`,
          usingMetrics: {},
          label: INGEST_METRICS.internalErrors,
          period: FIVE_MINUTES,
        }),
      ]),
    );
    const max = { period: FIVE_MINUTES, statistic: 'Maximum' };
    dashboard.addWidgets(
      graph('Dead-letter queue depth', [
        props.ingestDlq.metricApproximateNumberOfMessagesVisible({ ...max, label: 'ingest DLQ' }),
        props.replayDlq.metricApproximateNumberOfMessagesVisible({ ...max, label: 'replay DLQ' }),
        props.replay.controlDlq.metricApproximateNumberOfMessagesVisible({ ...max, label: 'replay control DLQ' }),
      ]),
      new cloudwatch.GraphWidget({
        title: 'Queue depth and age of oldest message',
        left: [
          props.ingestQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'ingest visible' }),
          props.replayQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'replay visible' }),
        ],
        right: [props.ingestQueue.metricApproximateAgeOfOldestMessage({ ...max, label: 'ingest oldest (s)' })],
        width: 8,
        height: 6,
      }),
      graph('Worker invocations, errors, throttles', [
        props.worker.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum' }),
        props.worker.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        props.worker.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      ]),
    );
    const replayMetric = (metricName: string, label: string): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: REPLAY_METRICS.namespace, metricName, dimensionsMap: { service: props.name }, statistic: 'Sum', period: FIVE_MINUTES, label });
    dashboard.addWidgets(
      graph('Replay job: objects enqueued, errors', [replayMetric(REPLAY_METRICS.enqueued, 'enqueued'), replayMetric(REPLAY_METRICS.errors, 'errors')]),
      graph('Replay job invocations, errors', [
        props.replay.function.metricInvocations({ period: FIVE_MINUTES, statistic: 'Sum' }),
        props.replay.function.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      ]),
    );
    return dashboard;
  }
}
