import pg from 'pg';
import { formatLsn, readLsn, writeLsn } from './lsn.js';
import { PG_EPOCH_MICROS } from './pgoutput.js';

/**
 * Our own pgoutput client on `pg`'s replication protocol (COPY BOTH). pg-logical-replication was not used: it
 * acknowledges the last *received* LSN on a timer whatever its settings say, moves that LSN on keepalives and
 * parses values with `pg`'s type parsers. Here the server hears only the LSN the runtime committed, and only
 * through `sendStatus`.
 */
export interface ReplicationHandlers {
  /** one XLogData message: its WAL start and pgoutput payload (a view into `pg`'s read buffer: valid only during the call) */
  onData(walStart: number, payload: Buffer): void;
  /** a primary keepalive: the server's WAL end, and whether it wants an answer now */
  onKeepalive(walEnd: number, replyRequested: boolean): void;
}

export interface SlotCreated {
  consistentPoint: number;
  snapshotName: string | null;
}

export class ReplicationConnection {
  private readonly client: pg.Client;
  private streaming?: Promise<unknown>;
  private paused = false;

  constructor(config: pg.ClientConfig) {
    this.client = new pg.Client({ ...config, replication: 'database' } as pg.ClientConfig);
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Ends the connection; errors after this point are expected and ignored. */
  async close(): Promise<void> {
    this.client.removeAllListeners('error');
    this.client.on('error', () => {});
    // A paused socket would never read the server's goodbye: resume it, and do not wait forever.
    this.resume();
    const conn = (this.client as unknown as { connection: PgConnection }).connection;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.end(),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            conn.stream.destroy();
            resolve();
          }, 3000);
        }),
      ]);
    } catch {
      // already broken
    } finally {
      clearTimeout(timer);
    }
  }

  onError(handler: (err: Error) => void): void {
    this.client.on('error', handler);
  }

  onEnd(handler: () => void): void {
    this.client.on('end', handler);
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const res = await this.client.query({
      text: sql,
      types: { getTypeParser: () => (v: string) => v },
    } as pg.QueryConfig);
    return res.rows;
  }

  /**
   * CREATE_REPLICATION_SLOT with an exported snapshot. The snapshot stays importable only while this connection
   * stays open and runs nothing else, so the caller reads the snapshot before calling `start`.
   */
  async createSlot(slot: string, exportSnapshot: boolean, temporary = false, failover = false): Promise<SlotCreated> {
    // FAILOVER exists only in the option-list syntax (PostgreSQL 15+ has the list, 17+ the option); the old
    // keywords keep working on 10–14.
    const kind = `${temporary ? 'TEMPORARY ' : ''}LOGICAL pgoutput`;
    const rows = await this.query(
      failover
        ? `CREATE_REPLICATION_SLOT "${slot}" ${kind} (SNAPSHOT '${exportSnapshot ? 'export' : 'nothing'}', FAILOVER)`
        : `CREATE_REPLICATION_SLOT "${slot}" ${kind} ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`,
    );
    const row = rows[0];
    return {
      consistentPoint: parseLsnText(String(row.consistent_point)),
      snapshotName: row.snapshot_name ? String(row.snapshot_name) : null,
    };
  }

  /**
   * START_REPLICATION. Resolves once streaming runs; `done` settles when the stream ends (rejects with the server's
   * error, e.g. the slot is active elsewhere).
   */
  async start(
    slot: string,
    fromLsn: number,
    publication: string,
    handlers: ReplicationHandlers,
  ): Promise<{ done: Promise<void> }> {
    const conn = (this.client as unknown as { connection: PgConnection }).connection;
    conn.on('copyData', (msg: { chunk: Buffer }) => {
      const buf = msg.chunk;
      if (buf[0] === 0x77 /* w */) handlers.onData(readLsn(buf, 1), buf.subarray(25));
      else if (buf[0] === 0x6b /* k */) handlers.onKeepalive(readLsn(buf, 1), buf[17] === 1);
    });
    const started = new Promise<void>((resolve) => conn.once('replicationStart', () => resolve()));
    const pubs = publication.replace(/'/g, "''");
    this.streaming = this.client.query(
      `START_REPLICATION SLOT "${slot}" LOGICAL ${formatLsn(fromLsn)} (proto_version '1', publication_names '"${pubs}"')`,
    );
    const done = this.streaming.then(() => undefined);
    await Promise.race([started, done]);
    return { done };
  }

  /** Standby status update: written, flushed and applied are all the committed LSN; nothing beyond it. */
  sendStatus(committedLsn: number, replyRequested = false): void {
    const buf = Buffer.alloc(34);
    buf[0] = 0x72; // r
    writeLsn(buf, 1, committedLsn);
    writeLsn(buf, 9, committedLsn);
    writeLsn(buf, 17, committedLsn);
    buf.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS, 25);
    buf[33] = replyRequested ? 1 : 0;
    const conn = (this.client as unknown as { connection: PgConnection }).connection;
    conn.sendCopyFromChunk(buf);
  }

  /** Stops reading the socket: PostgreSQL then buffers (and spills) on its side, our memory stays bounded. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    (this.client as unknown as { connection: PgConnection }).connection.stream.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    (this.client as unknown as { connection: PgConnection }).connection.stream.resume();
  }
}

interface PgConnection {
  on(event: string, handler: (...args: never[]) => void): void;
  once(event: string, handler: () => void): void;
  sendCopyFromChunk(buf: Buffer): void;
  stream: { pause(): void; resume(): void; destroy(): void };
}

function parseLsnText(text: string): number {
  const [hi, lo] = text.split('/');
  return Number.parseInt(hi, 16) * 2 ** 32 + Number.parseInt(lo, 16);
}
