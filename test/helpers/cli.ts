/** The CLI in this process: `main(argv, io)` with in-memory streams, as the bin runs it. */
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A text sink standing in for stdout or stderr; counts writes to show output is streamed. */
export class MemoryOut {
  text = '';
  writes = 0;
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    this.writes++;
    return true;
  }
  once(): this {
    return this;
  }
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Number of writes to stdout. */
  readonly writes: number;
}

/** `loglake <args>` from the repository root (or `cwd`), with `stdin` as its input. */
export async function loglakeWith(opts: { stdin?: string; cwd?: string }, ...args: string[]): Promise<Run> {
  const stdout = new MemoryOut();
  const stderr = new MemoryOut();
  const code = await main(args, { stdout, stderr, stdin: Readable.from([opts.stdin ?? '']), env: { ...process.env }, cwd: opts.cwd ?? ROOT });
  return { code, stdout: stdout.text, stderr: stderr.text, writes: stdout.writes };
}

export const loglake = (...args: string[]): Promise<Run> => loglakeWith({}, ...args);
