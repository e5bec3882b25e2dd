import type { Plugin } from '../api/index.js';
import { builtinRegistry } from '../worker/plugins.js';
import { CliError, type CliIO, type OutputFormat, printJson } from './io.js';
import { renderTable } from './table.js';

const TYPES: readonly Plugin['type'][] = ['source', 'sink', 'transform', 'predicate', 'converter'];

/**
 * `sluice plugins`: every built-in plugin with the names a config may use for it — its class name, its short name
 * and its aliases (Kafka's and Debezium's class names). Offline: a worker has exactly these.
 */
export function listPlugins(o: { type?: string; output: OutputFormat }, io: CliIO): number {
  if (o.type !== undefined && !TYPES.includes(o.type as Plugin['type']))
    throw new CliError(`--type must be one of ${TYPES.join(', ')}, not ${o.type}`);
  const plugins = builtinRegistry()
    .list(o.type ? [o.type as Plugin['type']] : undefined)
    .sort((a, b) => TYPES.indexOf(a.type) - TYPES.indexOf(b.type) || a.name.localeCompare(b.name));
  if (o.output === 'json') {
    printJson(
      io,
      plugins.map((p) => ({
        class: p.className,
        type: p.type,
        name: p.name,
        aliases: p.aliases ?? [],
        version: p.version,
      })),
    );
    return 0;
  }
  io.out(
    renderTable(
      ['type', 'name', 'class', 'aliases'],
      plugins.map((p) => [p.type, p.name, p.className, (p.aliases ?? []).join(', ')]),
    ),
  );
  return 0;
}
