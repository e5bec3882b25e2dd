import { type ConfigSpec, key } from '../api/index.js';

/** Keys every connector accepts, as Kafka Connect's ConnectorConfig. */
export const connectorCommonSpec: ConfigSpec = [
  key('name', 'string', 'Globally unique name to use for this connector.', { importance: 'HIGH', group: 'Common' }),
  key(
    'connector.class',
    'string',
    'Name or alias of the connector class, e.g. `postgres` or `io.debezium.connector.postgresql.PostgresConnector`.',
    { importance: 'HIGH', group: 'Common' },
  ),
  key('tasks.max', 'int', 'Maximum number of tasks to use for this connector.', {
    default: 1,
    min: 1,
    importance: 'HIGH',
    group: 'Common',
  }),
  key('key.converter', 'class', "Converter for record keys; the worker's when unset.", {
    default: null,
    importance: 'LOW',
    group: 'Common',
  }),
  key('value.converter', 'class', "Converter for record values; the worker's when unset.", {
    default: null,
    importance: 'LOW',
    group: 'Common',
  }),
  key('header.converter', 'class', "Converter for headers; the worker's when unset.", {
    default: null,
    importance: 'LOW',
    group: 'Common',
  }),
  key('transforms', 'list', 'Aliases of the transformations to apply, in order.', {
    default: [],
    importance: 'LOW',
    group: 'Transforms',
  }),
  key('predicates', 'list', 'Aliases of the predicates used by transformations.', {
    default: [],
    importance: 'LOW',
    group: 'Predicates',
  }),
  key(
    'errors.retry.timeout',
    'long',
    'How long (ms) a failed operation is retried; 0 retries retriable task errors without limit and fails converter/transform errors at once; -1 retries without limit.',
    { default: 0, min: -1, importance: 'MEDIUM', group: 'Error Handling' },
  ),
  key('errors.retry.delay.max.ms', 'long', 'Upper bound (ms) of the wait between retries.', {
    default: 60000,
    min: 1,
    importance: 'MEDIUM',
    group: 'Error Handling',
  }),
  key(
    'errors.tolerance',
    'string',
    'none: a record that fails conversion or transformation fails the task; all: it is skipped (and sent to the dead letter queue when one is set).',
    { default: 'none', validValues: ['none', 'all'], importance: 'MEDIUM', group: 'Error Handling' },
  ),
  key('errors.log.enable', 'boolean', 'Log each tolerated error.', {
    default: false,
    importance: 'MEDIUM',
    group: 'Error Handling',
  }),
  key(
    'errors.log.include.messages',
    'boolean',
    'Include the record (topic, partition, offset; never values) in the log of tolerated errors.',
    { default: false, importance: 'MEDIUM', group: 'Error Handling' },
  ),
];

/** Source connectors: Debezium's queue knobs, enforced by the runtime for every source. */
export const sourceCommonSpec: ConfigSpec = [
  key('max.batch.size', 'int', 'Maximum number of records in one batch from the source.', {
    default: 2048,
    min: 1,
    importance: 'MEDIUM',
    group: 'Queue',
  }),
  key(
    'max.queue.size',
    'int',
    'Maximum number of records a source holds: queued in the connector, or sent and not yet acknowledged by a transport that keeps them until then (Kafka); the source waits beyond it. Records the direct transport has handed to its sinks do not count.',
    { default: 8192, min: 1, importance: 'MEDIUM', group: 'Queue' },
  ),
  key(
    'max.queue.size.in.bytes',
    'long',
    'Maximum estimated bytes of records sent and not yet acknowledged by a transport that keeps them until then (Kafka); 0 = no byte limit.',
    { default: 0, min: 0, importance: 'MEDIUM', group: 'Queue' },
  ),
  key('poll.interval.ms', 'long', 'How long a source waits for new data before it polls again.', {
    default: 500,
    min: 1,
    importance: 'LOW',
    group: 'Queue',
  }),
  key(
    'log.retention.warn.bytes',
    'long',
    'Warn (log line, and the gauge sluice_source_log_retention_exceeded = 1) when the database keeps more than this many bytes of its log for this connector (PostgreSQL: WAL the slot retains; MySQL/MariaDB: binlog after the committed position). 0 turns the warning off.',
    { default: 1073741824, min: 0, importance: 'LOW', group: 'Queue' },
  ),
  key('offset.flush.interval.ms', 'long', "Overrides the worker's offset commit interval for this connector.", {
    default: null,
    min: 1,
    importance: 'LOW',
    group: 'Queue',
  }),
];

/** Sink connectors: what they consume. */
export const sinkCommonSpec: ConfigSpec = [
  key('topics', 'list', 'Topics to consume; one of topics and topics.regex.', {
    default: [],
    importance: 'HIGH',
    group: 'Common',
  }),
  key('topics.regex', 'string', 'Regular expression of topics to consume; one of topics and topics.regex.', {
    default: null,
    importance: 'HIGH',
    group: 'Common',
    validate: (v) => {
      try {
        new RegExp(String(v));
        return undefined;
      } catch (e) {
        return `Invalid regular expression: ${(e as Error).message}`;
      }
    },
  }),
  key(
    'errors.deadletterqueue.topic.name',
    'string',
    'Topic for records that fail conversion, transformation or the sink (errors.tolerance=all).',
    { default: '', importance: 'MEDIUM', group: 'Error Handling' },
  ),
  key('errors.deadletterqueue.topic.replication.factor', 'int', 'Replication factor of the dead letter queue topic.', {
    default: 3,
    importance: 'LOW',
    group: 'Error Handling',
  }),
  key(
    'errors.deadletterqueue.context.headers.enable',
    'boolean',
    'Add headers describing the error to dead-lettered records.',
    { default: false, importance: 'LOW', group: 'Error Handling' },
  ),
];

/** Prefixes whose keys are free-form (a transform's or a client's own settings). */
export const openConnectorPrefixes = [
  'transforms.',
  'predicates.',
  'key.converter.',
  'value.converter.',
  'header.converter.',
  'producer.override.',
  'consumer.override.',
  'admin.override.',
  'topic.creation.',
  'config.action.',
  // the kafka signal channel's Java consumer settings (runtime/tasks/signal-channels.ts)
  'signal.consumer.',
];
