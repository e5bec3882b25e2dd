import { type ConfigSpec, key } from './config-spec.js';

/**
 * Signals (Debezium's `{"id", "type", "data"}`) a source task may take while it runs: from REST
 * (`POST /connectors/{name}/signals`) or the connector's own channels. The runtime checks their shape; the task
 * decides what they mean and answers.
 */

export interface Signal {
  id: string;
  type: string;
  /** the parsed `data` (an object; Debezium's channels carry it as JSON text) */
  data: Record<string, unknown>;
}

/** What a signal did: taken (with the snapshot it started, when it started one), or refused and why. */
export type SignalAnswer = { accepted: true; snapshotId?: string } | { accepted: false; reason: string };

export class SignalError extends Error {}

/** the longest signal id taken */
export const MAX_SIGNAL_ID = 256;

/** A signal from untrusted input (a REST body, a row of the signal table); throws SignalError naming the field. */
export function parseSignal(raw: unknown): Signal {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SignalError('a signal is a JSON object {"id": "…", "type": "…", "data": {…}}');
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > MAX_SIGNAL_ID)
    throw new SignalError(`signal "id" must be a non-empty string of at most ${MAX_SIGNAL_ID} characters`);
  if (typeof o.type !== 'string' || o.type.length === 0) throw new SignalError('signal "type" must be a string');
  let data: unknown = o.data ?? {};
  if (typeof data === 'string') {
    if (data.trim() === '') data = {};
    else {
      try {
        data = JSON.parse(data);
      } catch {
        throw new SignalError(`signal ${o.id}: "data" is not valid JSON`);
      }
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new SignalError(`signal ${o.id}: "data" must be a JSON object`);
  return { id: o.id, type: o.type, data: data as Record<string, unknown> };
}

/** Channels every signal-taking connector reads (the runtime reads `kafka` and `file`; the connector `source`). */
export const SIGNAL_CHANNELS = ['source', 'kafka', 'file', 'jmx'] as const;

/**
 * Debezium's signal channel keys, the same for every connector that takes signals (a connector's spec includes
 * them). `source` is the connector's own signal table/collection; `kafka` and `file` are read by the runtime and
 * handed to the task as REST signals are.
 */
export const signalChannelKeys: ConfigSpec = [
  key(
    'signal.enabled.channels',
    'list',
    "Channels signals are read from: `source` (the signal table named by signal.data.collection, read from the log in order with the data), `kafka` (signal.kafka.topic, messages keyed by topic.prefix), `file` (signal.file, one JSON signal per line). The REST channel (`POST /connectors/{name}/signals`) is always on. Debezium's `jmx` is not built: named here it is logged and ignored.",
    {
      default: 'source',
      validate: (v, all) => {
        const list = (Array.isArray(v) ? v : []).map((c) => String(c).trim().toLowerCase());
        const bad = list.filter((c) => !(SIGNAL_CHANNELS as readonly string[]).includes(c));
        if (bad.length) return `unknown channel(s) ${bad.join(', ')}; known: ${SIGNAL_CHANNELS.join(', ')}`;
        const servers = all.get('signal.kafka.bootstrap.servers');
        if (list.includes('kafka') && (typeof servers !== 'string' || servers.trim() === ''))
          return 'the kafka channel needs signal.kafka.bootstrap.servers';
        return undefined;
      },
    },
  ),
  key(
    'signal.kafka.topic',
    'string',
    'The topic the `kafka` channel reads signals from; only messages whose key is this connector\'s topic.prefix are taken, the value being the signal\'s JSON ({"id", "type", "data"}). Default: <topic.prefix>-signal.',
    { default: null },
  ),
  key(
    'signal.kafka.bootstrap.servers',
    'string',
    'Brokers of the `kafka` channel (host:port, comma-separated). Java consumer settings go in signal.consumer.* (security.protocol, sasl.*, ssl.* as PEM, client.id, …).',
    { default: null },
  ),
  key(
    'signal.kafka.groupId',
    'string',
    "Consumer group of the `kafka` channel; it commits what it has read, so a restart reads on after it. Default: kafka-signal-<topic.prefix> (Debezium's default is kafka-signal; sluice's consumer joins a group, so connectors sharing a topic need groups of their own).",
    { default: null },
  ),
  key(
    'signal.file',
    'string',
    "The file the `file` channel reads: one JSON signal per line. Each poll reads the complete lines and removes them from the file (Debezium empties the file). Default: file-signals.txt (relative to the worker's working directory).",
    { default: 'file-signals.txt' },
  ),
  key('signal.poll.interval.ms', 'long', 'How often the `file` channel reads its file (ms).', {
    default: 5000,
    min: 10,
  }),
];
