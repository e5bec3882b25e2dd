import { type Config, type ConfigIssue, defineSourceConnector, lazySourceTask } from '../../runtime/api/index.js';
import { crossCheck, mongoConfigSpec, readConfig } from './config.js';
import { operatorOffsets } from './oplog.js';
import { classifyMongoError, hostsOf } from './errors.js';
import { CONNECTOR_VERSION } from './event-mapper.js';

/**
 * MongoDB source: snapshot, then change streams, in Debezium's MongoDB event shape. Registered under Debezium's
 * class name so existing connector configs work unchanged.
 */
export const mongoSourceConnector = defineSourceConnector({
  name: 'mongodb',
  className: 'io.sluice.connectors.mongodb.MongoDbSource',
  aliases: ['io.debezium.connector.mongodb.MongoDbConnector', 'MongoDbConnector'],
  version: CONNECTOR_VERSION,
  configSpec: mongoConfigSpec,
  doc: 'Captures MongoDB changes through change streams, after an optional snapshot (Debezium-compatible events).',

  async validate(config: Config): Promise<ConfigIssue[]> {
    const issues = crossCheck(config);
    if (issues.length) return issues;
    const uri = config.string('mongodb.connection.string');
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(uri, {
      serverSelectionTimeoutMS: Math.min(config.int('mongodb.server.selection.timeout.ms'), 10_000),
    });
    try {
      await client.connect();
      await client.db('admin').command({ isMaster: 1 });
    } catch (err) {
      // A server that cannot be reached now is not a configuration problem: the task retries until it can (as the
      // PostgreSQL and MySQL sources do). Otherwise a worker started while MongoDB is down — its connector files
      // are validated at start — would exit instead of waiting for it. Refusals (authentication, a bad URI) stay.
      const e = classifyMongoError(err, {}, hostsOf(uri));
      if (!e.retriable) issues.push({ key: 'mongodb.connection.string', message: e.message });
    } finally {
      await client.close().catch(() => undefined);
    }
    return issues;
  },

  // One ordered change stream per deployment: a second task would only duplicate it.
  // Its config is the connector's (the runtime overlays it): nothing copied, no resolved secret in task configs.
  async taskConfigs(): Promise<Record<string, string>[]> {
    return [{}];
  },

  // An operator's start point: a cluster time or a resume token, checked for form here and against the oplog
  // (older than its oldest entry, or later than the cluster's time) when the server answers.
  async alterOffsets(config, offsets) {
    const cfg = readConfig(config);
    const checked = operatorOffsets(offsets, cfg.topicPrefix);
    await (await import('./oplog-check.js')).checkOffsetsOnServer(cfg, checked);
    return checked;
  },

  // The driver loads with the first task, not with the worker.
  createTask: () => lazySourceTask(async () => new (await import('./task.js')).MongoSourceTask()),
});
