/**
 * Hash while ingesting: a CloudTrail log object's manifest records the SHA-256 its digest lists
 * (of the uncompressed content), computed in the pass that parses it. Expected values come from
 * `sha256sum` over the decompressed file, not from the code under test's own hashing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processObject } from '../../pipeline/index.js';
import type { Manifest, ResumePoint } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { ObjectRef } from '../../pipeline/storage/storage.js';
import { ctEvent, trailOf } from '../helpers/cloudtrail.js';
import { BytesSource, runLocal, tempDir, writeInput } from '../helpers/lake.js';

const KEY = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1000Z_abcdef0123456789.json.gz';

/** `sha256sum` of bytes written to a scratch file. */
function sha256sum(dir: string, bytes: Buffer): string {
  const path = join(dir, 'expected.bin');
  writeFileSync(path, bytes);
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0] as string;
}

/** A CloudTrail log file of `n` events, pretty-printed over many lines as some deliveries are. */
function trail(n: number, multiline = false): Buffer {
  const events = Array.from({ length: n }, (_, i) => ctEvent(i, new Date(Date.parse('2024-05-01T10:00:00Z') + i * 1000).toISOString()));
  return Buffer.from(multiline ? JSON.stringify({ Records: events }, null, 2) : trailOf(events));
}

let input: ReturnType<typeof tempDir>;
let lake: ReturnType<typeof tempDir>;
beforeEach(() => {
  input = tempDir('loglake-hash-in-');
  lake = tempDir('loglake-hash-lake-');
});
afterEach(() => {
  input.cleanup();
  lake.cleanup();
});

describe('the manifest of a CloudTrail log object', () => {
  it('records sha256sum of the decompressed content of a gzip object', async () => {
    const content = trail(50);
    const path = writeInput(input.path, KEY, gzipSync(content));
    const { manifest } = await runLocal(path, lake.path);
    expect(manifest).toMatchObject({ status: 'ok', source: 'cloudtrail', compression: 'gzip', records: 50 });
    expect(manifest.sha256).toBe(sha256sum(input.path, gunzipSync(gzipSync(content))));
    expect(manifest.sha256).toBe(sha256sum(input.path, content));
    expect(manifest.sha256_unavailable).toBeNull();
  });

  it('records sha256sum of a plain object as stored', async () => {
    const content = trail(20, true);
    const path = writeInput(input.path, KEY.replace(/\.gz$/, ''), content);
    const { manifest } = await runLocal(path, lake.path);
    expect(manifest).toMatchObject({ status: 'ok', source: 'cloudtrail', compression: 'none', records: 20 });
    expect(manifest.sha256).toBe(sha256sum(input.path, content));
  });

  it('hashes every member of a multi-member gzip object, as gunzip concatenates them', async () => {
    const content = trail(30, true);
    const cut = Math.floor(content.length / 3);
    const path = writeInput(input.path, KEY, Buffer.concat([gzipSync(content.subarray(0, cut)), gzipSync(content.subarray(cut))]));
    const { manifest } = await runLocal(path, lake.path);
    expect(manifest).toMatchObject({ status: 'ok', records: 30 });
    expect(manifest.sha256).toBe(sha256sum(input.path, content));
  });

  it('differs when one byte of the content differs', async () => {
    const content = trail(5);
    const changed = Buffer.from(content);
    const at = changed.indexOf('"eventName"') + 14;
    changed[at] = (changed[at] as number) ^ 0x01;
    const { manifest } = await runLocal(writeInput(input.path, KEY, gzipSync(changed)), lake.path);
    expect(manifest.status).toBe('ok');
    expect(manifest.sha256).toBe(sha256sum(input.path, changed));
    expect(manifest.sha256).not.toBe(sha256sum(input.path, content));
  });

  it('records null with the reason on a partial run, and the whole hash once a continuation completes the object', async () => {
    const content = trail(10000, true);
    const bytes = gzipSync(content);
    const source = new BytesSource(bytes, 4096);
    const ref: ObjectRef = { bucket: 'trail-bucket', key: KEY };
    const deps = { source, sink: new LocalLakeSink(lake.path), options: resolveOptions({}) };
    const manifests: Manifest[] = [];
    let resume: ResumePoint | undefined;
    for (let runs = 0; runs < 50; runs++) {
      let chunks = 0;
      const { manifest } = await processObject(ref, { ...deps, shouldYield: () => ++chunks >= 3, ...(resume ? { resume } : {}) });
      manifests.push(manifest);
      if (manifest.status !== 'partial') break;
      resume = manifest.resume as ResumePoint;
    }
    expect(manifests.length).toBeGreaterThan(2);
    for (const m of manifests.slice(0, -1)) {
      expect(m.status).toBe('partial');
      expect(m.sha256).toBeNull();
      expect(m.sha256_unavailable).toMatch(/^partial run/);
    }
    const last = manifests.at(-1) as Manifest;
    expect(last).toMatchObject({ status: 'ok', records: 10_000 });
    expect(last.sha256).toBe(sha256sum(input.path, content));
    expect(last.sha256_unavailable).toBeNull();
  });

  it('records null with the reason when the gzip stream is damaged', async () => {
    const bytes = gzipSync(trail(400, true));
    const { manifest } = await runLocal(writeInput(input.path, KEY, bytes.subarray(0, Math.floor(bytes.length / 2))), lake.path);
    expect(manifest.status).toBe('damaged');
    expect(manifest.sha256).toBeNull();
    expect(manifest.sha256_unavailable).toMatch(/^damaged \(truncated_gzip\)/);
  });

  it('is not taken for objects no digest lists, nor with hashing off', async () => {
    const alb = await runLocal(
      writeInput(input.path, 'AWSLogs/111122223333/elasticloadbalancing/eu-west-1/2024/05/01/x.log', 'http 2024-05-01T10:00:00.000000Z app/lb/1 1.2.3.4:5 10.0.0.1:80 0.001 0.002 0.000 200 200 34 366 "GET http://x:80/ HTTP/1.1" "curl" - - arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/t/1 "Root=1-a" "-" "-" 0 2024-05-01T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"\n'),
      lake.path,
    );
    expect(alb.manifest.source).toBe('alb');
    expect(alb.manifest).not.toHaveProperty('sha256');
    const off = await runLocal(writeInput(input.path, KEY, gzipSync(trail(3))), lake.path, { hashContent: false });
    expect(off.manifest).toMatchObject({ status: 'ok', source: 'cloudtrail' });
    expect(off.manifest).not.toHaveProperty('sha256');
  });
});
