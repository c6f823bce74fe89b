/** `loglake worker`: runs the Lambda ingest handler locally over recorded SQS events against an S3-compatible endpoint. */
import { Console } from 'node:console';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent } from 'aws-lambda';
import { loadWorkerConfig } from '../../functions/ingest/config.js';
import { INGEST_ENV, INGEST_METRICS } from '../../functions/ingest/env-names.js';
import { createIngestHandler } from '../../functions/ingest/worker.js';
import { ConfigError, encodeWorkerMessage, readRulesFile, type WorkerMessage } from '../../pipeline/index.js';
import { createS3Client } from '../../pipeline/aws.js';
import { intFlag, parse, UsageError, type Values } from '../args.js';
import { threadsFlag, threadsHelp } from '../threads.js';
import type { Io } from '../io.js';

export const help = `usage: loglake worker --events <file> --endpoint <url> --bucket <central-bucket> [options]

Runs the ingest worker's Lambda handler on this machine: each line of <file> is one Lambda SQS
event ({"Records": [...]}, as Lambda passes it), processed by the same handler code as in AWS,
against an S3-compatible endpoint (s3rver, MinIO, LocalStack) with path-style addressing.
Each batch response ({"batchItemFailures": [...]}) is printed to stdout as one JSON line; the
handler's structured logs and EMF metrics go to stderr.

Continuation and hand-over messages the worker sends when its (simulated) deadline nears are
kept in an in-memory queue and run as further batches after the batch that sent them, each
printing its own response line, so a long object can be followed to the end.

options:
  --events <file>            SQS events, one JSON document per line (required)
  --endpoint <url>           S3-compatible endpoint, e.g. http://127.0.0.1:4568 (required)
  --bucket <name>            the central bucket (lake) at that endpoint (required)
  --rules <file>             routing rules JSON (the LOGLAKE_ROUTING_RULES format)
  --timeout-ms <n>           simulated Lambda timeout of each batch (default 900000)
  --deadline-margin-ms <n>   hand over when less than this remains (default 30000)
  --archive-raw              copy each processed object to raw/… in the central bucket
  --no-raw                   leave the raw column empty
  --keep-self-traffic        keep records caused by loglake's own requests
  --region <region>          SDK region (default us-east-1)
${threadsHelp(2, 29)}
  -h, --help                 this help

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or are S3RVER / S3RVER
(s3rver's defaults) when those are unset.

exit codes: 0 every message succeeded, 1 some message failed, 2 usage error
`;

const local = 'https://sqs.local/loglake-worker';

function sqsEvent(body: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'local',
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'loglake-worker', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:loglake-worker',
        awsRegion: 'local',
      },
    ],
  };
}

function parseEvents(text: string, file: string): SQSEvent[] {
  const events: SQSEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`${file}:${i + 1}: not JSON: ${(e as Error).message}`);
    }
    const records = (value as { Records?: unknown }).Records;
    if (!Array.isArray(records) || !records.every((r) => typeof (r as { body?: unknown }).body === 'string' && typeof (r as { messageId?: unknown }).messageId === 'string')) {
      throw new UsageError(`${file}:${i + 1}: expected a Lambda SQS event {"Records": [{"messageId": "…", "body": "…"}, …]}`);
    }
    events.push(value as SQSEvent);
  });
  return events;
}

function context(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'loglake-worker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:loglake-worker-local',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The recorded events, the worker's configuration and the invocation timeout from the flags; usage errors name the flag or file. */
async function workerSetup(values: Values): Promise<{ events: SQSEvent[]; config: ReturnType<typeof loadWorkerConfig>; timeoutMs: number }> {
  const need = (name: string): string => {
    const v = values[name];
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
    return v;
  };
  const eventsFile = need('events');
  const endpoint = need('endpoint');
  const bucket = need('bucket');
  const timeoutMs = intFlag(values, 'timeout-ms') ?? 900_000;
  const margin = intFlag(values, 'deadline-margin-ms');

  let events: SQSEvent[];
  try {
    events = parseEvents(await readFile(eventsFile, 'utf8'), eventsFile);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read --events ${JSON.stringify(eventsFile)}: ${(e as Error).message}`);
  }
  const env: Record<string, string> = {
    [INGEST_ENV.lakeBucket]: bucket,
    [INGEST_ENV.s3Endpoint]: endpoint,
    [INGEST_ENV.continuationQueueUrl]: local,
    [INGEST_ENV.archiveRaw]: String(values['archive-raw'] === true),
    [INGEST_ENV.keepRaw]: String(values['no-raw'] !== true),
    [INGEST_ENV.keepSelfTraffic]: String(values['keep-self-traffic'] === true),
  };
  if (margin !== undefined) env[INGEST_ENV.deadlineMarginMs] = String(margin);
  env[INGEST_ENV.threads] = String(threadsFlag(values));
  let config;
  try {
    // Validated here so errors name the file; the worker then reads the same JSON from its environment.
    if (typeof values.rules === 'string') {
      await readRulesFile(values.rules);
      env[INGEST_ENV.routingRules] = await readFile(values.rules, 'utf8');
    }
    config = loadWorkerConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }

  return { events, config, timeoutMs };
}

/** An S3 client for the local endpoint, with the environment's credentials or s3rver's defaults. */
function localS3(endpoint: string, region: string): ReturnType<typeof createS3Client> {
  return createS3Client({
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
      ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
    },
  });
}

/** Runs each event, then the continuations it queued, as Lambda would; prints each batch response; the failed items. */
async function drain(handler: ReturnType<typeof createIngestHandler>, queue: SQSEvent[], events: readonly SQSEvent[], timeoutMs: number, io: Io): Promise<number> {
  let failed = 0;
  for (const event of events) {
    queue.push(event);
    while (queue.length > 0) {
      const response = await handler(queue.shift() as SQSEvent, context(timeoutMs));
      failed += response.batchItemFailures.length;
      io.stdout.write(`${JSON.stringify(response)}\n`);
    }
  }
  return failed;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    events: { type: 'string' },
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    rules: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'deadline-margin-ms': { type: 'string' },
    'archive-raw': { type: 'boolean' },
    'no-raw': { type: 'boolean' },
    'keep-self-traffic': { type: 'boolean' },
    region: { type: 'string' },
    threads: { type: 'string' },
  }, ['timeout-ms', 'deadline-margin-ms', 'threads']);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const { events, config, timeoutMs } = await workerSetup(values);
  // Powertools writes to the global console in development mode: point it at stderr so stdout
  // carries only batch responses. Metrics stay on (development mode would switch them off).
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  const s3 = localS3(values.endpoint as string, typeof values.region === 'string' ? values.region : 'us-east-1');
  const queue: SQSEvent[] = [];
  const handler = createIngestHandler({
    config,
    s3,
    requeue: async (m: WorkerMessage) => {
      queue.push(sqsEvent(encodeWorkerMessage(m)));
    },
    logger: new Logger({ serviceName: 'loglake-worker-local' }),
    metrics: new Metrics({ namespace: INGEST_METRICS.namespace, serviceName: 'loglake-worker-local' }),
  });

  let failed = 0;
  try {
    failed = await drain(handler, queue, events, timeoutMs, io);
  } finally {
    s3.destroy();
  }
  return failed > 0 ? 1 : 0;
}
