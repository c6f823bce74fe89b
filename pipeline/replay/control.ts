/**
 * Requests to the deployed replay function, as a direct invocation payload or the body of a
 * message on its control queue: start a run, continue one (what the function sends itself when
 * its deadline nears), or poll a source's prefixes (what its schedule sends). One codec for the
 * CLI that sends them and the function that reads them.
 */
import { Section, problemsText, type Problem } from '../../schema/checks.js';
import { isDay } from './list.js';
import { isRunId, type ReplayParams } from './record.js';

export type ReplayRequest =
  | { readonly loglake: 'replay-start'; readonly v: 1; readonly run_id: string; readonly params: ReplayParams }
  | { readonly loglake: 'replay-continue'; readonly v: 1; readonly run_id: string }
  | {
      readonly loglake: 'replay-poll';
      readonly v: 1;
      readonly bucket: string;
      /** Prefixes polled, each `''` or ending in `/`. */
      readonly prefixes: readonly string[];
      /** Days listed before today, so objects delivered late to an older day folder are found. @default 1 */
      readonly lookbackDays: number;
    };

const KINDS = ['replay-start', 'replay-continue', 'replay-poll'] as const;
const PARSER_VERSION = /^[a-z0-9-]+@\d+$/;

/** `params` of a start request, with defaults applied, or the problems found. */
export function readParams(value: unknown, path = 'params', problems: Problem[] = []): ReplayParams {
  const p = new Section(value, {
    path,
    problems,
    known: ['bucket', 'prefix', 'from', 'to', 'source', 'account', 'region', 'force', 'parserOlderThan', 'rate', 'window'],
  });
  p.required('bucket', 'the bucket to replay');
  p.required('from', 'the first day');
  const from = p.string('from', '', undefined, 'a day YYYY-MM-DD');
  const to = p.string('to', from, undefined, 'a day YYYY-MM-DD');
  if (p.has('from') && !isDay(from)) p.problem('from', `must be a day YYYY-MM-DD, got ${JSON.stringify(from)}`);
  if (p.has('to') && !isDay(to)) p.problem('to', `must be a day YYYY-MM-DD, got ${JSON.stringify(to)}`);
  if (isDay(from) && isDay(to) && to < from) p.problem('to', `${to} is before from ${from}: the range is empty`);
  let prefix = p.string('prefix', '');
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const force = p.bool('force', false);
  const parserOlderThan = p.optionalString('parserOlderThan', PARSER_VERSION, '<parser-id>@<version>');
  if (force && parserOlderThan !== null) p.problem('force', 'force and parserOlderThan exclude each other');
  const rate = p.has('rate') ? p.number('rate', 0, 0.001) : null;
  return {
    bucket: p.string('bucket', ''),
    prefix,
    from,
    to,
    source: p.optionalString('source'),
    account: p.optionalString('account', /^\d{12}$/, 'a 12-digit account id'),
    region: p.optionalString('region'),
    force,
    parserOlderThan,
    rate,
    window: p.oneOf('window', 'month', ['day', 'month'] as const),
  };
}

/** Decodes a request (a parsed payload, or an SQS body as text); throws `Error` naming every problem. */
export function decodeReplayRequest(input: unknown): ReplayRequest {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (e) {
      throw new Error(`replay request is not JSON: ${(e as Error).message}`);
    }
  }
  const s = new Section(value, { shape: 'a replay request object', known: null });
  const kind = s.oneOf('loglake', 'replay-start', KINDS);
  s.required('loglake', `one of ${KINDS.join(', ')}`);
  if (s.raw('v') !== 1) s.problem('v', `must be 1, got ${JSON.stringify(s.raw('v'))}`);
  let request: ReplayRequest;
  if (kind === 'replay-poll') {
    s.required('bucket', 'the bucket to poll');
    const prefixes = s.raw('prefixes');
    if (prefixes !== undefined && (!Array.isArray(prefixes) || !prefixes.every((x) => typeof x === 'string'))) s.problem('prefixes', 'must be an array of strings');
    request = {
      loglake: kind,
      v: 1,
      bucket: s.string('bucket', ''),
      prefixes: (Array.isArray(prefixes) ? (prefixes as string[]) : ['']).map((x) => (x === '' || x.endsWith('/') ? x : `${x}/`)),
      lookbackDays: s.int('lookbackDays', 1, 0, 31),
    };
  } else {
    s.required('run_id', 'the run id');
    const runId = s.string('run_id', '');
    if (s.has('run_id') && !isRunId(runId)) s.problem('run_id', `must be a run id like 20261202T160000Z-a1b2c3, got ${JSON.stringify(runId)}`);
    request = kind === 'replay-start' ? { loglake: kind, v: 1, run_id: runId, params: readParams(s.raw('params'), 'params', s.problems) } : { loglake: kind, v: 1, run_id: runId };
  }
  if (s.problems.length > 0) throw new Error(`invalid replay request: ${problemsText(s.problems)}`);
  return request;
}

/** The JSON body of a request, as the CLI and the function itself send it. */
export function encodeReplayRequest(r: ReplayRequest): string {
  return JSON.stringify(r);
}
