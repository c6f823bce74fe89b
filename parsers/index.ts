/**
 * The registry of formats. Routing tries them in this order.
 *
 * Adding a format takes:
 * 1. a module `parsers/<id>.ts` exporting a `Parser` (helpers only it uses beside it as
 *    `<id>-<part>.ts`; anything a second format needs goes to `parsers/shared/`): it imports
 *    only `shared/`, `types.ts`, its own helpers and `schema/` (test/architecture.test.ts);
 * 2. its line in `PARSERS` below (and in `IGNORABLES` for objects it recognizes without events);
 * 3. its id and source in `PARSER_SOURCES` of `schema/vocabulary.ts` (`PARSER_IDS` follows
 *    from it), plus the source in `SOURCES` there when it writes a new one; the compliance suite
 *    checks that the registry and the vocabulary agree;
 * 4. at least one sample under `samples/<source>/` and its goldens (`npm run goldens` writes
 *    `*.expected.jsonl` and `*.rejects.jsonl` beside it; review the diff), which the golden
 *    test and the compliance suite require.
 */
import * as alb from './alb.js';
import * as billingCur from './billing-cur.js';
import * as billingDbr from './billing-dbr.js';
import * as cloudfront from './cloudfront.js';
import * as cloudtrail from './cloudtrail.js';
import * as config from './config.js';
import * as cwlogs from './cwlogs.js';
import * as elb from './elb.js';
import * as nlb from './nlb.js';
import * as rdsMysqlAudit from './rds-mysql-audit.js';
import * as rdsMysqlError from './rds-mysql-error.js';
import * as rdsMysqlGeneral from './rds-mysql-general.js';
import * as rdsMysqlSlowquery from './rds-mysql-slowquery.js';
import * as rdsPostgresql from './rds-postgresql.js';
import * as redshiftActivity from './redshift-activity.js';
import * as redshiftConnection from './redshift-connection.js';
import * as redshiftUser from './redshift-user.js';
import * as s3access from './s3access.js';
import * as vpcflow from './vpcflow.js';
import type { Ignorable, Parser } from './types.js';

export type { CsvParser, DetectInput, Framing, Ignorable, JsonParser, LineParser, ParseContext, ParseResult, Parser } from './types.js';
/** What the pipeline's message decoding and format extensions need of the Config and CUR parsers. */
export { configNotificationWork, type ConfigNotificationWork } from './config-notification.js';
export { CONFIG_MESSAGE_TYPES, parser as configParser } from './config.js';
export { manifest as curManifest } from './billing-cur.js';
/** What the CloudWatch Logs intake (`pipeline/formats/cwlogs*.ts`) needs to name its virtual objects. */
export { cwlogsObjectName, parseCwlogsObjectName, parser as cwlogsParser, type CwlogsStream } from './cwlogs.js';

/** Every supported log format, in routing order. */
export const PARSERS: readonly Parser[] = [
  cloudtrail.parser,
  config.parser,
  alb.parser,
  nlb.parser,
  elb.parser,
  s3access.parser,
  cloudfront.parser,
  vpcflow.parser,
  vpcflow.parquetParser,
  billingCur.parser,
  billingDbr.parser,
  redshiftConnection.parser,
  redshiftUser.parser,
  redshiftActivity.parser,
  // RDS engine logs: the slow query log before the general log (both may begin with the server's header lines), the error log last (its sniff is the broadest).
  rdsPostgresql.parser,
  rdsMysqlAudit.parser,
  rdsMysqlSlowquery.parser,
  rdsMysqlGeneral.parser,
  rdsMysqlError.parser,
  // Last: a pin, the log-group map or an export-task key chooses it, never content.
  cwlogs.parser,
];

/** Objects that are recognized but carry no events. Checked before `PARSERS`. */
export const IGNORABLES: readonly Ignorable[] = [cloudtrail.digest, config.writabilityCheck, billingCur.manifest, billingCur.artifact, cwlogs.exportWriteTest];
