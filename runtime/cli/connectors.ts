import { readConfigFile } from '../config/worker.js';
import { readConnectorFile } from '../worker/standalone.js';
import { CliError, type CliIO, type OutputFormat, printable, printJson } from './io.js';
import { connectorPath, type RestClient } from './rest-client.js';
import { renderTable } from './table.js';

/**
 * `sluice connectors …`: day-two operations on a running worker through its REST API (Kafka Connect's, so these
 * work against a Kafka Connect worker too), in kubectl's manner: a table for people, `--output json` for
 * scripts (the worker's own answer, unchanged).
 */

interface State {
  state: string;
  worker_id?: string;
  trace?: string;
}
interface TaskState extends State {
  id: number;
}
interface ConnectorStatus {
  name: string;
  connector: State;
  tasks: TaskState[];
  type?: string;
}
interface Expanded {
  status?: ConnectorStatus;
  info?: { name: string; config: Record<string, string>; type?: string };
}
interface Offsets {
  offsets: Array<{ partition: unknown; offset: unknown }>;
}

export interface ConnectorsContext {
  client: RestClient;
  output: OutputFormat;
  io: CliIO;
}

export async function list(c: ConnectorsContext): Promise<number> {
  const all = await c.client.get<Record<string, Expanded>>('/connectors?expand=status&expand=info');
  if (c.output === 'json') {
    printJson(c.io, all);
    return 0;
  }
  const names = Object.keys(all).sort();
  if (names.length === 0) {
    c.io.err(`No connectors on ${c.client.url}.\n`);
    return 0;
  }
  const rows = names.map((name) => {
    const { status, info } = all[name];
    const tasks = status?.tasks ?? [];
    const running = tasks.filter((t) => t.state === 'RUNNING').length;
    return [
      name,
      status?.type ?? info?.type ?? '',
      status?.connector.state ?? '',
      `${running}/${tasks.length}`,
      info?.config['connector.class'] ?? '',
      status?.connector.worker_id ?? '',
    ];
  });
  c.io.out(renderTable(['name', 'type', 'state', 'tasks', 'class', 'worker'], rows));
  return 0;
}

export async function status(c: ConnectorsContext, name: string): Promise<number> {
  const s = await c.client.get<ConnectorStatus>(connectorPath(name, '/status'));
  if (c.output === 'json') {
    printJson(c.io, s);
    return 0;
  }
  printStatus(c.io, s);
  return 0;
}

/** The connector's line, a line per task, and the traces of what failed (first lines; all of it in JSON). */
function printStatus(io: CliIO, s: ConnectorStatus): void {
  const all: Array<[string, State]> = [
    ['connector', s.connector],
    ...s.tasks.map((t): [string, State] => [`task ${t.id}`, t]),
  ];
  const traces = all.some(([, st]) => st.trace);
  const rows = all.map(([what, st]) => [what, st.state, st.worker_id ?? '', ...(traces ? [st.trace ?? ''] : [])]);
  io.out(`${printable(s.name)}${s.type ? ` (${s.type})` : ''}\n`);
  io.out(renderTable(['', 'state', 'worker', ...(traces ? ['trace'] : [])], rows));
  if (all.some(([, st]) => st.trace?.includes('\n')))
    io.out('Traces are cut to their first line; --output json shows them whole.\n');
}

/** pause, resume and stop: PUT, answered 202 (pause, resume) or 204 (stop), as Connect does. */
export async function setState(
  c: ConnectorsContext,
  name: string,
  action: 'pause' | 'resume' | 'stop',
): Promise<number> {
  await c.client.call('PUT', connectorPath(name, `/${action}`));
  const done = { pause: 'pausing', resume: 'resuming', stop: 'stopping' }[action];
  report(c, name, action, `connector ${name} ${done} (see: sluice connectors status ${name})`);
  return 0;
}

export async function restart(
  c: ConnectorsContext,
  name: string,
  o: { includeTasks?: boolean; onlyFailed?: boolean },
): Promise<number> {
  const query = new URLSearchParams();
  if (o.includeTasks) query.set('includeTasks', 'true');
  if (o.onlyFailed) query.set('onlyFailed', 'true');
  const q = query.size ? `?${query}` : '';
  const answer = await c.client.call<ConnectorStatus>('POST', connectorPath(name, `/restart${q}`));
  if (c.output === 'json') {
    printJson(c.io, answer.body ?? { name, action: 'restart' });
    return 0;
  }
  c.io.out(`connector ${printable(name)} restarting\n`);
  // With includeTasks/onlyFailed Connect answers 202 with the status: what restarts shows as RESTARTING.
  if (answer.body) printStatus(c.io, answer.body);
  return 0;
}

export async function remove(c: ConnectorsContext, name: string): Promise<number> {
  await c.client.call('DELETE', connectorPath(name));
  report(c, name, 'delete', `connector ${name} deleted`);
  return 0;
}

export async function config(c: ConnectorsContext, name: string): Promise<number> {
  const cfg = await c.client.get<Record<string, string>>(connectorPath(name, '/config'));
  if (c.output === 'json') {
    printJson(c.io, cfg);
    return 0;
  }
  const keys = Object.keys(cfg).sort();
  c.io.out(
    renderTable(
      ['key', 'value'],
      keys.map((k) => [k, cfg[k]]),
    ),
  );
  return 0;
}

/**
 * Creates a connector from a file or replaces its config (PUT /connectors/{name}/config): the same files
 * `sluice standalone` and `sluice validate` take.
 */
export async function apply(c: ConnectorsContext, file: string): Promise<number> {
  let connector: { name: string; config: Record<string, string> };
  try {
    connector = readConnectorFile(file, readConfigFile(file, 'connector config'));
  } catch (err) {
    throw new CliError(`${printable(file)}: ${printable((err as Error).message)}`);
  }
  const answer = await c.client.call('PUT', connectorPath(connector.name, '/config'), connector.config);
  const created = answer.status === 201;
  if (c.output === 'json') printJson(c.io, answer.body);
  else c.io.out(`connector ${printable(connector.name)} ${created ? 'created' : 'configured'}\n`);
  return 0;
}

/**
 * Shows a connector's committed offsets; `--reset` deletes them and `--patch FILE` alters them (both only while the
 * connector is STOPPED, which the worker enforces with a 409).
 */
export async function offsets(
  c: ConnectorsContext,
  name: string,
  o: { reset?: boolean; patch?: string },
): Promise<number> {
  if (o.reset && o.patch) throw new CliError('--reset and --patch cannot be used together');
  if (o.reset || o.patch) {
    let body: unknown;
    if (o.patch) {
      try {
        body = JSON.parse(readConfigFile(o.patch, 'offsets'));
      } catch (err) {
        throw new CliError(`${printable(o.patch)}: ${printable((err as Error).message)}`);
      }
    }
    const answer = await c.client.call<{ message?: string }>(
      o.reset ? 'DELETE' : 'PATCH',
      connectorPath(name, '/offsets'),
      body,
    );
    if (c.output === 'json') printJson(c.io, answer.body ?? {});
    else
      c.io.out(
        `${printable(answer.body?.message ?? `offsets of connector ${name} ${o.reset ? 'reset' : 'altered'}`)}\n`,
      );
    return 0;
  }
  const got = await c.client.get<Offsets>(connectorPath(name, '/offsets'));
  if (c.output === 'json') {
    printJson(c.io, got);
    return 0;
  }
  if (got.offsets.length === 0) {
    c.io.err(`Connector ${printable(name)} has no committed offsets.\n`);
    return 0;
  }
  c.io.out(
    renderTable(
      ['partition', 'offset'],
      got.offsets.map((o) => [JSON.stringify(o.partition), JSON.stringify(o.offset)]),
    ),
  );
  return 0;
}

function report(c: ConnectorsContext, name: string, action: string, line: string): void {
  if (c.output === 'json') printJson(c.io, { name, action });
  else c.io.out(`${printable(line)}\n`);
}
