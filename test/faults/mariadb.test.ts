import { describe } from 'vitest';
import type mysql from 'mysql2/promise';
import type { CdcEvent, Change } from '../harness/cdc.js';
import { EventTail, fileSink } from '../harness/file-sink.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../harness/mariadb.js';
import { waitFor } from '../harness/worker.js';
import { retrying } from './kit.js';
import { defineFaultSuite, INITIAL_ROWS, TABLES } from './suite.js';

/** The MySQL source against MariaDB 10.11 under every fault of the suite (test/faults/suite.ts). */

const missing = mariaDbAvailable();
if (missing) {
  console.error(`MariaDB fault suite cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

type Event = CdcEvent<{ file: string; pos: number; row: number; gtid: string | null; snapshot: string }>;

/** The sequence number of a MariaDB GTID (`domain-server-seq`) in domain 0. */
function seqOf(gtids: unknown): number {
  const g = String(gtids ?? '')
    .split(',')
    .map((x) => x.trim().split('-'))
    .find((p) => p[0] === '0');
  return g ? Number(g[2]) : 0;
}

let db: MariaDb;
let writer: mysql.Connection | undefined;
let tail: EventTail<Event> | undefined;

const connectWriter = async () => {
  writer = await retrying(() => db.connect('fdb'), 120_000, 'the writer reconnecting');
  writer.on('error', () => undefined);
  return writer;
};

describe.runIf(!missing)('MariaDB source under faults (real worker process, MariaDB 10.11)', () => {
  defineFaultSuite<Event>({
    connector: 'fmaria',
    async setup() {
      db = await startMariaDb();
      await db.exec('CREATE DATABASE fdb');
      for (const t of TABLES) {
        await db.exec(`CREATE TABLE fdb.${t} (id INT PRIMARY KEY, v INT NOT NULL)`);
        await db.exec(`INSERT INTO fdb.${t} SELECT seq, 0 FROM fdb.seq_1_to_${INITIAL_ROWS}`);
      }
      await connectWriter();
      return { host: db.host, port: db.port };
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
        const [rows] = await c.query(`SELECT v FROM fdb.${first.table} WHERE id = ?`, [first.id]);
        const row = (rows as { v: number }[])[0];
        return first.op === 'd' ? row === undefined : row?.v === first.v;
      },
    }),
    connectors: (via, dir, out) => [
      {
        name: 'fmaria',
        config: {
          'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
          'database.hostname': via.host,
          'database.port': String(via.port),
          'database.user': db.user,
          'database.password': db.password,
          'database.server.id': '6201',
          'topic.prefix': 'srv',
          'table.include.list': 'fdb\\.f[abc]',
          // The server sends a heartbeat every second when idle: a silent connection is noticed in 3 s.
          'heartbeat.interval.ms': '1000',
          'connect.timeout.ms': '5000',
          'schema.history.internal.file.filename': `${dir}/fmaria-history.jsonl`,
        },
      },
      fileSink(
        'sink',
        out,
        TABLES.map((t) => `srv.fdb.${t}`),
      ),
    ],
    events(out) {
      tail ??= new EventTail<Event>(out);
      return tail.read();
    },
    async rows(table) {
      const c = await db.connect();
      try {
        const [rows] = await c.query(`SELECT id, v FROM fdb.${table}`);
        return rows as { id: number; v: number }[];
      } finally {
        await c.end();
      }
    },
    stopServer: () => db.stopServer(),
    startServer: () => db.startServer(),
    async killReplication() {
      const id = await waitFor(
        async () => {
          const rows = (await db.exec(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
          )) as { ID: number }[];
          return rows[0]?.ID;
        },
        30_000,
        'the binlog dump thread',
      );
      await db.exec(`KILL ${Number(id)}`);
    },
    detectsStall: true,
    /**
     * After the committed offset: a later transaction than the offset's (GTID sequence), or within the offset's
     * own transaction at or after its rows event (`event`, counted by distinct positions) and row.
     */
    after(e, offset, all) {
      const seq = seqOf(e.source.gtid);
      const done = seqOf(offset.gtids);
      if (seq !== done + 1) return seq > done;
      const positions = [...new Set(all.filter((x) => x.source.gtid === e.source.gtid).map((x) => x.source.pos))];
      positions.sort((a, b) => a - b);
      const event = positions.indexOf(e.source.pos);
      const committedEvent = Number(offset.event ?? 0);
      return event > committedEvent || (event === committedEvent && e.source.row >= Number(offset.row ?? 0));
    },
    replay: { snapshotAt: (e) => `${e.source.file}:${e.source.pos}` },
    async teardown() {
      await writer?.end().catch(() => undefined);
      await db?.stop();
    },
  });
});
