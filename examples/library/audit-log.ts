/**
 * Audit log: every insert, update and delete of the captured tables, appended to a JSON-lines file — who
 * changed what is in the database's own log, so nothing can bypass it. Each line holds the change event (the
 * CLI's JSON: int64, decimals and bytes exact) and its source position; a line is on disk (fsync) before the
 * batch is committed, so a crash can only repeat lines, never lose one: a reader drops a repeated position.
 *
 * Run: PGHOST=localhost PGUSER=cdc PGPASSWORD=… PGDATABASE=shop AUDIT_TABLES=public.accounts,public.payments \
 *        AUDIT_FILE=audit.jsonl npx tsx examples/library/audit-log.ts
 *
 * For MySQL or MariaDB use connector 'mysql' (or 'mariadb') with database.server.id and
 * schema.history.internal.file.filename; for MongoDB, 'mongodb' with mongodb.connection.string. The loop is the same.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { capture, toJson } from 'sluice';

const env = process.env;
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

const changes = capture({
  connector: 'postgres',
  config: {
    'database.hostname': env.PGHOST ?? 'localhost',
    'database.port': Number(env.PGPORT ?? 5432),
    'database.user': env.PGUSER ?? 'postgres',
    'database.password': env.PGPASSWORD,
    'database.dbname': env.PGDATABASE ?? 'postgres',
    'topic.prefix': 'audit',
    'table.include.list': env.AUDIT_TABLES ?? 'public\\..*',
    'slot.name': 'audit_log',
    'publication.name': 'audit_log',
    // The log starts with the rows as they are (op "r"), then every change.
    'snapshot.mode': 'initial',
    // Deletes need no tombstone here.
    'tombstones.on.delete': false,
  },
  offsets: { file: env.OFFSETS_FILE ?? 'audit-offsets.json' },
  signal: stop.signal,
});

const file = openSync(env.AUDIT_FILE ?? 'audit.jsonl', 'a');
for await (const batch of changes) {
  let lines = '';
  for (const event of batch.events) {
    if (event.kind !== 'change') continue;
    lines += `{"table":${JSON.stringify(event.topic)},"position":${JSON.stringify(event.position)},"event":${toJson(event)}}\n`;
  }
  if (lines) {
    writeSync(file, lines);
    fsyncSync(file);
  }
  await batch.commit();
}
closeSync(file);
