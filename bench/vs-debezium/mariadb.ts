import { join } from 'node:path';
import type { MariaDb } from '../../test/harness/mariadb.js';
import { debeziumToFile, type FileRunSettings, sluiceToFile } from './contenders.js';
import type { Contender } from './measure.js';

/**
 * The MariaDB workload: the PostgreSQL one in MariaDB's types. The snapshot reads `bench.snap`; the drain's
 * changes (half inserts, half updates, 100 rows a transaction) go to `bench.orders`, which is empty while the
 * snapshots run. Both tables are captured in both phases: a drain run resumes from the offsets and schema history
 * its snapshot run of the same number left (the binlog position after the snapshots, before the backlog), which is
 * how a MySQL/MariaDB connector meets a backlog.
 */
const TABLE = `CREATE TABLE bench.%s (
  id BIGINT PRIMARY KEY, customer_id INT, status VARCHAR(16), amount DECIMAL(12,2), payload JSON,
  created_at TIMESTAMP(6) NULL, updated_at TIMESTAMP(6) NULL)`;

const ROW = (id: string, seq: string) =>
  `${id}, ${seq} % 10000, 'created', (${seq} % 100000) / 100,
   JSON_OBJECT('sku', CONCAT('SKU-', ${seq}), 'qty', ${seq} % 7, 'note', REPEAT('n', 60), 'tags', JSON_ARRAY('a', 'b')),
   NOW(6), NOW(6)`;

export async function createTables(db: MariaDb, snapshotRows: number): Promise<void> {
  await db.exec('CREATE DATABASE bench');
  await db.exec(TABLE.replace('%s', 'snap'));
  await db.exec(TABLE.replace('%s', 'orders'));
  for (let from = 1; from <= snapshotRows; from += 10_000) {
    const to = Math.min(snapshotRows, from + 9_999);
    await db.exec(`INSERT INTO bench.snap SELECT ${ROW('seq', 'seq')} FROM bench.seq_${from}_to_${to}`);
  }
  await db.exec('ANALYZE TABLE bench.snap');
}

/** Average bytes of a stored row (InnoDB's data length over its rows). */
export async function mariaRowBytes(db: MariaDb): Promise<number> {
  const conn = await db.connect();
  try {
    const [rows] = await conn.query(
      "SELECT AVG_ROW_LENGTH AS b FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bench' AND TABLE_NAME = 'snap'",
    );
    return Number((rows as Array<{ b: number }>)[0].b);
  } finally {
    await conn.end();
  }
}

/** `changes` changes to bench.orders, committed server-side 100 rows a transaction. */
export async function loadBacklog(db: MariaDb, changes: number): Promise<void> {
  await db.exec(`CREATE PROCEDURE bench.load_backlog(n INT)
    BEGIN
      DECLARE i INT DEFAULT 0;
      WHILE i < n DIV 200 DO
        START TRANSACTION;
        INSERT INTO bench.orders SELECT ${ROW('i * 100 + seq', 'i * 100 + seq')} FROM bench.seq_1_to_100;
        COMMIT;
        START TRANSACTION;
        UPDATE bench.orders SET status = 'paid', amount = amount + 1, updated_at = NOW(6)
          WHERE id > i * 100 AND id <= i * 100 + 100;
        COMMIT;
        SET i = i + 1;
      END WHILE;
    END`);
  await db.exec(`CALL bench.load_backlog(${changes})`);
}

function common(db: MariaDb, serverId: number): Record<string, string> {
  return {
    'database.hostname': db.host,
    'database.port': String(db.port),
    'database.user': db.user,
    'database.password': db.password,
    'database.server.id': String(serverId),
    'topic.prefix': 'bench',
    'database.include.list': 'bench',
    'table.include.list': 'bench\\.snap,bench\\.orders',
    // Only the table events count: no schema-change records on either side.
    'include.schema.changes': 'false',
    'snapshot.mode': 'initial',
  };
}

/**
 * Contenders for one phase of one converter setting. `state` keeps each run's offsets and schema history for the
 * drain, which resumes from them. Server ids differ per run: two replicas with one id would kick each other off.
 */
export function mariaContenders(
  db: MariaDb,
  s: FileRunSettings,
  phase: 'snapshot' | 'drain',
  profileDir?: string,
): { sluice: Contender; debezium: Contender; profiled: Contender } {
  const tag = s.schemas ? 's' : 'p';
  const state = (side: string, run: number) => join(s.dir, `state-${tag}-${side}-${run}`);
  const serverId = (side: number, run: number) => 5000 + (s.schemas ? 0 : 500) + side * 100 + run;
  return {
    sluice: sluiceToFile(
      s,
      { phase: `${phase}-${tag}`, state },
      (run, st) => ({
        'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
        ...common(db, serverId(1, run)),
        'schema.history.internal.file.filename': join(st, 'history.jsonl'),
      }),
      'bench.bench.snap,bench.bench.orders',
    ),
    debezium: debeziumToFile(s, { phase: `${phase}-${tag}`, state }, 'mariadb', (run) => ({
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      ...common(db, serverId(2, run)),
    })),
    profiled: sluiceToFile(
      s,
      { phase: `${phase}-${tag}-profiled`, state: (_side, run) => state('profiled', run) },
      (run, st) => ({
        'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
        ...common(db, serverId(3, run)),
        'schema.history.internal.file.filename': join(st, 'history.jsonl'),
      }),
      'bench.bench.snap,bench.bench.orders',
      profileDir,
    ),
  };
}
