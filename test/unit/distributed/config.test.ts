import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ConfigError } from '../../../runtime/api/index.js';
import { parseWorkerConfig, readWorkerFile } from '../../../runtime/config/worker.js';
import { checkDistributedConfig } from '../../../runtime/worker/distributed/worker.js';
import { repoRoot } from '../../harness/worker.js';

describe('distributed worker config', () => {
  it('names every missing key at once', () => {
    const worker = parseWorkerConfig({ 'bootstrap.servers': 'k:9092', 'offset.storage.topic': 'o' });
    let err: unknown;
    try {
      checkDistributedConfig(worker);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.key)).toEqual([
      'group.id',
      'config.storage.topic',
      'status.storage.topic',
    ]);
  });

  it("accepts examples/worker-distributed.json, with Connect's defaults for the group timing", () => {
    process.env.HOSTNAME ??= 'example-host';
    const worker = parseWorkerConfig(readWorkerFile(join(repoRoot, 'examples/worker-distributed.json')));
    expect(() => checkDistributedConfig(worker)).not.toThrow();
    expect(worker.config.int('session.timeout.ms')).toBe(10000);
    expect(worker.config.int('heartbeat.interval.ms')).toBe(3000);
    expect(worker.config.int('rebalance.timeout.ms')).toBe(60000);
    expect(worker.config.int('status.storage.partitions')).toBe(5);
  });
});
