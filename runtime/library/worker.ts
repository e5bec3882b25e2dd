import type { Logger } from '../api/plugins.js';
import type { TargetState } from '../tasks/state.js';
import type { ConnectorInfo, ConnectorStatus, OffsetsBody, RestartOptions } from '../worker/herder.js';
import type { ConfigInput } from './config-input.js';
import type { WorkerConfig as WorkerSettings } from './config-types.js';
import type { OffsetsOption } from './offsets.js';

export type { ConnectorInfo, ConnectorStatus, OffsetsBody, RestartOptions, TargetState, WorkerSettings };

/** A connector as a connector file holds it: its name and its config (Debezium's and Connect's keys). */
export interface ConnectorDefinition {
  readonly name: string;
  readonly config: Readonly<Record<string, ConfigInput>>;
}

export interface WorkerOptions {
  /** connectors to run, as `sluice standalone worker.json connector.json…` runs its files */
  readonly connectors?: readonly ConnectorDefinition[];
  /** where source offsets are kept, instead of the worker's `offset.storage.*` settings */
  readonly offsets?: OffsetsOption;
  /** A pino-compatible logger; false for none. Default: pino on stderr with the worker's log.level and log.format. */
  readonly logger?: Logger | false;
}

/**
 * A standalone worker running in this process: the same herder, connectors, transforms, converters, sinks and
 * (with `listeners`) REST API as `sluice standalone`. Its methods are those of the REST API.
 */
export interface Worker {
  /** the REST API's base URL (`http://127.0.0.1:8083`), when `listeners` is set */
  readonly url: string | undefined;
  connectors(): string[];
  status(name: string): ConnectorStatus;
  info(name: string): ConnectorInfo;
  createConnector(
    name: string,
    config: Readonly<Record<string, ConfigInput>>,
    initialState?: TargetState,
  ): Promise<ConnectorInfo>;
  /** create or replace (REST's PUT /connectors/{name}/config) */
  putConnectorConfig(
    name: string,
    config: Readonly<Record<string, ConfigInput>>,
  ): Promise<{ created: boolean; info: ConnectorInfo }>;
  deleteConnector(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** stops the connector's tasks and keeps its config (REST's PUT …/stop) */
  stopConnector(name: string): Promise<void>;
  restart(name: string, options?: RestartOptions): Promise<ConnectorStatus>;
  restartTask(name: string, task: number): Promise<void>;
  offsets(name: string): Promise<OffsetsBody>;
  /** only while the connector is STOPPED, as REST */
  alterOffsets(name: string, body: OffsetsBody): Promise<void>;
  resetOffsets(name: string): Promise<void>;
  /** the worker's Prometheus metrics, in the text format /metrics serves */
  metrics(): Promise<string>;
  /** graceful: sources stop and commit, sinks flush, REST closes */
  stop(): Promise<void>;
}

/**
 * Starts a standalone worker in this process (the CLI's own, not a second implementation). Every problem of the
 * settings and of every connector is reported at once, in one ConfigError, before anything starts. Unlike the CLI,
 * it opens no port unless `listeners` is set.
 */
export async function createWorker(settings: WorkerSettings = {}, options: WorkerOptions = {}): Promise<Worker> {
  return (await import('./worker-run.js')).runWorker(settings, options);
}
