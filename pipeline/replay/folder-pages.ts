/**
 * `ListPages` over a local folder holding a copy of a bucket prefix (what `aws s3 sync` makes):
 * a key is a file's path under the folder with `/` separators. A listing reads only the folder
 * its prefix names (one level with a delimiter, the subtree without), so the range lister walks
 * a local copy as sparingly as S3.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListedKey, ListPage, ListPages, ListRequest } from './list.js';

const PAGE = 1000;

interface Entries {
  keys: ListedKey[];
  prefixes: string[];
}

export class FolderListPages implements ListPages {
  /** Listings being paged through, by request, until their last page is served. */
  private readonly open = new Map<string, Entries>();

  constructor(private readonly root: string) {}

  async page(req: ListRequest): Promise<ListPage> {
    if (req.delimiter !== undefined && req.delimiter !== '/') throw new Error(`FolderListPages lists with delimiter "/" only, got ${JSON.stringify(req.delimiter)}`);
    const id = `${req.prefix}\u0000${req.delimiter ?? ''}\u0000${req.startAfter ?? ''}`;
    let entries = req.continuationToken !== undefined ? this.open.get(id) : undefined;
    if (entries === undefined) entries = await this.list(req);
    const from = req.continuationToken !== undefined ? Number(req.continuationToken) : 0;
    // Keys and prefixes share one page budget, in key order, as S3 counts them.
    const all = [...entries.keys.map((k) => ({ at: k.key, k })), ...entries.prefixes.map((p) => ({ at: p, p }))].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const slice = all.slice(from, from + PAGE);
    const more = from + PAGE < all.length;
    if (more) this.open.set(id, entries);
    else this.open.delete(id);
    return {
      keys: slice.flatMap((e) => ('k' in e && e.k !== undefined ? [e.k] : [])),
      prefixes: slice.flatMap((e) => ('p' in e && e.p !== undefined ? [e.p] : [])),
      ...(more ? { nextToken: String(from + PAGE) } : {}),
    };
  }

  private async list(req: ListRequest): Promise<Entries> {
    const cut = req.prefix.lastIndexOf('/') + 1;
    const dirKey = req.prefix.slice(0, cut);
    const after = (key: string): boolean => req.startAfter === undefined || key > req.startAfter;
    const keys: ListedKey[] = [];
    const prefixes: string[] = [];
    const walk = async (key: string, deep: boolean): Promise<void> => {
      let names;
      try {
        names = await readdir(join(this.root, ...key.split('/').filter((p) => p !== '')), { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw e;
      }
      for (const n of names) {
        const child = `${key}${n.name}`;
        if (n.isDirectory()) {
          const p = `${child}/`;
          if (!p.startsWith(req.prefix) && !req.prefix.startsWith(p)) continue;
          if (deep) await walk(p, true);
          else if (p.startsWith(req.prefix) && (after(p) || (req.startAfter ?? '').startsWith(p))) prefixes.push(p);
        } else if (n.isFile() && child.startsWith(req.prefix) && after(child)) {
          const info = await stat(join(this.root, ...child.split('/')));
          keys.push({ key: child, size: info.size, etag: null, lastModifiedMs: info.mtimeMs });
        }
      }
    };
    await walk(dirKey, req.delimiter === undefined);
    return { keys, prefixes };
  }
}

