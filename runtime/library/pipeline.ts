import { ConfigError, ConnectError } from '../api/errors.js';
import type { SourceConnectorPlugin } from '../api/plugins.js';
import { connectorNameProblem, specFor, validateForWorker } from '../config/connector.js';
import { parseConfig } from '../config/parse.js';
import { resolveOrThrow, workerProviders } from '../config/providers/index.js';
import { parseWorkerConfig } from '../config/worker.js';
import { JsonConverter } from '../converters/json.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { errorPolicy } from '../tasks/error-policy.js';
import { SourceTaskRunner } from '../tasks/source-runner.js';
import { buildChain } from '../transforms/chain.js';
import type { Transport } from '../transport/transport.js';
import { applyMemoryFlags } from '../v8-flags.js';
import { builtinRegistry } from '../worker/plugins.js';
import { toRawConfig } from './config-input.js';
import { loggerFor } from './logger.js';
import { offsetStoreFor } from './offsets.js';
import type { CaptureOptions } from './options.js';
import type { Pipeline, PipelineSink } from './stream.js';
import { transformKeys } from './transforms.js';

/**
 * The transport of a capture: hands each batch to the stream, which acknowledges it when the consumer commits it
 * (or a later batch). There is nothing downstream to flush: acknowledgements come only from commit().
 */
function streamTransport(sink: PipelineSink): Transport {
  const none = () => Promise.reject(new ConnectError('capture() runs no sink connectors'));
  return {
    kind: 'direct',
    start: async () => {},
    send: (batch, done) => sink.deliver(batch.records, done),
    flush: async () => {},
    addSink: none,
    removeSink: none,
    stop: async () => {},
  };
}

/**
 * Starts a capture: the connector config checked as the CLI checks it (every problem at once, in one ConfigError),
 * the connector's tasks split as a worker splits them, and each task run by the worker's own SourceTaskRunner —
 * polling, transforms, bounded queue, acknowledged-prefix offset commits, SourceTask.commit() after them.
 */
export async function startPipeline(options: CaptureOptions, sink: PipelineSink): Promise<Pipeline> {
  // From JavaScript anything can arrive: the options' own shape first, each problem naming its option.
  const given = options.config as unknown;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ConfigError([{ key: 'config', message: "must be an object of the connector's keys" }]);
  }
  const connectorName: unknown = options.connector;
  if (typeof connectorName !== 'string' || connectorName === '') {
    throw new ConfigError([{ key: 'connector', message: 'must name a source connector, e.g. postgres' }]);
  }
  // Before the first record makes the heap grow (v8-flags.ts): the CLI's GC settings, unless the application keeps
  // its own.
  if (options.v8Flags !== false) applyMemoryFlags();
  const registry = builtinRegistry();
  const config = toRawConfig(given as Readonly<Record<string, unknown>>);
  const extra = transformKeys(config.transforms, options.transforms ?? []);
  registry.register(...extra.plugins);
  const name = options.name ?? config['topic.prefix'] ?? options.connector;
  const nameProblem = connectorNameProblem(String(name));
  if (nameProblem) throw new ConfigError([{ key: 'name', message: nameProblem }]);
  const raw: Record<string, string> = {
    ...config,
    ...extra.raw,
    name,
    'connector.class': options.connector,
  };
  // A worker without REST, Kafka or stores of its own: its defaults (timeouts, converters) are the CLI's.
  const worker = parseWorkerConfig({ listeners: '' }).config;
  const v = await validateForWorker(registry, worker, raw);
  if (v.issues.length || !v.result) throw new ConfigError(v.issues);
  const { plugin: found, config: parsed, resolved } = v.result;
  if (found.type !== 'source') {
    throw new ConfigError([
      { key: 'connector.class', message: `${found.className} is a sink connector; capture() runs source connectors` },
    ]);
  }
  const plugin: SourceConnectorPlugin = found;
  const log = loggerFor(options.logger, 'warn').child({ connector: name });

  const taskConfigs = (await plugin.taskConfigs(parsed, parsed.int('tasks.max'))).slice(0, parsed.int('tasks.max'));
  const { steps } = buildChain(registry, resolved.values);
  const errors = errorPolicy(parsed);
  // retry: false — a policy whose time is up before the first backoff (300 ms), so the first failure is thrown.
  const policy = options.retry === false ? { ...errors, retry: { timeoutMs: 1, maxDelayMs: 1 } } : errors;
  const offsets = offsetStoreFor(options.offsets);
  await offsets.start();
  const metrics = new WorkerMetrics();
  const transport = streamTransport(sink);
  // The runner hands converters to its transport; this one never serializes.
  const json = new JsonConverter();
  const interval = parsed.get('offset.flush.interval.ms') ?? worker.get('offset.flush.interval.ms');
  const runners = taskConfigs.map((taskRaw, taskId) => {
    const taskConfig = parseConfig(
      specFor(plugin),
      { ...resolved.values, ...resolveOrThrow(workerProviders(worker), taskRaw).values },
      { secretKeys: resolved.secretKeys },
    ).config;
    return new SourceTaskRunner({
      connector: name,
      taskId,
      plugin,
      taskConfig,
      connectorConfig: parsed,
      errors: policy,
      steps,
      converters: { key: json, value: json, header: json },
      transport,
      offsets,
      log: log.child({ task: taskId }),
      metrics,
      flushIntervalMs: Number(interval),
      // Nothing downstream to wait for: a stop does not wait for acknowledgements only the consumer can give.
      flushTimeoutMs: 0,
      onState: (state, _trace, error) => {
        if (state === 'FAILED')
          sink.fail(error ?? new ConnectError('source task failed', { context: { task: taskId } }));
      },
    });
  });
  for (const r of runners) r.start();
  const gracefulMs = worker.int('task.shutdown.graceful.timeout.ms');
  return {
    log,
    gracefulMs,
    async commit() {
      await Promise.all(runners.map((r) => r.commitAcknowledged()));
    },
    async stop() {
      await Promise.all(runners.map((r) => r.stop(gracefulMs)));
      await offsets.stop();
    },
  };
}
