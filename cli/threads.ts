/**
 * `--threads <n>` of the commands that run the pipeline here (ingest, worker, replay --local):
 * worker threads that parse, validate and encode; 1 runs everything on the main thread. Apart
 * from args.ts, which every command loads, since this one loads the pipeline.
 */
import { defaultThreads, MAX_THREADS } from '../pipeline/index.js';
import { intFlag, UsageError, type Values } from './args.js';

/** The thread count `--threads` asks for, one per core when not given. */
export function threadsFlag(values: Values): number {
  const n = intFlag(values, 'threads');
  if (n !== undefined && n > MAX_THREADS) throw new UsageError(`--threads must be at most ${MAX_THREADS}, got ${n}`);
  return n ?? defaultThreads();
}

/** The help lines of `--threads`, indented by `indent` with the text from `column` on, as each command's help aligns. */
export function threadsHelp(indent: number, column: number): string {
  const flag = `${' '.repeat(indent)}--threads <n>`.padEnd(column);
  return `${flag}threads that parse and encode (default: one per core, ${defaultThreads()} here;\n${' '.repeat(column)}1 = no worker thread); the output is the same bytes whatever the number`;
}
