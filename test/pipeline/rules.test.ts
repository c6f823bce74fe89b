import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/run/errors.js';
import { IGNORED_BY_RULE, globToRegExp, matchRule, parseRules, ruleRouter } from '../../pipeline/route/rules.js';
import { runLocal, tempDir, writeInput } from '../helpers/lake.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('globToRegExp', () => {
  it('keeps * and ? inside one path segment and lets ** cross segments', () => {
    expect(globToRegExp('logs/*/app.log', true).test('logs/prod/app.log')).toBe(true);
    expect(globToRegExp('logs/*/app.log', true).test('logs/prod/eu/app.log')).toBe(false);
    expect(globToRegExp('logs/**/app.log', true).test('logs/prod/eu/app.log')).toBe(true);
    expect(globToRegExp('v?.log', true).test('v1.log')).toBe(true);
    expect(globToRegExp('v?.log', true).test('v/.log')).toBe(false);
  });

  it('treats regular-expression characters literally and matches prefixes when not anchored at the end', () => {
    expect(globToRegExp('a.b+(c)', true).test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b+(c)', true).test('aXb+(c)')).toBe(false);
    expect(globToRegExp('AWSLogs/', false).test('AWSLogs/1/x.gz')).toBe(true);
    expect(globToRegExp('AWSLogs/', false).test('other/AWSLogs/x.gz')).toBe(false);
  });
});

describe('parseRules', () => {
  const rules = parseRules(
    JSON.stringify({
      rules: [
        { bucket: 'acme-*-logs', prefix: 'scratch/', ignore: true },
        { bucket: 'acme-*-logs', prefix: 'lb/**/', format: 'alb' },
        { prefix: '**/cloudfront/', format: 'cloudfront' },
      ],
    }),
    'rules.json',
  );

  it('matches the first rule whose bucket glob and key prefix glob both match', () => {
    expect(matchRule(rules, { bucket: 'acme-prod-logs', key: 'scratch/a.log' })?.format).toBeNull();
    expect(matchRule(rules, { bucket: 'acme-prod-logs', key: 'lb/eu/x/a.log' })?.format).toBe('alb');
    expect(matchRule(rules, { bucket: 'other', key: 'lb/eu/a.log' })).toBeNull();
    expect(matchRule(rules, { bucket: '', key: '/home/me/exports/cloudfront/E1.2024.gz' })?.format).toBe('cloudfront');
  });

  it('pins the format of the rule, or ignores under the reason ignored-by-rule', () => {
    const route = ruleRouter(rules);
    expect(route({ bucket: 'acme-prod-logs', key: 'lb/x/a.log' })).toEqual({ kind: 'pin', format: 'alb' });
    expect(route({ bucket: 'acme-prod-logs', key: 'scratch/a' })).toEqual({ kind: 'ignore', name: IGNORED_BY_RULE });
    expect(route({ bucket: 'x', key: 'y' })).toBeNull();
  });

  it('accepts the rules document infra generates for pinned sources', () => {
    expect(parseRules('{"rules":[{"bucket":"b","prefix":"AWSLogs/","format":"cloudtrail"}]}', 'LOGLAKE_ROUTING_RULES').rules).toHaveLength(1);
  });

  it.each([
    ['not json', /^rules\.json: not valid JSON: /],
    ['[]', /^rules\.json: must be an object \{"rules": \[\.\.\.\]\}, got \[\]$/],
    ['{"rules":[],"extra":1}', /^rules\.json: extra: unknown key; known keys: rules$/],
    ['{"rules":{}}', /^rules\.json: rules: must be an array, got \{\}$/],
    ['{"rules":[{"prefix":"a/"}]}', /^rules\.json: rules\[0\]: needs "format" \(a format name\) or "ignore": true$/],
    ['{"rules":[{"prefix":"a/","format":"alb","ignore":true}]}', /^rules\.json: rules\[0\]: has both "format" and "ignore"; give one$/],
    ['{"rules":[{"prefix":"a/","format":"albb"}]}', /^rules\.json: rules\[0\]\.format: unknown format "albb"; known: cloudtrail, .*alb/],
    ['{"rules":[{"prefx":"a/","format":"alb"}]}', /^rules\.json: rules\[0\]\.prefx: unknown key; known keys: bucket, prefix, format, ignore$/],
    ['{"rules":[{"bucket":"","format":"alb"}]}', /^rules\.json: rules\[0\]\.bucket: must not be empty/],
    ['{"rules":[{"ignore":"yes"}]}', /^rules\.json: rules\[0\]\.ignore: must be true \(or left out\), got "yes"$/],
  ])('rejects %s as invalid_rules with a message naming the place', (text, message) => {
    const e = configError(() => parseRules(text, 'rules.json'));
    expect(e.code).toBe('invalid_rules');
    expect(e.message).toMatch(message);
  });
});

describe('rules in processObject', () => {
  it('parses a file whose name says nothing with the pinned format, and ignores what an ignore rule matches', async () => {
    const dir = tempDir();
    try {
      const line =
        'http 2024-05-01T12:00:01.123456Z app/shop/6a2b 198.51.100.23:51234 10.0.1.15:8080 0.001 0.012 0.000 200 200 412 1873 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.0" - - arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/5d1e "Root=1-66322d51-0a1b2c3d4e5f60718293a4b5" "-" "-" 0 2024-05-01T12:00:01.110000Z "forward" "-" "-" "10.0.1.15:8080" "200" "-" "-"';
      const data = writeInput(dir.path, 'in/lb/export-1.txt', `${line}\n`);
      const scratch = writeInput(dir.path, 'in/scratch/notes.txt', 'not a log\n');
      const route = ruleRouter(parseRules(JSON.stringify({ rules: [{ prefix: '**/scratch/', ignore: true }, { prefix: '**/lb/', format: 'alb' }] }), 'rules.json'));
      const parsed = await runLocal(data, `${dir.path}/lake`, { rule: route });
      expect(parsed.manifest).toMatchObject({ status: 'ok', source: 'alb', routed_by: 'rule', records: 1 });
      const ignored = await runLocal(scratch, `${dir.path}/lake`, { rule: route });
      expect(ignored.manifest).toMatchObject({ status: 'ignored', reason: IGNORED_BY_RULE, routed_by: 'rule' });
    } finally {
      dir.cleanup();
    }
  });
});
