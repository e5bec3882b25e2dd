import {
  type ChangeRecord,
  type Config,
  ConnectError,
  RetriableError,
  type SinkTask,
  type SinkTaskContext,
} from '../../runtime/api/index.js';
import { type JdbcSettings, readSettings } from './config.js';
import type { Dialect } from './dialect.js';
import { MysqlDialect } from './mysql.js';
import { resolveTableName } from './naming.js';
import { PostgresDialect } from './postgres.js';
import { Tables } from './tables.js';
import { redactUrl } from './url.js';
import { Writer } from './writer.js';

/**
 * Debezium's JdbcSinkConnectorTask, with the target's commit overlapped: put() starts a batch's transaction and
 * returns while it runs (at most one in flight; the next put() waits for it), and flush() waits for it, so a record
 * whose offset is committed is in the target table (Connect commits offsets only after flush() returns).
 */
export class JdbcSinkTask implements SinkTask {
  private dialect: Dialect | undefined;
  private writer: Writer | undefined;

  async start(config: Config, ctx: SinkTaskContext): Promise<void> {
    const s = readSettings(config);
    const dialect = s.url.dialect === 'postgresql' ? new PostgresDialect(s) : new MysqlDialect(s);
    try {
      await dialect.start();
    } catch (err) {
      await dialect.close().catch(() => undefined);
      throw startError(s, dialect, err);
    }
    this.dialect = dialect;
    const tables = new Tables(dialect, s, ctx.log);
    if (s.evolution === 'validate-only') await this.validateTables(config, s, tables);
    this.writer = new Writer(dialect, tables, s, ctx.log, ctx.errantRecordReporter, ctx.signal);
    ctx.log.info({ target: dialect.serverVersion, url: redactUrl(s.rawUrl) }, 'JDBC sink connected');
  }

  /** Debezium's CollectionsExistsValidator: with a static topic list and ${topic}-only names, every table must exist. */
  private async validateTables(config: Config, s: JdbcSettings, tables: Tables): Promise<void> {
    const topics = config.list('topics');
    if (topics.length === 0 || (!s.passthroughNaming && s.nameFormat.includes('${source.'))) return;
    const names = topics.map((t) => resolveTableName(s.nameFormat, t, undefined, s.passthroughNaming) ?? t);
    const conn = await (this.dialect as Dialect).connect();
    try {
      const missing = await tables.validate(conn, names);
      if (missing.length)
        throw new ConnectError(
          `schema.evolution=validate-only: table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`,
        );
    } finally {
      conn.release();
    }
  }

  async put(records: readonly ChangeRecord[]): Promise<void> {
    if (!this.writer) throw new ConnectError('JDBC sink task is not started');
    await this.writer.write(records);
  }

  async flush(): Promise<void> {
    await this.writer?.drain();
  }

  async stop(): Promise<void> {
    const d = this.dialect;
    const w = this.writer;
    this.dialect = undefined;
    this.writer = undefined;
    await w?.close();
    await d?.close().catch(() => undefined);
  }
}

/** A connection failure at start: retriable when the database may come (back); never echoes the password. */
function startError(s: JdbcSettings, dialect: Dialect, err: unknown): ConnectError {
  const where = `${s.url.dialect === 'postgresql' ? 'PostgreSQL' : 'MySQL/MariaDB'} at ${s.url.host}:${s.url.port}`;
  const message = `Cannot connect to ${where} (${redactUrl(s.rawUrl)}): ${(err as Error)?.message ?? String(err)}`;
  if (dialect.isRetriable(err)) return new RetriableError(message, { cause: err });
  return new ConnectError(message, { cause: err });
}
