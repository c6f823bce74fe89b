/**
 * Streams rejected lines as gzipped JSON lines to `errors/…jsonl.gz`, opened on the first
 * rejection so clean objects write no errors file.
 */
import { createGzip, type Gzip } from 'node:zlib';
import type { RejectReason } from '../../schema/index.js';
import type { OutputFile } from '../storage/storage.js';

export interface RejectedLine {
  readonly object: string;
  readonly ordinal: number;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly raw: string;
}

export class ErrorsWriter {
  private readonly gzip: Gzip;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(private readonly out: OutputFile) {
    this.gzip = createGzip();
    this.gzip.on('data', (chunk: Buffer) => {
      this.chain = this.chain.then(() => this.out.write(chunk)).catch((e: unknown) => {
        this.failure ??= e;
      });
    });
  }

  add(line: RejectedLine): void {
    this.gzip.write(`${JSON.stringify(line)}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', reject);
      this.gzip.end();
      this.gzip.resume();
    });
    await this.chain;
    if (this.failure) throw this.failure;
    await this.out.close();
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.out.abort();
  }
}
