/**
 * The registry of formats. Routing tries them in this order; adding a format is one line here.
 */
import * as alb from './alb.js';
import * as billingCur from './billing-cur.js';
import * as billingDbr from './billing-dbr.js';
import * as cloudfront from './cloudfront.js';
import * as cloudtrail from './cloudtrail.js';
import * as config from './config.js';
import * as elb from './elb.js';
import * as nlb from './nlb.js';
import * as s3access from './s3access.js';
import type { Ignorable, Parser } from './types.js';

export type { CsvParser, DetectInput, Framing, Ignorable, JsonParser, LineParser, ParseContext, ParseResult, Parser } from './types.js';

/** Every supported log format, in routing order. */
export const PARSERS: readonly Parser[] = [
  cloudtrail.parser,
  config.parser,
  alb.parser,
  nlb.parser,
  elb.parser,
  s3access.parser,
  cloudfront.parser,
  billingCur.parser,
  billingDbr.parser,
];

/** Objects that are recognized but carry no events. Checked before `PARSERS`. */
export const IGNORABLES: readonly Ignorable[] = [cloudtrail.digest, config.writabilityCheck, billingCur.manifest, billingCur.artifact];
