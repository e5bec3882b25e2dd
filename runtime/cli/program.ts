import { Command, CommanderError } from 'commander';
import { traceOf } from '../api/index.js';
import { packageVersion } from '../version.js';
import { CliError, type CliIO, outputFormat, printable } from './io.js';

/**
 * The `sluice` command line. Each command loads its own modules when it runs (a worker's data path, REST
 * server, the demo's embedded PostgreSQL, or only a REST client), so `sluice connectors list` starts in a
 * fraction of the time a worker needs.
 *
 * Resolves to the exit code of a command that finished, or undefined for the worker commands, which keep the
 * process running until a signal.
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number | undefined> {
  let code: number | undefined;
  const done = (c: number) => {
    code = c;
  };
  const program = new Command()
    .name('sluice')
    .description(
      'Change data capture in one small process: Debezium-compatible sources, Kafka Connect-compatible runtime',
    )
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('standalone')
    .description(
      'Run a standalone worker: worker config (JSON or .properties) and connector configs ({"name","config"} JSON)',
    )
    .argument('<worker>', 'worker config file')
    .argument('[connectors...]', 'connector config files')
    .action(async (worker: string, connectors: string[]) =>
      (await import('./worker.js')).standalone(worker, connectors),
    );

  program
    .command('distributed')
    .description(
      'Run a worker of a distributed cluster: workers with one group.id share connectors and tasks through Kafka (configs, statuses and offsets on Kafka topics); connectors are created through REST',
    )
    .argument('<worker>', 'worker config file (bootstrap.servers, group.id, config/offset/status.storage.topic)')
    .action(async (worker: string) => (await import('./worker.js')).distributed(worker));

  program
    .command('demo')
    .description(
      'A throwaway PostgreSQL (or DATABASE_URL), a sample table and its change events on stdout; Ctrl-C cleans up',
    )
    .option('--format <format>', 'text (readable) or json (the JSON converter output, one record per line)', 'text')
    .option('--rows <n>', 'rows in the sample table', '1000')
    .option('--verbose', "print the snapshot's rows too (by default it shows as a progress bar)")
    .option('--log-level <level>', 'worker log level (logs go to stderr)', 'warn')
    .action(async (opts) => (await import('../demo/command.js')).demoCommand(opts));

  program
    .command('validate')
    .description(
      "Check config files offline against the plugin specs, with the messages REST gives: connector files, and the worker config (whose config providers then resolve the connectors' ${…} references here). Exit 1 when any is invalid",
    )
    .argument(
      '<files...>',
      'connector configs ({"name","config"} JSON, flat JSON or .properties) and at most one worker config',
    )
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (files: string[], opts: { output: string }) => {
      const { validateFiles } = await import('./validate.js');
      done(await validateFiles(files, outputFormat(opts.output), io));
    });

  program
    .command('plugins')
    .description(
      'List the built-in connectors, transforms, predicates and converters with their class names and aliases',
    )
    .option('--type <type>', 'only this type: source, sink, transform, predicate or converter')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: { type?: string; output: string }) => {
      const { listPlugins } = await import('./plugins.js');
      done(listPlugins({ type: opts.type, output: outputFormat(opts.output) }, io));
    });

  addConnectorsCommand(program, io, done);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      io.err(`sluice: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`sluice: ${printable(traceOf(err))}\n`);
    return 1;
  }
  return code;
}

interface ConnectorsOptions {
  url?: string;
  user?: string;
  token?: string;
  output: string;
}

function addConnectorsCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  const connectors = program
    .command('connectors')
    .description(
      "Manage the connectors of a running worker through its REST API (sluice's or Kafka Connect's): list, status, pause, resume, restart, stop, delete, offsets, config, apply",
    )
    .option('--url <url>', 'the worker REST URL (default: $SLUICE_URL, else http://localhost:8083)')
    .option(
      '--user <user[:password]>',
      "HTTP basic credentials (the worker's rest.auth.users.file); the password may come from $SLUICE_PASSWORD. Default: $SLUICE_USER",
    )
    .option('--token <token>', "a bearer token (the worker's rest.auth.bearer.token). Default: $SLUICE_TOKEN")
    .option('-o, --output <format>', "table or json (the worker's own answer)", 'table');

  // Every subcommand gets the REST client and output format from the options above, wherever they were given.
  const run =
    <A extends unknown[]>(fn: (c: import('./connectors.js').ConnectorsContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals<ConnectorsOptions>();
      const { RestClient } = await import('./rest-client.js');
      const client = new RestClient({ url: opts.url, user: opts.user, token: opts.token }, io.env);
      done(await fn({ client, output: outputFormat(opts.output), io }, ...(args.slice(0, -1) as A)));
    };
  const ops = () => import('./connectors.js');

  connectors
    .command('list')
    .description('Every connector: type, state, running tasks, class and worker')
    .action(run(async (c) => (await ops()).list(c)));
  connectors
    .command('status')
    .description("A connector's state and its tasks', with the trace of what failed")
    .argument('<name>')
    .action(run(async (c, name: string) => (await ops()).status(c, name)));
  for (const action of ['pause', 'resume', 'stop'] as const) {
    const what = {
      pause: 'Pause a connector and its tasks (they keep their resources)',
      resume: 'Resume a paused or stopped connector',
      stop: 'Stop a connector: its tasks shut down and release their resources (offsets can then be altered)',
    }[action];
    connectors
      .command(action)
      .description(what)
      .argument('<name>')
      .action(run(async (c, name: string) => (await ops()).setState(c, name, action)));
  }
  connectors
    .command('restart')
    .description('Restart a connector; with --include-tasks its tasks too, with --only-failed only what failed')
    .argument('<name>')
    .option('--include-tasks', 'restart the tasks too')
    .option('--only-failed', 'only the connector and tasks that are FAILED')
    .action(
      run(async (c, name: string, o: { includeTasks?: boolean; onlyFailed?: boolean }) =>
        (await ops()).restart(c, name, o),
      ),
    );
  connectors
    .command('delete')
    .description('Delete a connector (its committed offsets stay)')
    .argument('<name>')
    .action(run(async (c, name: string) => (await ops()).remove(c, name)));
  connectors
    .command('offsets')
    .description(
      'A connector\'s committed offsets; --reset deletes them, --patch FILE alters them ({"offsets":[{"partition","offset"}]}); both only while it is STOPPED',
    )
    .argument('<name>')
    .option('--reset', 'delete the committed offsets (the connector starts from scratch)')
    .option('--patch <file>', 'alter offsets: a JSON file in the form GET returns')
    .action(run(async (c, name: string, o: { reset?: boolean; patch?: string }) => (await ops()).offsets(c, name, o)));
  connectors
    .command('config')
    .description("A connector's config (secrets as the worker shows them: hidden)")
    .argument('<name>')
    .action(run(async (c, name: string) => (await ops()).config(c, name)));
  connectors
    .command('apply')
    .description('Create a connector from a file, or replace its config (PUT /connectors/{name}/config)')
    .argument('<file>', 'a connector config ({"name","config"} JSON, flat JSON with name, or .properties)')
    .action(run(async (c, file: string) => (await ops()).apply(c, file)));
}
