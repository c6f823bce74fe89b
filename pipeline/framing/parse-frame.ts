/**
 * How the pipeline hands one frame to a parser, in one place: the framer a parser's framing
 * calls for, and the parser's answer for one frame given the input its framing defines (a line,
 * the value `JSON.parse` makes of the text, a CSV row's cells). The object run and the fuzzing
 * bench both call these, so what is fuzzed is what runs.
 */
import type { ParseContext, ParseResult, Parser } from '../../parsers/index.js';
import { CsvFramer } from './csv-framer.js';
import { JsonRecordFramer, LineFramer, parseJson, type Framer, type FramerOptions, type FrameSink, type ParsedJson } from './framing.js';

/** The framer of `parser`'s framing, feeding `sink`; `where` names the object in errors. */
export function framerFor(parser: Parser, sink: FrameSink, options: FramerOptions, where: string): Framer {
  switch (parser.framing) {
    case 'json-records':
      return new JsonRecordFramer(sink, options, parser.containerKeys, where);
    case 'lines':
      return new LineFramer(sink, options, parser.recordStart?.bind(parser));
    case 'csv':
      return new CsvFramer(sink, options);
  }
}

/**
 * The parser's answer for one non-empty frame, or null when its header hook consumed it. JSON
 * text comes parsed by the framer (`json`) or is parsed here; text that is not JSON is rejected
 * as `invalid_json`.
 */
export function parseFrame(parser: Parser, text: string, cells: readonly string[] | undefined, ctx: ParseContext, json?: ParsedJson): ParseResult | null {
  switch (parser.framing) {
    case 'lines':
      if (parser.header !== undefined && parser.header(text, ctx.state)) return null;
      return parser.parse(text, ctx);
    case 'csv': {
      const row = cells ?? [text];
      if (parser.header(row, ctx.state)) return null;
      return parser.parse(row, ctx);
    }
    case 'json-records': {
      const parsed = json ?? parseJson(text);
      if (!parsed.ok) return { ok: false, reason: 'invalid_json', detail: parsed.error };
      return parser.parse(parsed.value, ctx);
    }
  }
}
