/**
 * What a command talks to: its output streams, input, environment and working folder. The bin
 * passes the process's own; tests pass in-memory streams and run `main` in their own process.
 */
import { resolve } from 'node:path';

/** A writable stream as commands use it: text out, backpressure through `drain`. */
export interface Out {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  readonly isTTY?: boolean;
}

export interface Io {
  readonly stdout: Out;
  readonly stderr: Out;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** The folder relative paths given on the command line are resolved against. */
  readonly cwd: string;
}

/** The process's own streams, environment and working folder. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Writes text and waits when the stream asks to (a slow pipe), so output never piles up in memory. */
export async function writeOut(out: Out, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((done) => out.once('drain', done));
}

/** A path from the command line, resolved against the command's working folder. */
export const pathFrom = (io: Io, p: string): string => resolve(io.cwd, p);
