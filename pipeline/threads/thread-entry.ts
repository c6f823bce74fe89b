/**
 * A worker thread's side: batches in, results out. The pool starts a worker thread on the
 * module that holds the pool (the CLI's file under tsx or dist/, or the one file of the Lambda
 * bundle), which imports this one; this module starts listening only in a thread the pool
 * marked, so the same file runs as the main program and as a worker thread.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { DEFAULT_REGISTRY } from '../route/route.js';
import { BATCH_CHARS, fromWire, type WireBatch } from './batch.js';
import { BatchProcessor, type BatchJob, type BatchResult } from './process-batch.js';

/** The `workerData` key that makes a thread a batch worker. */
export const THREAD_MARK = 'loglakeBatchThread';

export interface BatchRequest {
  readonly id: number;
  readonly job: BatchJob;
  readonly batch: WireBatch;
}

/** Asks a thread to answer once it has loaded (`ThreadPool.start`); `id` comes back as a reply without result. */
export interface ReadyRequest {
  readonly id: number;
  readonly ready: true;
}

export type BatchReply = { readonly id: number; readonly ok: true; readonly result: BatchResult | null } | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string; stack?: string } };

/** An ArrayBuffer the reply may hand over whole: a body that shares Node's buffer pool is copied out first. */
function ownedBuffers(result: BatchResult): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  result.pieces.forEach((piece, i) => {
    const group = piece.group;
    if (group === null) return;
    let body = group.body;
    if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength) {
      body = new Uint8Array(body);
      result.pieces[i] = { ...piece, group: { ...group, body } };
    }
    transfer.push(body.buffer as ArrayBuffer);
  });
  return transfer;
}

async function handle(port: MessagePort, request: BatchRequest): Promise<void> {
  try {
    const parser = DEFAULT_REGISTRY.parsers.find((p) => p.id === request.job.parserId);
    if (parser === undefined) throw new Error(`no parser ${JSON.stringify(request.job.parserId)} in this thread's registry`);
    const result = await new BatchProcessor(parser, request.job, fromWire(request.batch), BATCH_CHARS).run();
    const reply: BatchReply = { id: request.id, ok: true, result };
    port.postMessage(reply, ownedBuffers(result));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const reply: BatchReply = { id: request.id, ok: false, error: { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) } };
    port.postMessage(reply);
  }
}

if (!isMainThread && parentPort !== null && (workerData as Record<string, unknown> | null)?.[THREAD_MARK] === true) {
  const port = parentPort;
  port.on('message', (request: BatchRequest | ReadyRequest) => {
    if ('ready' in request) port.postMessage({ id: request.id, ok: true, result: null } satisfies BatchReply);
    else void handle(port, request);
  });
}
