/**
 * `loglake <verb>`: dispatches to one file per verb in cli/commands/. Data goes to stdout,
 * diagnostics to stderr; exit codes are 0 ok, 1 some object failed, 2 usage or configuration error.
 */
import { UsageError } from './args.js';
import * as demo from './commands/demo.js';
import * as formats from './commands/formats.js';
import * as ingest from './commands/ingest.js';
import * as query from './commands/query.js';
import * as worker from './commands/worker.js';

interface Verb {
  readonly help: string;
  run(argv: readonly string[]): Promise<number>;
}

const VERBS: Record<string, Verb> = { ingest, query, formats, demo, worker };

const HELP = `usage: loglake <command> [options]

commands:
  ingest <file|folder>… --out <dir>   normalize local log files into a local lake
  query --lake <dir> "<SQL>"          query a lake with DuckDB (views: events, errors)
  formats                             list supported formats and their key patterns
  demo                                ingest the bundled samples into ./lake and query them (npm start)
  worker --events <f> --endpoint <u>  run the Lambda worker on recorded SQS events against local S3

Run "loglake <command> --help" for the options of a command.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(HELP);
    return verb === undefined ? 2 : 0;
  }
  const command = VERBS[verb];
  if (!command) {
    process.stderr.write(`loglake: unknown command ${JSON.stringify(verb)}\n\n${HELP}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`loglake ${verb}: ${e.message}\nRun "loglake ${verb} --help" for usage.\n`);
      return 2;
    }
    process.stderr.write(`loglake ${verb}: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

// `loglake formats | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
