import {
  type ChangeRecord,
  type Config,
  ConnectError,
  type ConnectorPlugin,
  defineSinkConnector,
  defineSourceConnector,
  key,
  RetriableError,
  Schemas,
  type SinkTask,
  type SourceTask,
  type SourceTaskContext,
} from '../../../runtime/api/index.js';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';
import { WorkerMetrics } from '../../../runtime/metrics/metrics.js';
import { MemoryOffsetStore } from '../../../runtime/offsets/memory-store.js';
import { DirectTransport } from '../../../runtime/transport/direct.js';
import { MemoryConfigStore } from '../../../runtime/worker/config-store.js';
import { Herder } from '../../../runtime/worker/herder.js';
import { createLogger } from '../../../runtime/worker/logging.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';

/**
 * Plugins for runtime tests: a counting source and sinks that misbehave on purpose. They exercise the real
 * runtime (runners, transport, offsets); nothing here stands in for a database or a broker.
 */

/** What each test sink received, by connector name. */
export const received = new Map<string, ChangeRecord[]>();

const VALUE = Schemas.int64();
const KEY = Schemas.int32();

class CounterSource implements SourceTask {
  private next = 0;
  private total = 0;
  private topic = '';
  private padding = '';
  private ctx!: SourceTaskContext;

  async start(config: Config, ctx: SourceTaskContext): Promise<void> {
    this.ctx = ctx;
    this.total = config.int('count');
    this.topic = config.string('topic');
    this.padding = 'p'.repeat(config.int('value.bytes'));
    const off = await ctx.offsets.offset({ source: 'counter' });
    this.next = typeof off?.n === 'number' ? off.n + 1 : 0;
  }

  async poll(): Promise<ChangeRecord[] | null> {
    if (this.next >= this.total) {
      await new Promise((r) => setTimeout(r, 50));
      return null;
    }
    const out: ChangeRecord[] = [];
    for (let i = 0; i < 500 && this.next < this.total; i++, this.next++) {
      out.push({
        topic: this.topic,
        keySchema: KEY,
        key: this.next % 10,
        valueSchema: this.padding ? Schemas.string() : VALUE,
        value: this.padding ? `${this.next}:${this.padding}` : this.next,
        headers: [],
        sourcePartition: { source: 'counter' },
        sourceOffset: { n: this.next },
      });
    }
    void this.ctx;
    return out;
  }

  async stop(): Promise<void> {}
}

export const counterSource = defineSourceConnector({
  name: 'test-counter',
  className: 'test.CounterSource',
  version: '0',
  configSpec: [
    key('count', 'int', 'records to emit'),
    key('topic', 'string', 'topic'),
    key('value.bytes', 'int', 'pad values to this size (string values)', { default: 0 }),
  ],
  taskConfigs: async () => [{}],
  createTask: () => new CounterSource(),
});

class CollectingSink implements SinkTask {
  protected name = '';
  protected failuresLeft = 0;
  protected mode = '';
  protected delayMs = 0;
  private pending: ChangeRecord[] = [];

  async start(config: Config, ctx: { connector: string }): Promise<void> {
    this.name = ctx.connector;
    this.failuresLeft = config.int('failures');
    this.mode = config.string('mode');
    this.delayMs = config.int('delay.ms');
    if (!received.has(this.name)) received.set(this.name, []);
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    if (this.mode === 'broken') throw new ConnectError('the sink cannot write (test)');
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new RetriableError('temporarily unavailable (test)');
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.pending.push(...records);
  }

  async flush(): Promise<void> {
    received.get(this.name)!.push(...this.pending);
    this.pending = [];
  }

  async stop(): Promise<void> {}
}

export const testSink = defineSinkConnector({
  name: 'test-sink',
  className: 'test.Sink',
  version: '0',
  configSpec: [
    key('failures', 'int', 'throw a retriable error on this many puts first', { default: 0 }),
    key('mode', 'string', 'ok or broken', { default: 'ok', validValues: ['ok', 'broken'] }),
    key('delay.ms', 'int', 'wait this long in every put', { default: 0 }),
  ],
  taskConfigs: async () => [{}],
  createTask: () => new CollectingSink(),
});

/** An in-process worker with memory stores and the direct transport, plus the test plugins. */
export async function inProcessWorker(
  worker: Record<string, string> = {},
  transport: (log: ReturnType<typeof createLogger>) => DirectTransport = (log) => new DirectTransport(log),
  plugins: ConnectorPlugin[] = [],
  metrics = new WorkerMetrics({ processMetrics: false }),
): Promise<Herder> {
  const registry = builtinRegistry().register(counterSource, testSink, ...plugins);
  const parsed = parseWorkerConfig({ 'offset.flush.interval.ms': '100', listeners: '', ...worker });
  const log = createLogger('error', 'json');
  const herder = new Herder({
    workerId: 'test:0',
    worker: parsed.config,
    registry,
    offsets: new MemoryOffsetStore(),
    configs: new MemoryConfigStore(),
    transport: transport(log),
    log,
    metrics,
  });
  await herder.start();
  return herder;
}
