/**
 * What a replay will cost and how long the deployed worker will take, from the objects and bytes
 * to replay and the worker's measured throughput (`bench/worker.bench.ts`). A model, stated with
 * its inputs so a user can redo it: per object a fixed cost (fetch, manifest, upload, small
 * parse) plus its bytes at the large-object rate, scaled from the 2-vCPU bench machine, where one
 * worker uses about one core, to the share of a vCPU Lambda gives the configured memory.
 */

/** Measured on the bench machine (bench/README.md, ingest worker): ~35 small objects/s per worker. */
export const SECONDS_PER_OBJECT = 1 / 35;
/** Measured: ~21 MiB/s of uncompressed CloudTrail through the whole worker on one object. */
export const UNCOMPRESSED_MIB_PER_SECOND = 21;
/** Typical gzip ratio of AWS's JSON and access logs (CloudTrail ~10x, ALB ~8x): listed sizes are compressed. */
export const COMPRESSION_RATIO = 8;
/** Lambda gives one full vCPU at 1,769 MB; below that, CPU in proportion to memory. */
export const FULL_VCPU_MB = 1769;

/** List prices, us-east-1, arm64 Lambda (the worker's architecture), USD. */
export const PRICES = {
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3Get: 0.0004 / 1000,
  s3Put: 0.005 / 1000,
} as const;

export interface EstimateInput {
  readonly objects: number;
  readonly bytes: number;
  /** Worker memory (MB). @default 1024 */
  readonly memoryMb?: number;
  /** Worker invocations the replay queue may use at once (`worker.replayMaxConcurrency`). @default 2 */
  readonly concurrency?: number;
  /** Objects per worker invocation (the replay queue's batch size). @default 10 */
  readonly batchSize?: number;
}

export interface Estimate {
  /** Worker compute, summed over invocations. */
  readonly workerSeconds: number;
  /** Wall time with `concurrency` invocations at once. */
  readonly wallSeconds: number;
  readonly costUsd: { readonly lambda: number; readonly sqs: number; readonly s3: number; readonly total: number };
  /** The inputs the figures came from, for the output. */
  readonly assumptions: { readonly memoryMb: number; readonly concurrency: number; readonly cpuShare: number };
}

export function estimateReplay(input: EstimateInput): Estimate {
  const memoryMb = input.memoryMb ?? 1024;
  const concurrency = input.concurrency ?? 2;
  const batchSize = input.batchSize ?? 10;
  const cpuShare = Math.min(1, memoryMb / FULL_VCPU_MB);
  const benchSeconds = input.objects * SECONDS_PER_OBJECT + (input.bytes * COMPRESSION_RATIO) / (UNCOMPRESSED_MIB_PER_SECOND * 1024 * 1024);
  const workerSeconds = benchSeconds / cpuShare;
  const invocations = Math.ceil(input.objects / batchSize);
  const lambda = workerSeconds * (memoryMb / 1024) * PRICES.lambdaGbSecond + invocations * PRICES.lambdaRequest;
  // Per object: one send (batched 10 to a call), one receive and one delete (batched by the event source).
  const sqs = (input.objects / 10 + (2 * input.objects) / batchSize) * PRICES.sqsRequest;
  // Per object: GET source, GET manifest; PUT output(s), PUT manifest (more parts for large objects).
  const s3 = input.objects * (2 * PRICES.s3Get + 2 * PRICES.s3Put);
  return {
    workerSeconds,
    wallSeconds: workerSeconds / concurrency,
    costUsd: { lambda, sqs, s3, total: lambda + sqs + s3 },
    assumptions: { memoryMb, concurrency, cpuShare },
  };
}
