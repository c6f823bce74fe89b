/**
 * `loglake <verb>`: dispatches to one file per verb in cli/commands/. Data goes to stdout,
 * diagnostics to stderr; exit codes are 0 ok, 1 some object failed, 2 usage or configuration error.
 */
import pkg from '../package.json' with { type: 'json' };
import { UsageError } from './args.js';
import { processIo, type Io } from './io.js';

interface Verb {
  readonly help: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/**
 * Each command is imported only when it runs: DuckDB and the AWS SDK take seconds to load, and
 * `loglake --help` or `loglake formats` need neither.
 */
const VERBS: Record<string, () => Promise<Verb>> = {
  ingest: () => import('./commands/ingest.js'),
  query: () => import('./commands/query.js'),
  formats: () => import('./commands/formats.js'),
  demo: () => import('./commands/demo.js'),
  worker: () => import('./commands/worker.js'),
  replay: () => import('./commands/replay.js'),
  dlq: () => import('./commands/dlq.js'),
  redrive: () => import('./commands/redrive.js'),
  verify: () => import('./commands/verify.js'),
  onboard: () => import('./commands/onboard.js'),
};

const HELP = `usage: loglake <command> [options]

commands:
  ingest <file|folder>… --out <dir>   normalize local log files into a local lake
  query --lake <dir> "<SQL>"          query a lake with DuckDB (views: events, errors, replays, objects)
  formats                             list supported formats and their key patterns
  demo                                ingest the bundled samples into ./lake and query them (npm start)
  worker --events <f> --endpoint <u>  run the Lambda worker on recorded SQS events against local S3
  replay s3://b/p/ --from <day>       list a date range of S3 logs and replay it (dry run, --local,
                                      --queue/--stack, --deployed); replay status|cancel
  dlq --stack <name>                  what sits in each dead-letter queue: count, age, error codes
  redrive --stack <name>              move a dead-letter queue's messages back (--queue, --rate)
  verify s3://b/p/|<dir> --from <day>  verify CloudTrail log file integrity (digests, signatures,
                                      hashes) over a range, like aws cloudtrail validate-logs
  onboard --account <id>              what a source account's stack creates, the policy statements
                                      its owner merges, and the commands to deploy it (offline)

Run "loglake <command> --help" for the options of a command; "loglake --version" for the version.
`;

/** The package version, from package.json. */
export const VERSION: string = pkg.version;

/**
 * Runs one command line (without `node` and the script) against `io` and resolves to the exit
 * code: 0 ok, 1 some object failed, 2 usage or configuration error. Never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    io.stderr.write(HELP);
    return 2;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  if (verb === '--version' || verb === '-v') {
    io.stdout.write(`loglake ${VERSION}\n`);
    return 0;
  }
  const load = Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
  if (!load) {
    io.stderr.write(`loglake: unknown command ${JSON.stringify(verb)}\n\n${HELP}`);
    return 2;
  }
  try {
    const command = await load();
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`loglake ${verb}: ${e.message}\n${e.hint ? `Run "loglake ${verb} --help" for usage.\n` : ''}`);
      return 2;
    }
    // A system error (a folder that cannot be written, a full disk) is one line, not a stack.
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys.code === 'string' && typeof sys.syscall === 'string' && io.env.LOGLAKE_DEBUG === undefined) {
      io.stderr.write(`loglake ${verb}: ${sys.message}\n`);
      return 1;
    }
    io.stderr.write(`loglake ${verb}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
