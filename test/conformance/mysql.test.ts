import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mariadbSourcePlugin } from '../../connectors/mysql/index.js';
import { debeziumAvailable } from '../harness/debezium.js';
import { type MariaDb, mariaDbAvailable, startMariaDb } from '../harness/mariadb.js';
import { type CapturedRecord, jsonText, opOf, payloadOf } from './framework/compare.js';
import { type ConformanceResult, runConformance } from './framework/run.js';
import { caseTables, type Variant } from './framework/suite.js';
import { formatVerdict, passed } from './framework/verdict.js';
import {
  BLOCKING_DB,
  BLOCKING_ROWS,
  BLOCKING_SIGNAL,
  DB,
  DB2,
  FAIL_DBS,
  INCR_DB,
  INCR_SIGNAL,
  INCREMENTAL_ROWS,
  mysqlCases,
  SECOND_SERVER_DBS,
  sentinels,
} from './mysql/corpus.js';
import { mysqlSuite } from './mysql/suite.js';

const missing = mariaDbAvailable() ?? debeziumAvailable('mariadb');
if (missing) {
  console.error(`MySQL conformance suite cannot run: ${missing}`);
  if (process.env.CI) throw new Error(missing);
}

/** Paths never compared: positions, timestamps and the connector's naming (the issue's rule). */
const IGNORE = [
  'value.payload.ts_ms',
  'value.payload.ts_us',
  'value.payload.ts_ns',
  'value.payload.source.ts_ms',
  'value.payload.source.ts_us',
  'value.payload.source.ts_ns',
  'value.payload.source.version',
  'value.payload.source.name',
  'value.payload.source.connector',
  'value.payload.source.file',
  'value.payload.source.pos',
  'value.payload.source.row',
  'value.payload.source.gtid',
  'value.payload.source.thread',
  'value.payload.source.server_id',
  'value.payload.source.sequence',
];

/** `db.table` → case */
const tableCase = new Map<string, string>();
for (const c of mysqlCases) for (const t of caseTables(c)) tableCase.set(`${c.database ?? DB}.${t}`, c.name);
for (const d of [...Object.values(FAIL_DBS), INCR_DB, BLOCKING_DB]) tableCase.set(`${d}.control`, 'control');
tableCase.set(INCR_SIGNAL, 'incremental_snapshot');
tableCase.set(BLOCKING_SIGNAL, 'blocking_snapshot');

/** The database a variant captures (and writes its sentinel in). */
function databaseOf(v: Variant): string {
  return v.config['database.include.list']?.split(',')[0] ?? DB;
}

function prefixOf(variantIndex: number): string {
  return `v${variantIndex}`;
}

/** The schema-change topic's records are told apart by what they change (table id, else the DDL's verb). */
function schemaChangeKind(payload: Record<string, unknown>): string {
  const changes = (payload.tableChanges ?? []) as Array<{ type?: string; id?: string }>;
  if (changes.length) return changes.map((c) => `${c.type} ${c.id}`).join(' ');
  const ddl = String(payload.ddl ?? '');
  const m = /^\s*(\w+)(\s+(DATABASE|SCHEMA|TABLE))?/i.exec(ddl);
  return m ? `${m[1]}${m[3] ? ` ${m[3]}` : ''}`.toUpperCase() : ddl.slice(0, 20);
}

function isSchemaChange(r: CapturedRecord): boolean {
  return opOf(r) === 'schema-change';
}

function identity(r: CapturedRecord): string {
  const key = jsonText(payloadOf(r.key));
  if (isSchemaChange(r)) return `${r.topic} ${key} ${schemaChangeKind(payloadOf(r.value) as Record<string, unknown>)}`;
  return `${r.topic} ${key} ${opOf(r)}`;
}

/**
 * The case of a record: by its topic's table, or (schema changes) by the table it changes or names; schema changes
 * of databases the variant does not capture are a case of their own.
 */
function caseOf(r: CapturedRecord, v: Variant): string | undefined {
  if (!isSchemaChange(r)) return tableCase.get(r.topic.split('.').slice(1).join('.'));
  const p = payloadOf(r.value) as { databaseName?: string; ddl?: string; tableChanges?: Array<{ id?: string }> };
  const captured = (v.config['database.include.list'] ?? `${DB},${DB2}`).split(',');
  if (p.databaseName && !captured.includes(p.databaseName)) return 'other_databases';
  for (const c of p.tableChanges ?? []) {
    const m = /^"([^"]+)"\."([^"]+)"$/.exec(c.id ?? '');
    if (m && tableCase.has(`${m[1]}.${m[2]}`)) return tableCase.get(`${m[1]}.${m[2]}`);
  }
  for (const word of String(p.ddl ?? '').match(/\w+/g) ?? []) {
    const id = `${p.databaseName}.${word}`;
    if (tableCase.has(id)) return tableCase.get(id);
  }
  return 'database';
}

/** The blocking snapshot's op "r" records among a side's records. */
function blockingRows(records: readonly CapturedRecord[]): CapturedRecord[] {
  return records.filter((r) => r.topic.endsWith(`.${BLOCKING_DB}.blk_snap`) && opOf(r) === 'r');
}

/** SLUICE_CONFORMANCE_VARIANTS=a,b runs only those variants (while working on one); CI runs all. */
const only = process.env.SLUICE_CONFORMANCE_VARIANTS?.split(',');
const suite = only ? { ...mysqlSuite, variants: mysqlSuite.variants.filter((v) => only.includes(v.name)) } : mysqlSuite;

describe.runIf(!missing)('conformance with Debezium: MySQL / MariaDB', () => {
  /** main: every case but those SECOND_SERVER_DBS name, whose binlog events fail every Debezium on their server */
  let servers: { main: MariaDb; second: MariaDb };
  let dir: string;
  let result: ConformanceResult;
  const serverOf = (database: string) => (SECOND_SERVER_DBS.has(database) ? servers.second : servers.main);

  /** Runs each case's statements (setup or stream) on its database's server, with zero and invalid dates allowed. */
  async function run(part: 'setup' | 'stream'): Promise<void> {
    for (const server of [servers.main, servers.second]) {
      const conn = await server.connect();
      try {
        await conn.query(`SET SESSION sql_mode = 'ALLOW_INVALID_DATES'`);
        if (part === 'setup' && server === servers.main) await conn.query(`CREATE DATABASE ${DB}`);
        for (const c of mysqlCases) {
          if (serverOf(c.database ?? DB) !== server) continue;
          for (const s of c[part]) await conn.query(s);
        }
        if (part === 'stream') {
          for (const q of sentinels()) if (serverOf(q.database) === server) await conn.query(q.sql);
        }
      } finally {
        await conn.end();
      }
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-conf-mysql-'));
    const [main, second] = await Promise.all([startMariaDb(), startMariaDb()]);
    servers = { main, second };
    await run('setup');
    const connection = (v: Variant) => {
      const db = serverOf(databaseOf(v));
      return {
        'database.hostname': db.host,
        'database.port': String(db.port),
        'database.user': db.user,
        'database.password': db.password,
        'database.include.list': `${DB},${DB2}`,
        'table.exclude.list': `${DB}\\.ignored`,
      };
    };
    result = await runConformance({
      suite,
      classpath: 'mariadb',
      dir,
      debeziumConfig: (v, i) => ({
        'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
        ...connection(v),
        'database.server.id': String(7001 + i),
        'topic.prefix': prefixOf(i),
        ...v.config,
      }),
      sluice: {
        plugin: {
          connector: 'conformance-mariadb',
          spec: mariadbSourcePlugin.configSpec,
          createTask: () => mariadbSourcePlugin.createTask(),
        },
        config: (v, i) => ({
          ...connection(v),
          'database.server.id': String(7101 + i),
          'topic.prefix': prefixOf(i),
          'schema.history.internal.file.filename': join(dir, `sluice-history-${i}.jsonl`),
          ...v.config,
        }),
        streaming: /streaming binlog/,
      },
      stream: () => run('stream'),
      complete: (records, v) =>
        records.some((r) => r.topic.endsWith(`.${databaseOf(v)}.control`) && opOf(r) === 'c') &&
        // the incremental snapshot goes on after the sentinel: wait for its rows too
        (v.name !== 'incremental' ||
          records.filter((r) => r.topic.endsWith(`.${INCR_DB}.incr_snap`) && opOf(r) === 'r').length >=
            INCREMENTAL_ROWS) &&
        // a blocking snapshot's rows should precede the sentinel; should they not, wait for them (then compared)
        (v.name !== 'blocking' || blockingRows(records).length >= BLOCKING_ROWS),
      caseOf,
      identity,
      ignore: IGNORE,
    });
  });

  afterAll(async () => {
    await Promise.all([servers?.main.stop(), servers?.second.stop()]);
    // SLUICE_CONFORMANCE_KEEP=1 keeps both sides' outputs and Debezium's properties for a look after a failure.
    if (dir && !process.env.SLUICE_CONFORMANCE_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) {
      // sluice's records live only in memory: write them beside Debezium's engine-<i>.jsonl
      for (const [name, { sluice }] of result?.records ?? []) {
        const lines = sluice.map((r) => jsonText(r)).join('\n');
        writeFileSync(join(dir, `sluice-${name}.jsonl`), `${lines}\n`);
      }
      console.log(`conformance outputs kept in ${dir}`);
    }
  });

  it('every record is identical to Debezium or a listed departure', () => {
    const report = formatVerdict(suite, result.verdict, Number(process.env.SLUICE_CONFORMANCE_LIMIT ?? 80));
    if (!passed(result.verdict)) throw new Error(report);
    expect(result.pairs).toBeGreaterThan(0);
  });

  it.runIf(suite.variants.some((v) => v.name === 'blocking'))(
    "a blocking snapshot signalled in the signal table: its rows right after the signal's transaction, before the changes written after it",
    () => {
      // The comparison pairs records per key; the place of the snapshot in the stream is checked here. Debezium
      // pauses streaming on the first binlog event it reads after its snapshot thread sets the pause flag: usually
      // right after the signal, sometimes a transaction later (docs/FACTS.md), so only its rows are checked.
      const order = (records: readonly CapturedRecord[]) =>
        records
          .filter((r) => r.topic.includes(`.${BLOCKING_DB}.`) && opOf(r) !== 'tombstone')
          .map((r) => `${r.topic.slice(r.topic.indexOf(BLOCKING_DB) + BLOCKING_DB.length + 1)}:${opOf(r)}`)
          .filter((t, i, all) => t !== all[i - 1]);
      const { debezium, sluice } = result.records.get('blocking') ?? { debezium: [], sluice: [] };
      expect(order(sluice)).toEqual(['blk_snap:r', 'blk_snap:c', 'control:c']);
      expect(blockingRows(sluice)).toHaveLength(BLOCKING_ROWS);
      expect(order(debezium)).toContain('blk_snap:r');
    },
  );

  it.runIf(suite.variants.some((v) => v.name === 'fail-year-zero-snapshot'))(
    'where Debezium fails on YEAR 0000 in the snapshot, sluice writes 0',
    () => {
      const rows = (result.records.get('fail-year-zero-snapshot')?.sluice ?? [])
        .filter((r) => r.topic.endsWith('.year_zero_snapshot') && opOf(r) !== 'tombstone')
        .map((r) => jsonText((payloadOf(r.value) as { after: unknown }).after));
      expect(rows).toEqual([
        '{"id":1,"c_year":0,"c_year_nn":0}',
        '{"id":2,"c_year":2000,"c_year_nn":2000}',
        '{"id":3,"c_year":0,"c_year_nn":2001}',
      ]);
    },
  );
});
