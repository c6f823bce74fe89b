/**
 * A pool of worker threads that run batches (`process-batch.ts`). The main thread keeps reading,
 * decompressing and framing while the threads parse, validate, encode and compress; results
 * come back per batch and the object run applies them in batch order. Threads start on first
 * use and do not keep the process alive while idle. A thread that dies fails the batches it
 * held with an error that says so, and the pool starts a new thread for the next batch.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { toWire, type FrameBatch } from './batch.js';
import type { BatchJob, BatchResult } from './process-batch.js';
import { THREAD_MARK, type BatchReply, type BatchRequest, type ReadyRequest } from './thread-entry.js';

interface Pending {
  readonly resolve: (r: BatchResult | null) => void;
  readonly reject: (e: Error) => void;
}

/** Thrown for the batches of a worker thread that died: the object fails, nothing of it is written. */
export class ThreadFailure extends Error {
  override readonly name = 'ThreadFailure';
}

/**
 * Starts a worker thread on this very file: under tsx (a `.ts` file) through a bootstrap that
 * registers tsx first, since a worker thread does not inherit the main thread's loader; in
 * dist/ and in the Lambda bundle (one file) directly.
 */
function spawn(): Worker {
  const self = new URL(import.meta.url);
  const workerData = { [THREAD_MARK]: true };
  // A thread inherits the process's flags, and --input-type (a process started with -e, as a
  // test harness or a one-off script may be) is refused for a thread started from a file. Given
  // explicitly, the list may not hold the heap flags a thread does not take either.
  const execArgv = process.execArgv.some((a) => a.startsWith('--input-type'))
    ? process.execArgv.filter((a) => !a.startsWith('--input-type') && !/^--max-(old|semi)-space-size|^--max-heap-size/.test(a))
    : undefined;
  if (!self.pathname.endsWith('.ts')) return new Worker(self, { workerData, execArgv });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(self.href)}); });`;
  return new Worker(boot, { eval: true, workerData, execArgv });
}

class PoolThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  dead = false;

  constructor(private readonly onDeath: (t: PoolThread) => void) {
    this.worker = spawn();
    this.worker.unref();
    this.worker.on('message', (reply: BatchReply) => this.settle(reply));
    this.worker.on('error', (e) => this.die(`threw ${e.name}: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`exited with code ${code}`));
  }

  send(id: number, job: BatchJob, batch: FrameBatch, pending: Pending): void {
    this.expect(id, pending);
    const { wire, transfer } = toWire(batch);
    const request: BatchRequest = { id, job, batch: wire };
    this.worker.postMessage(request, transfer);
  }

  /** Resolves once the thread has loaded its modules and listens. */
  ready(id: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.expect(id, { resolve, reject });
      const request: ReadyRequest = { id, ready: true };
      this.worker.postMessage(request);
    });
  }

  private expect(id: number, pending: Pending): void {
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(id, pending);
  }

  private settle(reply: BatchReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) return p.resolve(reply.result);
    const err = new Error(reply.error.message);
    err.name = reply.error.name;
    if (reply.error.stack !== undefined) err.stack = reply.error.stack;
    p.reject(err);
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this);
    const error = new ThreadFailure(`a worker thread ${why} while it held ${this.pending.size} batch(es); the object's run is abandoned`);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    void this.worker.terminate();
  }
}

/** Worker threads that run batches; `size` threads at most. */
export class ThreadPool {
  private readonly threads: PoolThread[] = [];
  private nextId = 0;

  constructor(readonly size: number) {}

  /** Runs a batch on the least busy thread (a new one while fewer than `size` run). */
  run(job: BatchJob, batch: FrameBatch): Promise<BatchResult> {
    let thread: PoolThread | undefined;
    for (const t of this.threads) if (thread === undefined || t.pending.size < thread.pending.size) thread = t;
    if (thread === undefined || (thread.pending.size > 0 && this.threads.length < this.size)) {
      thread = this.newThread();
      this.threads.push(thread);
    }
    const chosen = thread;
    return new Promise<BatchResult>((resolve, reject) =>
      chosen.send(this.nextId++, job, batch, { resolve: (r) => (r !== null ? resolve(r) : reject(new Error('a worker thread answered a batch without its result'))), reject }),
    );
  }

  /**
   * Starts every thread and waits until each has loaded its modules, so the first batches do
   * not pay for it (a benchmark's steady state; a long-lived process may call it at start).
   */
  async start(): Promise<void> {
    while (this.threads.length < this.size) this.threads.push(this.newThread());
    await Promise.all(this.threads.map((t) => t.ready(this.nextId++)));
  }

  private newThread(): PoolThread {
    return new PoolThread((t) => {
      const at = this.threads.indexOf(t);
      if (at >= 0) this.threads.splice(at, 1);
    });
  }

  /** Threads running now (tests). */
  get workers(): readonly Worker[] {
    return this.threads.map((t) => t.worker);
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

const pools = new Map<number, ThreadPool>();

/** The process's pool of `size` threads, shared by every object run that asks for that many. */
export function sharedPool(size: number): ThreadPool {
  let pool = pools.get(size);
  if (pool === undefined) {
    pool = new ThreadPool(size);
    pools.set(size, pool);
  }
  return pool;
}
