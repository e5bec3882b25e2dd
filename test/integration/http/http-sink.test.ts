import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpSinkPlugin } from '../../../connectors/http/index.js';
import { retryAfterMs } from '../../../connectors/http/client.js';
import { type ChangeRecord, Schemas } from '../../../runtime/api/index.js';
import { SinkDriver } from '../../harness/sink-driver.js';

/** The HTTP sink against a real HTTP server started by the test, answering as each case scripts it. */

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

let server: Server;
let url: string;
let received: Received[] = [];
let answer: (req: Received, n: number) => Answer = () => ({ status: 200 });
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const a = answer(r, received.length);
      received.push(r);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  received = [];
  answer = () => ({ status: 200 });
  maxInFlight = 0;
});

const VALUE = Schemas.struct(
  [
    ['id', Schemas.int64()],
    ['n', Schemas.int32()],
    ['bad', Schemas.boolean(true)],
  ],
  false,
  { name: 'orders.Value' },
);

function record(partition: number, n: number, bad = false): ChangeRecord {
  return {
    topic: 'orders',
    kafkaPartition: partition,
    keySchema: Schemas.int64(),
    key: partition,
    valueSchema: VALUE,
    value: { id: 9007199254740993n, n, bad },
    headers: [],
    sourcePartition: { topic: 'orders', partition },
    sourceOffset: { offset: n },
  };
}

async function withSink<T>(
  config: Record<string, string>,
  f: (s: SinkDriver) => Promise<T>,
  reporter: 'none' | 'collect' = 'none',
): Promise<T> {
  const s = new SinkDriver(
    httpSinkPlugin,
    { 'http.url': url, 'http.retry.backoff.ms': '20', ...config },
    reporter,
    false,
  );
  await s.start();
  try {
    return await f(s);
  } finally {
    await s.stop();
  }
}

/** The records every accepted (2xx) request carried, parsed, in arrival order. */
function accepted(statusOf: (r: Received, i: number) => number): Array<{ n: number; bad: boolean }> {
  return received.flatMap((r, i) => {
    if (statusOf(r, i) >= 300) return [];
    const text = r.body.trim();
    const items = text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l));
    return items.map((x: { value?: unknown }) => (x.value ?? x) as { n: number; bad: boolean });
  });
}

describe('HTTP sink', () => {
  it('POSTs batches as a JSON array with the configured headers and a bearer token; PUT with NDJSON and basic auth', async () => {
    await withSink(
      {
        'http.batch.size': '500',
        'http.headers': 'X-Team: cdc|X-Env: test',
        'http.auth.type': 'bearer',
        'http.auth.token': 's3cr3t',
      },
      (s) => s.put(Array.from({ length: 1200 }, (_, n) => record(0, n))),
    );
    expect(received.map((r) => [r.method, JSON.parse(r.body).length])).toEqual([
      ['POST', 500],
      ['POST', 500],
      ['POST', 200],
    ]);
    expect(received[0].headers).toMatchObject({
      'content-type': 'application/json',
      'x-team': 'cdc',
      'x-env': 'test',
      authorization: 'Bearer s3cr3t',
    });
    // int64 beyond 2^53 keeps every digit.
    expect(received[0].body.slice(0, 40)).toBe('[{"id":9007199254740993,"n":0,"bad":fals');
    received = [];
    await withSink(
      {
        'http.method': 'PUT',
        'http.format': 'ndjson',
        'http.record.format': 'record',
        'http.auth.type': 'basic',
        'http.auth.username': 'u',
        'http.auth.password': 'p w',
      },
      (s) => s.put([record(3, 1), { ...record(3, 2), value: null, valueSchema: undefined }]),
    );
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('PUT');
    expect(received[0].headers.authorization).toBe(`Basic ${Buffer.from('u:p w').toString('base64')}`);
    expect(received[0].body).toBe(
      '{"topic":"orders","partition":3,"key":3,"value":{"id":9007199254740993,"n":1,"bad":false}}\n{"topic":"orders","partition":3,"key":3,"value":null}\n',
    );
  });

  it('retries a 503, then waits as a 429 Retry-After says; every record arrives once', async () => {
    const statuses = [503, 429, 200];
    answer = (_r, i) => (i === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: statuses[i] ?? 200 });
    await withSink({}, (s) => s.put(Array.from({ length: 10 }, (_, n) => record(0, n))));
    expect(received).toHaveLength(3);
    expect(received[2].at - received[1].at).toBeGreaterThanOrEqual(950);
    expect(accepted((_r, i) => statuses[i] ?? 200).map((x) => x.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a 400 for one record: that record goes to the errant record reporter, every other arrives, in order per partition', async () => {
    const status = (r: Received) => (r.body.includes('"bad":true') ? 400 : 200);
    answer = (r) => ({ status: status(r), body: status(r) === 400 ? 'field bad must be false' : '' });
    const records = [0, 1, 2].flatMap((p) =>
      Array.from({ length: 30 }, (_, n) => record(p, p * 100 + n, p === 1 && n === 17)),
    );
    const reported = await withSink(
      { 'http.batch.size': '7', 'http.max.in.flight': '3' },
      async (s) => {
        await s.put(records);
        return s.reported;
      },
      'collect',
    );
    expect(reported.map((r) => (r.record.value as { n: number }).n)).toEqual([117]);
    expect(String(reported[0].error)).toMatch(
      /rejected the record \(topic orders, position orders-1@117\): HTTP 400: field bad must be false/,
    );
    const got = accepted(status).map((x) => x.n);
    for (const p of [0, 1, 2]) {
      const mine = got.filter((n) => Math.floor(n / 100) === p);
      expect(mine).toEqual(Array.from({ length: 30 }, (_, n) => p * 100 + n).filter((n) => n !== 117));
    }
    // Without a reporter the put fails, naming the record.
    received = [];
    await withSink({}, async (s) => {
      await expect(s.put([record(1, 117, true)])).rejects.toThrow(/position orders-1@117\): HTTP 400/);
    });
  });

  it('never has two requests in flight for one partition, and runs partitions side by side', async () => {
    const perPartition = new Map<number, number>();
    let overlap = false;
    answer = (r) => {
      const p = Math.floor((JSON.parse(r.body)[0] as { n: number }).n / 1000);
      const now = (perPartition.get(p) ?? 0) + 1;
      perPartition.set(p, now);
      if (now > 1) overlap = true;
      setTimeout(() => perPartition.set(p, (perPartition.get(p) ?? 1) - 1), 30);
      return { status: 200, delayMs: 30 };
    };
    const records = [0, 1, 2, 3].flatMap((p) => Array.from({ length: 40 }, (_, n) => record(p, p * 1000 + n)));
    await withSink({ 'http.batch.size': '5', 'http.max.in.flight': '4' }, (s) => s.put(records));
    expect(overlap).toBe(false);
    expect(maxInFlight).toBeGreaterThan(1);
    const got = accepted(() => 200).map((x) => x.n);
    for (const p of [0, 1, 2, 3])
      expect(got.filter((n) => Math.floor(n / 1000) === p)).toEqual(Array.from({ length: 40 }, (_, n) => p * 1000 + n));
  });

  it('gives up after http.retry.max with a retriable error; the runtime retrying the same put skips what was delivered', async () => {
    let down = true;
    answer = (r) => ({ status: down && r.body.includes('"n":2') ? 503 : 200 });
    await withSink({ 'http.batch.size': '1', 'http.retry.max': '2' }, async (s) => {
      const records = [0, 1, 2, 3].map((n) => record(0, n));
      const err = await s.put(records).catch((e) => e);
      expect(err).toMatchObject({ retriable: true });
      expect(String(err)).toMatch(/not delivered to the endpoint: HTTP 503/);
      down = false;
      await s.put(records);
    });
    expect(accepted((r) => (r.body.includes('"n":2') && received.indexOf(r) < 5 ? 503 : 200)).map((x) => x.n)).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it('refuses a URL with credentials, a non-HTTP URL and a malformed header, without echoing values', async () => {
    const bad = async (config: Record<string, string>) => {
      const s = new SinkDriver(httpSinkPlugin, config, 'none', false);
      return String(await s.start().catch((e) => e));
    };
    expect(await bad({ 'http.url': 'http://user:hunter2@h/x' })).toMatch(/credentials inside http.url/);
    expect(await bad({ 'http.url': 'file:///etc/passwd' })).toMatch(/must be http:\/\/ or https:\/\//);
    const header = await bad({ 'http.url': url, 'http.headers': 'NoColonSecretValue' });
    expect(header).toMatch(/is not a header name/);
    expect(header).not.toContain('SecretValue');
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('99999999')).toBe(600_000);
    expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
