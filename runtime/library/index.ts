/**
 * sluice as a library: `import { capture, createWorker } from 'sluice'` (docs/library.md).
 *
 * Importing this module starts nothing, opens no socket and loads no database driver: capture() connects on the
 * first iteration, createWorker() when called, and each loads only the driver its connector needs.
 */
export { ConfigError, ConnectError, type ConfigIssue, type ErrorContext, RetriableError } from '../api/errors.js';
export type { Logger } from '../api/plugins.js';
export { Decimal } from '../data/decimal.js';
export type { ChangeRecord, Json, SourceOffset, SourcePartition } from '../data/record.js';
export type { Schema } from '../data/schema.js';
export { capture } from './capture.js';
export type { BoolInput, ConfigInput, DoubleInput, IntInput, ListInput, LongInput } from './config-input.js';
export type * from './config-types.js';
export type * from './events.js';
export {
  FileOffsetStore,
  MemoryOffsetStore,
  type OffsetEntry,
  type OffsetStore,
  type OffsetsOption,
} from './offsets.js';
export type { CaptureOptions, EventFor, SourceConnector } from './options.js';
export type { ChangeStream } from './stream.js';
export type { TransformConfig, TransformFunction } from './transforms.js';
export { type ToJsonOptions, toJson } from './values.js';
export {
  type ConnectorDefinition,
  type ConnectorInfo,
  type ConnectorStatus,
  createWorker,
  type OffsetsBody,
  type RestartOptions,
  type TargetState,
  type Worker,
  type WorkerOptions,
  type WorkerSettings,
} from './worker.js';
