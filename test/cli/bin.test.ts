/**
 * The real `bin/loglake.js` in a child process (everything else runs `main` in-process): exit
 * codes, usage on stderr, and a reader that closes the pipe early.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loglake, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/lake.js';

const BIN = join(ROOT, 'bin', 'loglake.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('bin/loglake.js', () => {
  it('exits 0 on --help, 2 with usage on stderr without arguments, 2 on a wrong flag', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('commands:');
    const none = run();
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: loglake/);
    const wrong = run('formats', '--bogus');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("Unknown option '--bogus'");
  });

  it('ends quietly with exit 0 when the reader closes the pipe (loglake query … | head)', async () => {
    const tmp = tempDir('loglake-bin-');
    try {
      const lake = join(tmp.path, 'lake');
      expect((await loglake('ingest', join(ROOT, 'samples', 'cloudtrail'), '--out', lake, '--exclude', '*.jsonl', '--exclude', '*.md')).code).toBe(0);
      // Millions of rows: the writes go on after head has exited, so they meet a closed pipe.
      const sql = 'SELECT range AS i FROM range(3000000)';
      const r = spawnSync('bash', ['-c', `"$0" "$1" query --lake "$2" --format csv "$3" | head -n 2; echo "exit \${PIPESTATUS[0]}" >&2`, process.execPath, BIN, lake, sql], { cwd: ROOT, encoding: 'utf8' });
      expect(r.stdout).toBe('i\r\n0\r\n');
      expect(r.stderr).toBe('exit 0\n');
    } finally {
      tmp.cleanup();
    }
  });

  it('a command that loads the AWS SDK prints only its own output on Node 20 (the SDK notice is silenced unless asked for)', () => {
    const tmp = tempDir('loglake-bin-');
    try {
      const quiet = spawnSync(process.execPath, [BIN, 'replay', 'status', '--lake', tmp.path], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined } });
      expect([quiet.status, quiet.stderr]).toEqual([0, '']);
      expect(quiet.stdout).toBe(`no replay runs in ${join(tmp.path, 'replays/')}\n`);
      const major = Number(process.versions.node.split('.')[0]);
      const asked = spawnSync(process.execPath, [BIN, 'replay', 'status', '--lake', tmp.path], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' } });
      expect(asked.stderr.includes('NodeVersionSupportWarning')).toBe(major < 22);
    } finally {
      tmp.cleanup();
    }
  });

  it('npm run bench with an unknown benchmark exits 2 and lists them', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), 'no-such-bench'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no benchmark matches "no-such-bench"');
    expect(r.stderr).toContain('cloudtrail');
  });
});
