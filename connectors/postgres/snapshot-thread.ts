import { parentPort, workerData } from 'node:worker_threads';
import type pg from 'pg';
import { ByteBuilder, type ValueEncoder, valueEncoder } from '../../runtime/api/index.js';
import { quoteLiteral, TypeCatalog } from './catalog.js';
import { connectClient } from './connection.js';
import { openRowCursor } from './snapshot-rows.js';
import {
  type FromReader,
  READER_CREDITS,
  type ReaderThreadData,
  type RowBatch,
  type ThreadFailure,
  type ToReader,
} from './snapshot-protocol.js';
import { processingTimes, readValue, sourceValue } from './source.js';
import { TableModel } from './table.js';

/**
 * A snapshot reader thread (snapshot.max.threads > 1): its own connection in the exported snapshot, reading the
 * page ranges the task hands it. It does the per-row work that does not need the task's state: PostgreSQL's
 * protocol, and with an encoding the decoding of every value and its JSON, so the task's thread only turns text
 * into records and copies bytes. The task keeps every decision: which range, when (credits), markers and offsets.
 */
const data = workerData as ReaderThreadData;
const port = parentPort!;
const post = (m: FromReader, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

/** One reader (a connection of the snapshot) hosted by this thread: its commands and its credits. */
class Reader {
  credits = READER_CREDITS;
  waitingCredit?: () => void;
  readonly queue: ToReader[] = [];
  wake?: () => void;

  take(m: ToReader): void {
    if (m.type === 'credit') {
      this.credits++;
      this.waitingCredit?.();
      this.waitingCredit = undefined;
      return;
    }
    this.queue.push(m);
    this.wake?.();
    this.wake = undefined;
  }

  async next(): Promise<ToReader> {
    while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
    return this.queue.shift()!;
  }

  async credit(): Promise<void> {
    while (this.credits === 0) await new Promise<void>((r) => (this.waitingCredit = r));
    this.credits--;
  }
}

const readers = new Map<number, Reader>(data.readers.map((n) => [n, new Reader()]));
port.on('message', (m: ToReader) => readers.get(m.reader)?.take(m));

function failure(err: unknown): ThreadFailure {
  const e = err as { message?: string; code?: string; severity?: string; detail?: string; hint?: string };
  return { message: String(e?.message ?? err), code: e?.code, severity: e?.severity, detail: e?.detail, hint: e?.hint };
}

async function main(): Promise<void> {
  const types = TypeCatalog.from(data.types);
  const models = data.tables.map(
    (t) => new TableModel(t.schema, t.table, t.catalog.columns, t.catalog, data.settings, types),
  );
  // Rows of the snapshot that are neither a table's first nor its last carry the `true` marker; the few others
  // the task marks differently, and it drops their bytes (snapshot.ts).
  const sources = models.map((m) =>
    sourceValue({
      name: data.settings.prefix,
      db: data.settings.database,
      schema: m.schema,
      table: m.table,
      tsUs: data.tsUs,
      snapshot: 'true',
      txId: data.txId,
      lsn: data.lsn,
      lastCommitLsn: null,
    }),
  );
  const encode: ValueEncoder | undefined = data.encoding ? await valueEncoder(data.encoding) : undefined;
  const run = async (n: number, reader: Reader): Promise<void> => {
    const client: pg.Client = await connectClient(data.settings, `${data.applicationName}-${n}`);
    client.on('error', () => {});
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(data.snapshot)}`);
    post({ type: 'ready', reader: n });
    const out = new ByteBuilder(1 << 20);
    for (;;) {
      const cmd = await reader.next();
      if (cmd.type === 'commit') {
        await client.query('COMMIT');
        await client.end();
        post({ type: 'committed', reader: n });
        return;
      }
      if (cmd.type !== 'read') continue;
      const model = models[cmd.table];
      const source = sources[cmd.table];
      const width = model.columns.length;
      const cursor = await openRowCursor(client, model, 'sluice_snapshot', data.fetchSize, cmd.range, cmd.filter);
      for (let rows = await cursor.next(); rows; rows = await cursor.next()) {
        const times = processingTimes();
        const values: (string | null)[] = new Array(rows.length * width);
        let ends: Uint32Array | undefined;
        out.reset();
        if (encode) ends = new Uint32Array(rows.length);
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r];
          for (let i = 0; i < width; i++) values[r * width + i] = row[i];
          if (encode && ends) {
            const mark = out.length;
            try {
              encode(
                out,
                model.topic,
                model.envelopeSchema,
                readValue(model.valueOf(decodeAll(model, row)), source, times),
              );
            } catch {
              // A value the codec refuses: no bytes; the task decodes the row itself and fails naming it.
              out.length = mark;
            }
            ends[r] = out.length;
          }
        }
        const batch: RowBatch = { type: 'rows', reader: n, count: rows.length, values, times };
        const transfer: ArrayBuffer[] = [];
        if (ends) {
          const bytes = new Uint8Array(out.length);
          bytes.set(out.buf.subarray(0, out.length));
          batch.bytes = bytes;
          batch.ends = ends;
          transfer.push(bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer);
        }
        await reader.credit();
        post(batch, transfer);
      }
      await cursor.close();
      post({ type: 'end', reader: n });
    }
  };
  await Promise.all([...readers].map(([n, reader]) => run(n, reader)));
}

function decodeAll(model: TableModel, row: readonly (string | null)[]): unknown[] {
  const columns = model.columns;
  const values: unknown[] = new Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    const codec = columns[i].codec;
    values[i] = v === null || !codec ? undefined : codec.decode(v);
  }
  return values;
}

main().catch((err) => {
  post({ type: 'error', error: failure(err) });
});
