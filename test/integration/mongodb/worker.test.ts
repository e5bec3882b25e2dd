import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MongoTestServer, mongoAvailable, startMongo } from '../../harness/mongo.js';
import { freePort } from '../../harness/ports.js';
import { startWorker, waitFor, type WorkerProcess } from '../../harness/worker.js';

/** What an operator sees through the REST API when the MongoDB source cannot work. */
const missing = mongoAvailable();
if (missing) {
  console.error(`MongoDB worker tests cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

interface Status {
  connector: { state: string };
  tasks: Array<{ id: number; state: string; trace?: string }>;
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

  it('refuses to start a connector whose server cannot be reached, naming the host but not the password', async () => {
    const port = await freePort();
    const w = await startWorker({
      dir: join(dir, 'unreachable'),
      worker: { 'offset.storage.file.filename': join(dir, 'offsets2.json') },
      waitReady: false,
      connectors: [
        {
          name: 'nowhere',
          config: {
            'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
            'mongodb.connection.string': `mongodb://cdc:s3cret-pw@127.0.0.1:${port}/`,
            'mongodb.server.selection.timeout.ms': '1000',
            'topic.prefix': 'srv',
          },
        },
      ],
    });
    const code = await Promise.race([w.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (code === 'timeout') await w.kill();
    expect(code).not.toBe('timeout');
    expect(code).not.toBe(0);
    expect(w.logs()).toContain(`Cannot reach MongoDB at 127.0.0.1:${port}`);
    expect(w.logs()).not.toContain('s3cret-pw');
  });
});
