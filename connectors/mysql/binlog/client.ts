import type { Readable } from 'node:stream';
import mysql from 'mysql2';
import { ConnectError, RetriableError } from '../../../runtime/api/index.js';

/**
 * The replication side of the protocol over a `mysql2` connection. mysql2 does the handshake, authentication,
 * TLS and packet framing; we queue our own command object on it that writes COM_REGISTER_SLAVE and
 * COM_BINLOG_DUMP[_GTID] and then receives every packet raw. mysql2's own createBinlogStream decodes too little
 * and never negotiates checksums (see docs/FACTS.md), so only its framing is used.
 */

export type Flavor = 'mysql' | 'mariadb';

export interface ConnectOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  ssl?: mysql.SslOptions;
  connectTimeout?: number;
}

export interface DumpStart {
  /** start by file and position (MariaDB ignores them when `mariaGtidState` is set) */
  file: string;
  position: number;
  /** MariaDB: `@slave_connect_state`, e.g. `0-1-42` */
  mariaGtidState?: string;
  /** MySQL: executed GTID set; sends COM_BINLOG_DUMP_GTID */
  mysqlGtidSet?: string;
}

export interface BinlogStreamOptions extends ConnectOptions {
  flavor: Flavor;
  serverId: number;
  start: DumpStart;
  /** server heartbeat when idle (ms); 0 disables */
  heartbeatMs: number;
  /** events buffered before the socket is paused (backpressure) */
  maxQueuedEvents?: number;
  /** bytes of events buffered before the socket is paused; default 8 MiB */
  maxQueuedBytes?: number;
}

interface RawPacket {
  buffer: Buffer;
  offset: number;
  end: number;
}

interface Mysql2Internals {
  addCommand(cmd: unknown): unknown;
  writePacket(p: { buffer: Buffer; length(): number; writeHeader(seq: number): void }): void;
  _resetSequenceId?(): void;
  pause(): void;
  resume(): void;
}

const COM_BINLOG_DUMP = 0x12;
const COM_REGISTER_SLAVE = 0x15;
const COM_BINLOG_DUMP_GTID = 0x1e;
/** MariaDB: also send ANNOTATE_ROWS events (the SQL of row changes). */
const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 2;
/** MariaDB slave capability "GTID": the server sends GTID events instead of BEGIN queries. */
const MARIA_SLAVE_CAPABILITY_GTID = 4;

/** The connection settings of a connector's options (its TLS settings resolved apart, from files). */
export function connectOptions(
  o: Pick<ConnectOptions, 'host' | 'port' | 'user' | 'password'> & { connectTimeout: number },
  ssl: mysql.SslOptions | undefined,
): ConnectOptions {
  return { host: o.host, port: o.port, user: o.user, password: o.password, ssl, connectTimeout: o.connectTimeout };
}

export function openConnection(o: ConnectOptions): mysql.Connection {
  const conn = mysql.createConnection({
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    ssl: o.ssl,
    charset: 'utf8mb4',
    connectTimeout: o.connectTimeout ?? 30_000,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  // Query errors arrive through callbacks; without a listener, a connection the server closes after we are done
  // with it (or that we destroyed) would raise an uncaught 'error' event.
  conn.on('error', () => undefined);
  return conn;
}

/** A SELECT's rows as arrays of each column's raw bytes (null for NULL): the column's mapping decodes them. */
export function rawRowsQuery(sql: string): mysql.QueryOptions {
  return {
    sql,
    rowsAsArray: true,
    typeCast: (field: { buffer(): Buffer | null }) => field.buffer(),
  } as mysql.QueryOptions;
}

/** rawRowsQuery's rows streamed with backpressure: at most `fetchSize` rows read ahead of the consumer. */
export function streamRawRows(conn: mysql.Connection, sql: string, fetchSize: number): Readable {
  return conn.query(rawRowsQuery(sql)).stream({ highWaterMark: fetchSize }) as Readable;
}

export function query<T = Record<string, unknown>>(
  conn: mysql.Connection,
  sql: string,
  values?: unknown[],
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    conn.query(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as T[])));
  });
}

function rawPacket(payload: Buffer): { buffer: Buffer; length(): number; writeHeader(seq: number): void } {
  const buffer = Buffer.concat([Buffer.alloc(4), payload]);
  return {
    buffer,
    length: () => buffer.length,
    writeHeader(seq: number) {
      buffer.writeUIntLE(buffer.length - 4, 0, 3);
      buffer[3] = seq;
    },
  };
}

function serverError(p: RawPacket): { code: number; message: string } {
  const code = p.buffer.readUInt16LE(p.offset + 1);
  let start = p.offset + 3;
  if (p.buffer[start] === 0x23) start += 6;
  return { code, message: p.buffer.toString('utf8', start, p.end) };
}

/** One command object on the mysql2 queue: writes `payload`, then hands every packet to `onPacket`. */
class RawCommand {
  private started = false;

  constructor(
    private readonly payload: Buffer,
    private readonly onPacket: (p: RawPacket) => boolean,
  ) {}

  execute(packet: RawPacket | undefined, conn: Mysql2Internals): boolean {
    if (!this.started) {
      this.started = true;
      conn._resetSequenceId?.();
      conn.writePacket(rawPacket(this.payload));
      return false;
    }
    if (!packet) return false;
    return this.onPacket(packet);
  }

  // mysql2 calls these on queued commands in debug and error paths.
  stateName(): string {
    return 'raw';
  }
  on(): this {
    return this;
  }
  emit(): boolean {
    return false;
  }
}

function registerSlavePayload(serverId: number): Buffer {
  const b = Buffer.alloc(1 + 4 + 3 + 2 + 4 + 4);
  let o = b.writeUInt8(COM_REGISTER_SLAVE, 0);
  o = b.writeUInt32LE(serverId, o);
  o += 3; // empty host, user and password, each a zero length byte
  o = b.writeUInt16LE(0, o);
  o = b.writeUInt32LE(0, o);
  b.writeUInt32LE(0, o);
  return b;
}

function dumpPayload(serverId: number, start: DumpStart, flavor: Flavor): Buffer {
  const name = Buffer.from(start.file, 'utf8');
  const head = Buffer.alloc(11);
  head.writeUInt8(COM_BINLOG_DUMP, 0);
  head.writeUInt32LE(start.position, 1);
  head.writeUInt16LE(flavor === 'mariadb' ? BINLOG_SEND_ANNOTATE_ROWS_EVENT : 0, 5);
  head.writeUInt32LE(serverId, 7);
  return Buffer.concat([head, name]);
}

/** COM_BINLOG_DUMP_GTID with the GTID set in its binary form (sid, intervals [start, end)). */
export function dumpGtidPayload(serverId: number, start: DumpStart): Buffer {
  const set = encodeMysqlGtidSet(start.mysqlGtidSet ?? '');
  const name = Buffer.from(start.file, 'utf8');
  const b = Buffer.alloc(1 + 2 + 4 + 4 + name.length + 8 + 4);
  let o = b.writeUInt8(COM_BINLOG_DUMP_GTID, 0);
  o = b.writeUInt16LE(0x04, o); // BINLOG_THROUGH_GTID
  o = b.writeUInt32LE(serverId, o);
  o = b.writeUInt32LE(name.length, o);
  o += name.copy(b, o);
  o = b.writeBigUInt64LE(BigInt(start.position), o);
  b.writeUInt32LE(set.length, o);
  return Buffer.concat([b, set]);
}

export function encodeMysqlGtidSet(text: string): Buffer {
  const sids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(8);
  count.writeBigUInt64LE(BigInt(sids.length));
  parts.push(count);
  for (const sid of sids) {
    const [uuid, ...ranges] = sid.split(':');
    parts.push(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(ranges.length));
    parts.push(n);
    for (const r of ranges) {
      const [a, b] = r.split('-');
      const iv = Buffer.alloc(16);
      iv.writeBigUInt64LE(BigInt(a), 0);
      iv.writeBigUInt64LE(BigInt(b ?? a) + 1n, 8);
      parts.push(iv);
    }
  }
  return Buffer.concat(parts);
}

/** MySQL error codes that the binlog dump answers with, turned into advice. */
export function dumpError(code: number, message: string, start: DumpStart): ConnectError {
  const where = { position: `${start.file}:${start.position}` };
  if (
    code === 1236 &&
    /could not find first log file|purged|Could not find GTID state|first log file name/i.test(message)
  ) {
    return new ConnectError(
      `The binlog position the connector must resume from is no longer on the server (${message}). The server purged it (binlog_expire_logs_seconds / expire_logs_days). Set snapshot.mode=when_needed (re-snapshot when the position is gone) or delete the connector's offsets and restart with snapshot.mode=initial.`,
      { context: where },
    );
  }
  // MariaDB answers ER_SLAVE_SAME_ID (4052); MySQL reports it inside error 1236.
  if (code === 4052 || /same server.?(id|uuid)/i.test(message)) {
    return new ConnectError(
      `Another replica with the same server id is connected (${message}). Give this connector a database.server.id no other replica or connector uses.`,
      { context: where },
    );
  }
  if (code === 1227 || code === 1045 || code === 1044) {
    return new ConnectError(
      `The database user may not read the binlog (${message}). Grant it: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '<user>'.`,
      { context: where },
    );
  }
  return new RetriableError(`binlog dump failed: MySQL error ${code}: ${message}`, { context: where });
}

/**
 * A running binlog dump: raw events (header + body + checksum) in arrival order, with backpressure by pausing
 * the socket when `maxQueuedEvents` are waiting.
 */
export class BinlogStream {
  private readonly queue: (Buffer | undefined)[] = [];
  private head = 0;
  private error: Error | undefined;
  private ended = false;
  private paused = false;
  private waiter: (() => void) | undefined;
  private readonly maxQueued: number;
  private readonly maxBytes: number;
  /** bytes of the events in the queue not yet taken */
  private queuedBytes = 0;
  /** when the server last sent anything (an event or a heartbeat), or reading resumed after backpressure */
  private lastHeard = Date.now();
  /** silence after which the connection counts as dead: a few missed heartbeats */
  private readonly silenceMs: number;
  readonly conn: mysql.Connection;

  private constructor(
    conn: mysql.Connection,
    private readonly options: BinlogStreamOptions,
  ) {
    this.conn = conn;
    this.maxQueued = options.maxQueuedEvents ?? 4096;
    this.maxBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    // The server sends a heartbeat whenever it has had nothing to send for heartbeatMs; a connection silent for
    // three of them is gone (a cut network, a server that froze) even though no socket error says so.
    this.silenceMs = options.heartbeatMs > 0 ? 3 * options.heartbeatMs : 0;
    conn.on('error', (err) => this.fail(err));
    conn.on('end', () => this.fail(new RetriableError('binlog connection closed by the server')));
  }

  static async open(options: BinlogStreamOptions): Promise<BinlogStream> {
    const conn = openConnection(options);
    const stream = new BinlogStream(conn, options);
    try {
      await stream.setup();
    } catch (err) {
      conn.destroy();
      throw err;
    }
    return stream;
  }

  private async setup(): Promise<void> {
    const { conn, options } = this;
    await query(conn, 'SET @master_binlog_checksum = @@global.binlog_checksum');
    if (options.heartbeatMs > 0)
      await query(conn, `SET @master_heartbeat_period = ${BigInt(options.heartbeatMs) * 1_000_000n}`);
    if (options.flavor === 'mariadb') {
      await query(conn, `SET @mariadb_slave_capability = ${MARIA_SLAVE_CAPABILITY_GTID}`);
      if (options.start.mariaGtidState !== undefined) {
        await query(conn, 'SET @slave_connect_state = ?', [options.start.mariaGtidState]);
        await query(conn, 'SET @slave_gtid_strict_mode = 0');
        await query(conn, 'SET @slave_gtid_ignore_duplicates = 0');
      }
    }
    const internals = conn as unknown as Mysql2Internals;
    await new Promise<void>((resolve, reject) => {
      internals.addCommand(
        new RawCommand(registerSlavePayload(options.serverId), (p) => {
          if (p.buffer[p.offset] === 0xff) {
            const e = serverError(p);
            reject(dumpError(e.code, e.message, options.start));
          } else resolve();
          return true;
        }),
      );
    });
    const payload =
      options.flavor === 'mysql' && options.start.mysqlGtidSet
        ? dumpGtidPayload(options.serverId, options.start)
        : dumpPayload(options.serverId, options.start, options.flavor);
    internals.addCommand(new RawCommand(payload, (p) => this.onPacket(p)));
  }

  private onPacket(p: RawPacket): boolean {
    this.lastHeard = Date.now();
    const first = p.buffer[p.offset];
    if (first === 0xff) {
      const e = serverError(p);
      this.fail(dumpError(e.code, e.message, this.options.start));
      return true;
    }
    if (first === 0xfe && p.end - p.offset < 9) {
      this.ended = true;
      this.wake();
      return true;
    }
    // A view into mysql2's socket chunk (a fresh buffer per read); events leave in order, so the chunks pinned
    // are about the bytes queued.
    const ev = p.buffer.subarray(p.offset + 1, p.end);
    this.queue.push(ev);
    this.queuedBytes += ev.length;
    if (!this.paused && (this.queue.length - this.head >= this.maxQueued || this.queuedBytes >= this.maxBytes)) {
      this.paused = true;
      (this.conn as unknown as Mysql2Internals).pause();
    }
    this.wake();
    return false;
  }

  private fail(err: Error): void {
    if (!this.error) this.error = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next raw event, or null when `signal` aborts or `timeoutMs` passes with nothing. */
  async next(signal: AbortSignal, timeoutMs: number): Promise<Buffer | null> {
    if (this.head >= this.queue.length && !this.error && !this.ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        const onAbort = () => done();
        signal.addEventListener('abort', onAbort, { once: true });
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
        this.waiter = done;
      });
    }
    if (this.head < this.queue.length) {
      const ev = this.queue[this.head] as Buffer;
      // Taken events are dropped now, not at the next splice: a rows event can be large.
      this.queue[this.head++] = undefined;
      this.queuedBytes -= ev.length;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (this.paused && this.queue.length - this.head <= this.maxQueued / 4 && this.queuedBytes <= this.maxBytes / 4) {
        this.paused = false;
        this.lastHeard = Date.now();
        (this.conn as unknown as Mysql2Internals).resume();
      }
      return ev;
    }
    if (this.error) throw this.error;
    if (this.ended) throw new RetriableError('the server ended the binlog stream');
    if (this.silenceMs > 0 && !this.paused && Date.now() - this.lastHeard > this.silenceMs) {
      throw new RetriableError(
        `no binlog event or heartbeat from the server for ${Math.round((Date.now() - this.lastHeard) / 1000)} s (a heartbeat is due every ${this.options.heartbeatMs} ms when idle): the connection is taken as lost`,
      );
    }
    return null;
  }

  close(): void {
    this.conn.destroy();
  }
}
