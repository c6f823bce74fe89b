/**
 * Per-invocation telemetry of the worker: counts are added per object and per message, then
 * published once at the end of the invocation as one EMF document per source and per error
 * code (STYLE 10: telemetry per object and per invocation, never per line; bounded dimensions).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { LoglakeError, MessageError, ObjectError, TransientError, type MessageOutcome, type ObjectOutcome } from '../../pipeline/index.js';
import { INGEST_METRICS as M } from './env-names.js';

interface SourceTotals {
  objects: number;
  ignored: number;
  linesIn: number;
  records: number;
  rejected: number;
  skipped: number;
  selfTraffic: number;
  drift: number;
  bytesIn: number;
  bytesOut: number;
  continuations: number;
  lagSeconds: number[];
}

const empty = (): SourceTotals => ({
  objects: 0,
  ignored: 0,
  linesIn: 0,
  records: 0,
  rejected: 0,
  skipped: 0,
  selfTraffic: 0,
  drift: 0,
  bytesIn: 0,
  bytesOut: 0,
  continuations: 0,
  lagSeconds: [],
});

/** The error class of a failure, as a metric name, and its stable code. */
export function errorClass(e: unknown): { metric: string; code: string | null } {
  if (e instanceof MessageError) return { metric: M.messageErrors, code: e.code };
  if (e instanceof TransientError) return { metric: M.transientErrors, code: e.code };
  if (e instanceof ObjectError) return { metric: M.objectErrors, code: e.code };
  if (e instanceof LoglakeError) return { metric: M.internalErrors, code: e.code };
  return { metric: M.internalErrors, code: null };
}

/** Accumulates one invocation's metrics; `publish()` flushes them. */
export class InvocationTelemetry {
  private readonly sources = new Map<string, SourceTotals>();
  /** Keyed by metric name and code. */
  private readonly errors = new Map<string, { metric: string; code: string | null; n: number }>();
  private readonly ignoredShapes = new Map<string, number>();

  constructor(private readonly metrics: Metrics) {}

  private totals(source: string): SourceTotals {
    let t = this.sources.get(source);
    if (t === undefined) {
      t = empty();
      this.sources.set(source, t);
    }
    return t;
  }

  /**
   * Counts one object. Line counts are taken when an object completes, from its manifest, which
   * then covers every run of a continued object; a run that stopped counts as a continuation only.
   */
  object(o: ObjectOutcome): void {
    const m = o.report.manifest;
    if (m.status === 'failed') return this.error(M.objectErrors, m.reason);
    if (m.status === 'ignored') {
      this.totals(m.source ?? m.reason ?? 'unknown').ignored++;
      return;
    }
    const t = this.totals(m.source ?? 'unknown');
    if (m.status === 'partial') {
      t.continuations++;
      return;
    }
    // A damaged object is kept (what decoded is written, it is never retried) but still alarms
    // as an object error under its damage code.
    if (m.status === 'damaged') this.error(M.objectErrors, m.reason);
    t.objects++;
    t.linesIn += m.lines_in;
    t.records += m.records;
    t.rejected += m.rejected;
    t.skipped += m.skipped;
    t.selfTraffic += m.skipped_by_reason.self_traffic ?? 0;
    t.drift += m.schema_drift ?? 0;
    t.bytesIn += m.bytes_in;
    for (const out of m.outputs) t.bytesOut += out.bytes;
    if (o.lagMs !== null) t.lagSeconds.push(o.lagMs / 1000);
  }

  /** Counts a message: its objects, or the shape of a message acknowledged without work. */
  message(outcome: MessageOutcome): void {
    if (outcome.notification.kind === 'ignore') {
      const shape = outcome.notification.shape;
      this.ignoredShapes.set(shape, (this.ignoredShapes.get(shape) ?? 0) + 1);
    }
    for (const o of outcome.objects) this.object(o);
  }

  /** Counts a message that failed with `e` (decoding, transient or unexpected). */
  failure(e: unknown): void {
    const { metric, code } = errorClass(e);
    this.error(metric, code);
  }

  private error(metric: string, code: string | null): void {
    const key = `${metric}\t${code ?? ''}`;
    const entry = this.errors.get(key);
    if (entry) entry.n++;
    else this.errors.set(key, { metric, code, n: 1 });
  }

  /** Emits everything counted, one EMF document per dimension set, and resets. */
  publish(): void {
    const metrics = this.metrics;
    for (const [source, t] of this.sources) {
      metrics.addDimension('source', source);
      const count = (name: string, v: number): void => {
        if (v > 0) metrics.addMetric(name, MetricUnit.Count, v);
      };
      count(M.objects, t.objects);
      count(M.objectsIgnored, t.ignored);
      count(M.linesIn, t.linesIn);
      count(M.records, t.records);
      count(M.rejected, t.rejected);
      count(M.skipped, t.skipped);
      count(M.selfTraffic, t.selfTraffic);
      count(M.drift, t.drift);
      count(M.continuations, t.continuations);
      if (t.bytesIn > 0) metrics.addMetric(M.bytesIn, MetricUnit.Bytes, t.bytesIn);
      if (t.bytesOut > 0) metrics.addMetric(M.bytesOut, MetricUnit.Bytes, t.bytesOut);
      for (const lag of t.lagSeconds) metrics.addMetric(M.lag, MetricUnit.Seconds, lag);
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      else metrics.clearDimensions();
    }
    for (const e of this.errors.values()) {
      if (e.code !== null) metrics.addDimension('code', e.code);
      metrics.addMetric(e.metric, MetricUnit.Count, e.n);
      metrics.publishStoredMetrics();
    }
    for (const [shape, n] of this.ignoredShapes) {
      metrics.addDimension('shape', shape);
      metrics.addMetric(M.messagesIgnored, MetricUnit.Count, n);
      metrics.publishStoredMetrics();
    }
    this.sources.clear();
    this.errors.clear();
    this.ignoredShapes.clear();
  }
}
