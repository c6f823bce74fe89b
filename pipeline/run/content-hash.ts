/**
 * The hash a CloudTrail digest lists for a log file, taken in the pass that parses it, so that
 * integrity validation never reads a log file again. AWS hashes the log file's uncompressed
 * content ("compute the SHA-256 hash value of the uncompressed content of the log file"): the
 * bytes after gunzip, before any decoding to text, which are exactly the content chunks the run
 * frames. Only a run that saw every byte records a hash; otherwise the manifest says why not.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Route } from '../route/route.js';
import type { ObjectStatus } from './manifest.js';

/** The source whose objects CloudTrail digests list. */
export const HASHED_SOURCE = 'cloudtrail';

/** The manifest fields of a hashed object. */
export interface ContentHashFields {
  readonly sha256: string | null;
  readonly sha256_unavailable: string | null;
}

export class ContentHash {
  private readonly hash: Hash = createHash('sha256');
  private unavailable: string | null = null;
  private entries = 0;

  /** A hash for an object of `route`, or null when digests never list such objects (or hashing is off). */
  static forRoute(route: Route | null, enabled: boolean): ContentHash | null {
    return enabled && route?.kind === 'parse' && route.parser.source === HASHED_SOURCE ? new ContentHash() : null;
  }

  /** An entry starts: CloudTrail delivers gzip or plain objects, whose content is one entry. */
  entry(name: string | null): void {
    if (++this.entries > 1 || name !== null) this.unavailable ??= 'an archive of several entries: a digest hashes one log file';
  }

  update(data: Uint8Array): void {
    if (this.unavailable === null) this.hash.update(data);
  }

  /**
   * The fields of a run that ended with `status`. A partial run stopped before the end; its
   * continuation reads the object again from its first byte (skipping only the frames already
   * parsed), so the run that completes the object records the hash of all of it.
   */
  fields(status: ObjectStatus, damageReason: string | null): ContentHashFields {
    const why =
      this.unavailable ??
      (status === 'partial'
        ? 'partial run: the continuation that reads the object to its end records the hash'
        : status === 'damaged'
          ? `damaged (${damageReason ?? 'unknown'}): the uncompressed content could not be read whole`
          : status === 'failed'
            ? 'failed: the content was not read whole'
            : null);
    return why === null ? { sha256: this.hash.digest('hex'), sha256_unavailable: null } : { sha256: null, sha256_unavailable: why };
  }
}
