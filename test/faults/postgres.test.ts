import type pg from 'pg';
import { describe } from 'vitest';
import type { CdcEvent, Change } from '../harness/cdc.js';
import { EventTail, fileSink } from '../harness/file-sink.js';
import { type PostgresServer, startPostgres } from '../harness/postgres.js';
import { waitFor } from '../harness/worker.js';
import { retrying } from './kit.js';
import { defineFaultSuite, INITIAL_ROWS, TABLES } from './suite.js';

/** The PostgreSQL source (pgoutput) under every fault of the suite (test/faults/suite.ts). */

type Event = CdcEvent<{ lsn: number | null; snapshot: string }>;

let pgs: PostgresServer;
let writer: pg.Client | undefined;
let tail: EventTail<Event> | undefined;

const connectWriter = async () => {
  const c = await retrying(() => pgs.client(), 120_000, 'the writer reconnecting');
  // An idle client whose server goes away emits 'error'; the next query then fails and is settled.
  c.on('error', () => undefined);
  writer = c;
  return c;
};

describe('PostgreSQL source under faults (real worker process, PostgreSQL 17)', () => {
  defineFaultSuite<Event>({
    connector: 'fpg',
    async setup() {
      pgs = await startPostgres();
      for (const t of TABLES) {
        await pgs.sql(
          `CREATE TABLE ${t} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${t} SELECT g, 0 FROM generate_series(1, ${INITIAL_ROWS}) g`,
        );
      }
      await connectWriter();
      return { host: pgs.host, port: pgs.port };
    },
    load: () => ({
      exec: async (sql) => {
        if (!writer) throw new Error('not connected');
        return writer.query(sql);
      },
      // A lost connection leaves the transaction's fate unknown: look at its first change's row.
      settle: async (ops: readonly Change[]) => {
        await writer?.end().catch(() => undefined);
        writer = undefined;
        const c = await connectWriter();
        const first = ops[0];
        const rows = (await c.query(`SELECT v FROM ${first.table} WHERE id = $1`, [first.id])).rows as { v: number }[];
        return first.op === 'd' ? rows.length === 0 : rows[0]?.v === first.v;
      },
    }),
    connectors: (via, _dir, out) => [
      {
        name: 'fpg',
        config: {
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          ...pgs.connectorConfig(),
          'database.hostname': via.host,
          'database.port': String(via.port),
          'topic.prefix': 'srv',
          'slot.name': 'fpg_slot',
          'publication.name': 'fpg_pub',
          'table.include.list': 'public\\.f[abc]',
        },
      },
      fileSink(
        'sink',
        out,
        TABLES.map((t) => `srv.public.${t}`),
      ),
    ],
    events(out) {
      tail ??= new EventTail<Event>(out);
      return tail.read();
    },
    rows: (table) => pgs.sql<{ id: number; v: number }>(`SELECT id, v FROM ${table}`),
    stopServer: () => pgs.stopServer(),
    startServer: () => pgs.startServer(),
    async killReplication() {
      await waitFor(
        async () =>
          (
            await pgs.sql(
              "SELECT pg_terminate_backend(active_pid) AS done FROM pg_replication_slots WHERE slot_name = 'fpg_slot' AND active",
            )
          )[0]?.done === true,
        30_000,
        'the walsender to terminate',
      );
    },
    detectsStall: false,
    /** After the committed offset: a later change's LSN (each change of the writer has its own). */
    after: (e, offset) => (e.source.lsn ?? 0) > Number(offset.lsn),
    async teardown() {
      await writer?.end().catch(() => undefined);
      await pgs?.stop();
    },
  });
});
