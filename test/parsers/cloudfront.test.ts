import { describe, expect, it } from 'vitest';
import { CLOUDFRONT_FIELDS, parser, type CloudFrontState } from '../../parsers/cloudfront.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import type { EventFields } from '../../schema/index.js';

type Rec = EventFields & { fields: Record<string, string> };

const FIELDS_33 = `#Fields: ${CLOUDFRONT_FIELDS.join(' ')}`;
const ROW =
  '2019-12-13\t22:36:27\tSEA19-C1\t900\t192.0.2.200\tGET\td111111abcdef8.cloudfront.net\t/favicon%20big.ico\t502\thttp://www.example.com/\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)\t-\t-\tError\t1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==\twww.example.com\thttp\t675\t0.102\t-\t-\t-\tError\tHTTP/1.1\t-\t-\t25260\t0.102\tOriginDnsError\ttext/html\t507\t-\t-';

/** Feeds lines through header() and parse() the way the pipeline does. */
function run(lines: readonly string[]): Array<ParseResult | 'header'> {
  const state = parser.createState?.() as CloudFrontState;
  const ctx: ParseContext<CloudFrontState> = { object: 'test', ordinal: 0, state };
  return lines.map((l) => (parser.header?.(l, state) ? 'header' : parser.parse(l, ctx)));
}

function record(lines: readonly string[]): Rec {
  const r = run(lines).at(-1);
  if (r === 'header' || r === undefined || r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}

describe('CloudFront standard log parser', () => {
  it('consumes #Version and #Fields as headers', () => {
    expect(run(['#Version: 1.0', FIELDS_33]).every((r) => r === 'header')).toBe(true);
  });

  it('maps a 33-field row, decoding the user agent and path', () => {
    const r = record(['#Version: 1.0', FIELDS_33, ROW]);
    expect(r).toMatchObject({
      time: Date.UTC(2019, 11, 13, 22, 36, 27),
      category: 'http_activity',
      action: 'GET',
      resource: '/favicon big.ico',
      src_ip: '192.0.2.200',
      src_port: 25260,
      user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
      status: '502',
      outcome: 'failure',
      error: 'OriginDnsError',
      bytes_in: 675,
      bytes_out: 900,
      duration_ms: 102,
      request_id: '1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==',
    });
    expect(r.fields).toEqual({
      'x-edge-location': 'SEA19-C1',
      'cs(Host)': 'd111111abcdef8.cloudfront.net',
      'cs-uri-stem': '/favicon%20big.ico',
      'cs(Referer)': 'http://www.example.com/',
      'cs(User-Agent)': 'Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)',
      'x-edge-result-type': 'Error',
      'x-host-header': 'www.example.com',
      'cs-protocol': 'http',
      'time-taken': '0.102',
      'x-edge-response-result-type': 'Error',
      'cs-protocol-version': 'HTTP/1.1',
      'time-to-first-byte': '0.102',
      'x-edge-detailed-result-type': 'OriginDnsError',
      'sc-content-type': 'text/html',
      'sc-content-len': '507',
    });
  });

  it('takes the field set from #Fields: a 19-field file maps by name', () => {
    const names = CLOUDFRONT_FIELDS.slice(0, 19);
    const row = ROW.split('\t').slice(0, 19).join('\t');
    const r = record(['#Version: 1.0', `#Fields: ${names.join(' ')}`, row]);
    expect(r).toMatchObject({ src_port: null, bytes_in: 675, duration_ms: 102 });
    expect(r.fields['time-to-first-byte']).toBeUndefined();
  });

  it('follows a second header block with a different field list (RTMP) in the same file', () => {
    const rtmp = '#Fields: date time x-edge-location c-ip x-event sc-bytes x-cf-status x-cf-client-id cs-uri-stem cs-uri-query c-referrer x-page-url\u200b\tc-user-agent x-sname x-sname-query x-file-ext x-sid';
    const row = '2010-03-12\t 23:51:21\t SEA4\t 192.0.2.222\t play\t 3914\t OK\t bfd8a98bee0840d9b871b7f6ade9908f\t rtmp://shqshne4jdp4b6.cloudfront.net/cfx/st\u200b\tkey=value\t http://player.example.com/player.swf\t http://www.example.com/support/jw-player-setup-wizard?example=204\t LNX%2010,0,32,18\t myvideo\t p=2&q=4\t flv\t 1';
    const results = run(['#Version: 1.0', FIELDS_33, ROW, '#Version: 1.0', rtmp, row]);
    const r = results[5] as ParseResult;
    if (r.ok !== true) throw new Error(JSON.stringify(r));
    expect(r.record).toMatchObject({ time: Date.UTC(2010, 2, 12, 23, 51, 21), action: 'play', status: 'OK', outcome: 'unknown', user_agent: 'LNX 10,0,32,18', bytes_out: 3914, src_ip: '192.0.2.222' });
    expect(r.record.fields).toMatchObject({ 'x-page-url': 'http://www.example.com/support/jw-player-setup-wizard?example=204', 'x-sname': 'myvideo', 'x-sid': '1' });
  });

  it('reads a file without headers with the documented 33 fields', () => {
    expect(record([ROW]).src_port).toBe(25260);
  });

  it('ignores the stray trailing tab AWS examples carry and keeps real extra columns positionally', () => {
    expect(record([FIELDS_33, `${ROW}\t`]).fields.field_34).toBeUndefined();
    expect(record([FIELDS_33, `${ROW}\tnew`]).fields.field_34).toBe('new');
  });

  it('reads IPv6 viewers and a 000 status as unknown outcome', () => {
    const r = record([FIELDS_33, ROW.replace('192.0.2.200', '2001:db8::8a2e:370:7334').replace('\t502\t', '\t000\t')]);
    expect(r).toMatchObject({ src_ip: '2001:db8::8a2e:370:7334', status: '000', outcome: 'unknown' });
  });

  it('rejects broken rows with their reasons', () => {
    const reason = (row: string): string | null => {
      const r = run([FIELDS_33, row])[1] as ParseResult;
      return r.ok === false ? r.reason : null;
    };
    expect(reason('2019-12-13 22:36:27 SEA19-C1 900 192.0.2.200')).toBe('unknown_format');
    expect(reason(ROW.split('\t').slice(0, 8).join('\t'))).toBe('field_count_mismatch');
    expect(reason(ROW.replace('2019-12-13', '2019-13-13'))).toBe('bad_timestamp');
    expect(reason(ROW.replace('\t900\t', '\tnine\t'))).toBe('bad_number');
    expect(reason(ROW.replace('\t0.102\t-', '\tfast\t-'))).toBe('bad_number');
    expect(reason(ROW.replace('SEA19', 'SEA\u000019'))).toBe('control_character');
  });

  it('routes CloudFront keys and recognizes W3C CloudFront content only', () => {
    const matches = (k: string): boolean => parser.keyPatterns.some((p) => p.test(k));
    expect(matches('cf-logs/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK3.gz')).toBe(true);
    expect(matches('E2K2LNEXAMPLE.2024-01-08-16.a1b2c3d4.gz')).toBe(true);
    expect(matches('logs/2019-02-06-00-00-38-5B4A8C2F9E1D3A7B')).toBe(false);
    expect(parser.sniff(`#Version: 1.0\n${FIELDS_33}\n${ROW}`)).toBe(true);
    expect(parser.sniff('#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem\n')).toBe(false);
    expect(parser.sniff('version account-id interface-id srcaddr dstaddr')).toBe(false);
  });
});
