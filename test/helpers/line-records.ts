/**
 * A line parser over a whole text as the pipeline runs it, without the rest of the pipeline: the
 * real line framer (records joined by the parser's `recordStart`), then for each frame the
 * parser's header hook and `parse` through `parseFrame`, with one per-object state. For unit
 * tests of parsers whose state comes from header hooks.
 */
import { LineFramer } from '../../pipeline/framing/framing.js';
import { parseFrame } from '../../pipeline/framing/parse-frame.js';
import type { LineParser, ParseContext, ParseResult } from '../../parsers/index.js';
import type { EventFields } from '../../schema/index.js';

/** What became of one frame: a parser result, a consumed header (`header`), a blank line or a framer rejection. */
export type FrameOutcome =
  | { readonly frame: string; readonly result: ParseResult }
  | { readonly frame: string; readonly result: 'header' | 'blank' }
  | { readonly frame: string; readonly result: { readonly framer: string } };

export function runLines<S>(parser: LineParser<S>, text: string, object = 'x/data.log', maxLineBytes = 1024 * 1024): FrameOutcome[] {
  const out: FrameOutcome[] = [];
  const ctx: ParseContext = { object, ordinal: 0, state: parser.createState?.(), drift: 0 };
  const framer = new LineFramer(
    {
      frame: (t) => {
        ctx.ordinal++;
        if (t === '') return void out.push({ frame: t, result: 'blank' });
        const r = parseFrame(parser as LineParser, t, undefined, ctx);
        out.push({ frame: t, result: r === null ? 'header' : r });
      },
      reject: (reason, raw) => {
        ctx.ordinal++;
        out.push({ frame: raw, result: { framer: reason } });
      },
    },
    { maxLineBytes, maxRejectRawBytes: 4096 },
    parser.recordStart?.bind(parser),
  );
  framer.push(Buffer.from(text));
  framer.end();
  return out;
}

/** A record with its `fields` present, for `toMatchObject` and `toEqual` on fields. */
export type Rec = EventFields & { fields: Record<string, string> };

/** The records of `runLines`, in order (rejections and headers left out). */
export function recordsOf(outcomes: readonly FrameOutcome[]): Rec[] {
  const recs: Rec[] = [];
  for (const o of outcomes) {
    const r = o.result;
    if (typeof r === 'object' && 'ok' in r && r.ok === true) recs.push({ ...r.record, fields: r.record.fields ?? {} });
  }
  return recs;
}

/** Each frame's outcome in a word: `record`, `header`, `blank`, a reject reason, a skip reason or `framer:<reason>`. */
export function outcomesOf(outcomes: readonly FrameOutcome[]): string[] {
  return outcomes.map((o) => {
    const r = o.result;
    if (typeof r === 'string') return r;
    if ('framer' in r) return `framer:${r.framer}`;
    return r.ok === true ? 'record' : r.reason;
  });
}
