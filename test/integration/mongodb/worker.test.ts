import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { startTcpProxy } from '../../harness/tcp-proxy.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';

/** What an operator sees through the REST API when the MongoDB source cannot work. */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB worker tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

interface Status {
  connector: { state: string };
  tasks: Array<{ id: number; state: string; trace?: string; retrying?: { error: string } }>;
}

let plain: MongoTestServer;
let dir: string;

describe.runIf(!missing)('MongoDB source in the worker: failures reach the task status', () => {
  beforeAll(async () => {
    // Without its oplog the wire server answers like a standalone mongod: no change streams.
    plain = await startMongo({ noOplog: true, forceWireServer: true });
    dir = await mkdtemp(join(tmpdir(), 'sluice-mongoworker-'));
  });
  afterAll(async () => {
    await plain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports a server without change streams as FAILED with the reason and the fix', async () => {
    // No credentials: mongo-java-server has no authentication (saslStart is an unknown command there).
    const url = plain.url;
    let w: WorkerProcess | undefined;
    try {
      w = await startWorker({
        dir,
        worker: { 'offset.storage.file.filename': join(dir, 'offsets.json') },
        connectors: [
          {
            name: 'nostream',
            config: {
              'connector.class': 'mongodb',
              'mongodb.connection.string': url,
              'topic.prefix': 'srv',
              'capture.scope': 'collection',
              'capture.target': 'a.b',
            },
          },
        ],
      });
      const status = await waitFor(
        async () => {
          const s = await w!.rest<Status>('/connectors/nostream/status');
          return s.body?.tasks?.[0]?.state === 'FAILED' ? s.body : undefined;
        },
        60_000,
        'task FAILED',
      );
      const trace = status.tasks[0].trace ?? '';
      expect(trace).toMatch(/replica set/);
      expect(trace).toMatch(/rs\.initiate/);
    } finally {
      if (w) await w.stop();
    }
  });

  it('starts a connector whose server cannot be reached yet: the task retries, its status names the host but not the password, and it connects once the server is there', async () => {
    // The connector reaches the server through a proxy that refuses every connection until restored.
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(plain.url).port) });
    proxy.cut();
    let w: WorkerProcess | undefined;
    try {
      w = await startWorker({
        dir: join(dir, 'unreachable'),
        worker: { 'offset.storage.file.filename': join(dir, 'offsets2.json') },
        connectors: [
          {
            name: 'later',
            config: {
              'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
              'mongodb.connection.string': `mongodb://cdc:s3cret-pw@127.0.0.1:${proxy.port}/`,
              'mongodb.server.selection.timeout.ms': '1000',
              'topic.prefix': 'srv',
            },
          },
        ],
      });
      const running = w;
      const retrying = await waitFor(
        async () => {
          const t = (await running.rest<Status>('/connectors/later/status')).body.tasks[0];
          return t?.retrying ? t : undefined;
        },
        60_000,
        'the task retrying',
      );
      expect(retrying.retrying?.error).toContain(`Cannot reach MongoDB at 127.0.0.1:${proxy.port}`);
      expect(JSON.stringify(retrying)).not.toContain('s3cret-pw');
      proxy.restore();
      // Reached: the task now fails for the server's own reason — mongo-java-server has no authentication, so the
      // credentials in the URI are refused (saslStart) — which is no longer retried.
      const failed = await waitFor(
        async () => {
          const t = (await running.rest<Status>('/connectors/later/status')).body.tasks[0];
          return t?.state === 'FAILED' ? t : undefined;
        },
        60_000,
        'the task to reach the server',
      );
      expect(failed.trace).toContain('saslStart');
      expect(failed.trace).not.toContain('s3cret-pw');
      expect(failed.retrying).toBeUndefined();
      expect(running.logs()).not.toContain('s3cret-pw');
    } finally {
      if (w) await w.stop();
      await proxy.close();
    }
  });
});
