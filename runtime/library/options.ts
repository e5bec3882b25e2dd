import type { Logger } from '../api/plugins.js';
import type { SourceConfigs, SourceKinds, TransformOptions } from './config-types.js';
import type { EventsByKind, Row } from './events.js';
import type { OffsetsOption } from './offsets.js';
import type { TransformFunction } from './transforms.js';

/** Every name capture() accepts as `connector`: short names (`postgres`), Debezium's and sluice's class names. */
export type SourceConnector = keyof SourceConfigs;

/** The event type of a connector, with `R` the row type of its tables. */
export type EventFor<C extends SourceConnector, R = Row> = EventsByKind<R>[SourceKinds[C]];

export interface CaptureOptions<C extends SourceConnector = SourceConnector> {
  /** the source connector: `postgres`, `mysql`, `mariadb`, `mongodb`, `FileStreamSource`, or a class name */
  readonly connector: C;
  /** the connector's config, Debezium's keys (`database.hostname`, `topic.prefix`, `table.include.list`…) */
  readonly config: SourceConfigs[C];
  /** the connector's name: its offsets are stored under it (default: `topic.prefix`, else the connector) */
  readonly name?: string;
  /** where offsets are kept (default: in memory, so every start is a first start) */
  readonly offsets?: OffsetsOption;
  /**
   * Single-message transforms, after those of `config.transforms`: Kafka's and Debezium's SMTs as
   * `{ type, ...keys }` (the keys a config would give as `transforms.<alias>.<key>`), or functions.
   */
  readonly transforms?: ReadonlyArray<TransformOptions | TransformFunction>;
  /**
   * Aborting it stops the capture after the batch in hand: the loop's body finishes (and may commit), and the
   * next iteration ends the loop. A consumer that does not come back within task.shutdown.graceful.timeout.ms
   * (5 s) is stopped anyway.
   */
  readonly signal?: AbortSignal;
  /**
   * Retry retriable failures (a lost connection, a database restarting) inside, with exponential backoff, as
   * a worker does (errors.retry.timeout, errors.retry.delay.max.ms). Default true; false: the first one is thrown.
   */
  readonly retry?: boolean;
  /** Deliver Date, Timestamp, MicroTimestamp, NanoTimestamp and ZonedTimestamp values as JS Dates (default false) */
  readonly dates?: boolean;
  /**
   * Set the V8 heap flags the CLI sets for itself when the capture starts (`--semi-space-growth-factor=8
   * --heap-growing-percent=100`, docs/library.md#back-pressure-and-memory): a fast capture's heap stays about twice
   * its live data instead of up to four times. They apply to the whole process; flags given on node's command line
   * and SLUICE_V8_FLAGS take precedence. Default true; false leaves V8's settings alone.
   */
  readonly v8Flags?: boolean;
  /** A pino-compatible logger; false for none. Default: JSON lines on stderr from level warn. */
  readonly logger?: Logger | false;
}
