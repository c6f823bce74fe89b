// Types for the parts of s3rver (no bundled typings) the test helpers use.
declare module 's3rver' {
  import type { Server } from 'node:http';
  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: Array<{ name: string }>;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    httpServer?: Server;
    /** The FilesystemStore behind the server (patched by `startLocalS3`, see `fixDelimiterListing`). */
    readonly store: unknown;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
