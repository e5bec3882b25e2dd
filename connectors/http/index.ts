import { type Config, defineSinkConnector, lazySinkTask } from '../../runtime/api/index.js';
import { httpConfigSpec, requestHeaders } from './config.js';

/**
 * Sends change events to a web service: batches as a JSON array or NDJSON, POST or PUT, retried with backoff on
 * 5xx/429/network errors, one request in flight per topic-partition. See docs/http.md.
 */
export const httpSinkPlugin = defineSinkConnector({
  name: 'http-sink',
  className: 'io.sluice.connectors.http.HttpSink',
  aliases: ['HttpSink'],
  version: '1.0.0',
  doc: 'POSTs (or PUTs) batches of records to an HTTP endpoint.',
  configSpec: httpConfigSpec,
  async validate(config: Config) {
    try {
      requestHeaders(config);
      return [];
    } catch (err) {
      const message = (err as Error).message;
      return [{ key: message.startsWith('http.auth') ? 'http.auth.type' : 'http.headers', message }];
    }
  },
  async taskConfigs(_config: Config, maxTasks: number) {
    return Array.from({ length: Math.max(1, maxTasks) }, () => ({}));
  },
  createTask: () => lazySinkTask(async () => new (await import('./task.js')).HttpSinkTask()),
});
