/**
 * The local runner as a user drives it: `loglake worker` (the real bin/loglake.js in a child
 * process) over a file of SQS events against s3rver, `loglake query --lake s3://…` over what it
 * wrote, and `loglake ingest --rules` sharing the worker's rules format.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsEvent, sqsRecord, s3Event } from '../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { scratchDir, trailEvent, trailFile, trailKey } from '../helpers/worker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'loglake.js');

/** Runs the CLI without blocking this process, which serves the S3 API the child talks to. */
async function loglake(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

let s3: LocalS3;
let dir: ReturnType<typeof scratchDir>;
beforeAll(async () => {
  s3 = await startLocalS3();
  dir = scratchDir();
  await s3.createBucket('cli-source');
  await s3.createBucket('cli-lake');
});
afterAll(async () => {
  await s3.stop();
  dir.remove();
});

describe('loglake worker', () => {
  it('feeds each SQS event through the handler, prints each batch response, and follows continuations', async () => {
    const small = trailKey('cli-small');
    const big = trailKey('cli-big').replace('.json.gz', '.json');
    await s3.put('cli-source', small, trailFile(3));
    await s3.put('cli-source', big, JSON.stringify({ Records: Array.from({ length: 4000 }, (_, i) => trailEvent(i + 1)) }));
    const events = join(dir.path, 'events.jsonl');
    writeFileSync(events, [sqsEvent(s3Event('cli-source', [small])), { Records: [sqsRecord('{"bogus":true}', 'poison-1')] }, sqsEvent(s3Event('cli-source', [big]))].map((e) => JSON.stringify(e)).join('\n'));

    const r = await loglake('worker', '--events', events, '--endpoint', s3.endpoint, '--bucket', 'cli-lake', '--timeout-ms', '1000', '--deadline-margin-ms', '60000');
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { batchItemFailures: unknown[] });
    expect(lines[0]).toEqual({ batchItemFailures: [] });
    expect(lines[1]).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison-1' }] });
    // The big object stops after each chunk at the simulated deadline: its continuations are batches too.
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.slice(2)).toEqual(lines.slice(2).map(() => ({ batchItemFailures: [] })));
    expect(r.stderr).toContain('"message": "message failed"');
    expect(r.stderr).toContain('"Continuations"');

    const q = await loglake('query', '--lake', 's3://cli-lake/', '--endpoint', s3.endpoint, 'SELECT count(*) AS n, count(DISTINCT record_id) AS ids, count(DISTINCT object) AS objects FROM events', '--json');
    expect(q.code, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual({ n: 4003, ids: 4003, objects: 2 });
  });

  it('exits 2 naming the problem for a missing flag, a bad events line or bad rules', async () => {
    const missing = await loglake('worker', '--events', 'x.jsonl', '--bucket', 'b');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--endpoint is required');
    const bad = join(dir.path, 'bad.jsonl');
    writeFileSync(bad, '{"Records":[{"body":"x","messageId":"1"}]}\n{"nope":1}\n');
    const badLine = await loglake('worker', '--events', bad, '--endpoint', s3.endpoint, '--bucket', 'cli-lake');
    expect(badLine.code).toBe(2);
    expect(badLine.stderr).toContain(`${bad}:2: expected a Lambda SQS event`);
    const good = join(dir.path, 'good.jsonl');
    writeFileSync(good, `${JSON.stringify(sqsEvent(s3Event('cli-source', [trailKey('cli-small')])))}\n`);
    const rules = join(dir.path, 'rules.json');
    writeFileSync(rules, '{"rules":[{"prefix":"x/","format":"nope"}]}');
    const badRules = await loglake('worker', '--events', good, '--endpoint', s3.endpoint, '--bucket', 'cli-lake', '--rules', rules);
    expect(badRules.code).toBe(2);
    expect(badRules.stderr).toContain(`${rules}: rules[0].format: unknown format "nope"`);
  });

  it('has --help', async () => {
    const r = await loglake('worker', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: loglake worker --events <file> --endpoint <url> --bucket <central-bucket>/);
  });
});

describe('loglake ingest --rules', () => {
  it('routes local files by the same rules file the worker reads', async () => {
    const inputs = join(dir.path, 'inputs');
    const lake = join(dir.path, 'local-lake');
    const line =
      'http 2024-05-01T12:00:01.123456Z app/shop/6a2b 198.51.100.23:51234 10.0.1.15:8080 0.001 0.012 0.000 200 200 412 1873 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.0" - - arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/5d1e "Root=1-66322d51-0a1b2c3d4e5f60718293a4b5" "-" "-" 0 2024-05-01T12:00:01.110000Z "forward" "-" "-" "10.0.1.15:8080" "200" "-" "-"';
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(inputs, 'lb'), { recursive: true });
    mkdirSync(join(inputs, 'scratch'), { recursive: true });
    writeFileSync(join(inputs, 'lb', 'export.txt'), `${line}\n`);
    writeFileSync(join(inputs, 'scratch', 'notes.txt'), 'nothing to see\n');
    const rules = join(dir.path, 'local-rules.json');
    writeFileSync(rules, JSON.stringify({ rules: [{ prefix: '**/scratch/', ignore: true }, { prefix: '**/lb/', format: 'alb' }] }));
    const r = await loglake('ingest', inputs, '--out', lake, '--rules', rules, '--json');
    expect(r.code, r.stderr).toBe(0);
    const manifests = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; source: string | null; routed_by: string });
    expect(manifests.map((m) => [m.status, m.source, m.routed_by])).toEqual([
      ['ok', 'alb', 'rule'],
      ['ignored', null, 'rule'],
    ]);
  });
});
