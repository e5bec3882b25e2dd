import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonConverter } from '../../../runtime/converters/json.js';
import { StringConverter } from '../../../runtime/converters/simple.js';
import type { Converter } from '../../../runtime/api/index.js';
import type { ChangeRecord } from '../../../runtime/data/index.js';
import type { RecordTap } from '../../../runtime/tasks/tap.js';
import type { InspectedRecord, InspectStage, InspectStats } from '../../../runtime/ui/api-types.js';
import { Inspector } from '../../../runtime/ui/inspector/hub.js';
import { nameMatcher } from '../../../runtime/ui/inspector/render.js';
import type { Herder } from '../../../runtime/worker/herder.js';

const converters = {
  key: new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' }),
  value: new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' }),
  header: new StringConverter(),
};

/** The part of the herder the inspector uses: where it sets and unsets the runners' tap. */
function herderWithTaps() {
  const taps = new Map<string, RecordTap | undefined>();
  const changes: Array<[string, boolean]> = [];
  const herder = {
    workerId: 'w1',
    has: (name: string) => name === 'shop',
    status: () => ({ tasks: [{ id: 0, state: 'RUNNING', worker_id: 'w1' }] }),
    setTap(name: string, tap: RecordTap | undefined) {
      taps.set(name, tap);
      changes.push([name, tap !== undefined]);
    },
  };
  return { herder: herder as unknown as Herder, taps, changes };
}

const batch = (n: number, from = 0): ChangeRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    topic: 't',
    key: null,
    value: { id: from + i, password: 'hunter2', note: 'the resolved secret s3cr3t-value here' },
    headers: [],
    sourcePartition: {},
    sourceOffset: { n: from + i },
  }));

interface Client {
  events: Array<{ event: string; data: unknown }>;
  res: IncomingMessage;
  ended: Promise<void>;
}

describe('event inspector streams', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  async function serve(inspector: Inspector, rate: number, stage: InspectStage = 'read'): Promise<Client> {
    server = createServer((_req, res) => inspector.watch({ connector: 'shop', stage, rate }, res, ['s3cr3t-value']));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const events: Client['events'] = [];
    const res = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/`, resolve));
    let buffer = '';
    const ended = new Promise<void>((resolve) => {
      res.on('end', resolve);
      res.on('close', resolve);
    });
    res.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
        events.push({ event, data: JSON.parse(data) });
      }
    });
    return { events, res, ended };
  }

  const until = async (what: string, fn: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!fn()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('sets the tap only while someone watches, and unsets it when the last one goes', async () => {
    const { herder, taps, changes } = herderWithTaps();
    const inspector = new Inspector(herder, nameMatcher(['password']));
    expect(taps.get('shop')).toBeUndefined();
    const c = await serve(inspector, 5);
    await until('hello', () => c.events.some((e) => e.event === 'hello'));
    expect(typeof taps.get('shop')).toBe('function');
    expect(inspector.watching).toBe(1);
    c.res.destroy();
    await until('the tap to be unset', () => inspector.watching === 0);
    expect(taps.get('shop')).toBeUndefined();
    expect(changes).toEqual([
      ['shop', true],
      ['shop', false],
    ]);
  });

  it('samples at most `rate` records a second, counts all it saw, and masks what it sends', async () => {
    const { herder, taps } = herderWithTaps();
    const inspector = new Inspector(herder, nameMatcher(['password']));
    const c = await serve(inspector, 10);
    await until('hello', () => c.events.some((e) => e.event === 'hello'));
    const tap = taps.get('shop') as RecordTap;
    const started = Date.now();
    let offered = 0;
    // 100,000 records in 1,000-record batches over about a second.
    for (let i = 0; i < 100; i++) {
      const b = batch(1000, offered);
      tap(0, b, b, converters);
      offered += b.length;
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (Date.now() - started) / 1000;
    await until('stats counting every record', () =>
      c.events.some((e) => e.event === 'stats' && (e.data as InspectStats).seen === offered),
    );
    const records = c.events.filter((e) => e.event === 'record').map((e) => e.data as InspectedRecord);
    // One token to start with, then `rate` a second.
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThanOrEqual(1 + Math.ceil(10 * seconds));
    for (const r of records) {
      expect(r.value).not.toContain('hunter2');
      expect(r.value).not.toContain('s3cr3t-value');
      expect(r.value).toContain('[hidden]');
      expect(r.masked).toBe(true);
    }
    // Samples are spread over the stream, not the first records of each batch only.
    expect(new Set(records.map((r) => r.sourceOffset)).size).toBe(records.length);
    c.res.destroy();
    await until('the tap to be unset', () => taps.get('shop') === undefined);
  });

  it('at stage "converted", waits until a converter that needs preparing (a registry\'s) is ready', async () => {
    const { herder, taps } = herderWithTaps();
    const inspector = new Inspector(herder, nameMatcher(['password']));
    // A converter that, like a registry-backed one, refuses to write a topic it was not prepared for.
    const json = new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' });
    const ready = new Set<string>();
    const prepared: string[] = [];
    const registryLike: Converter = {
      fromRecord(topic, schema, value) {
        if (!ready.has(topic)) throw new Error(`not prepared for ${topic}`);
        return json.fromRecord(topic, schema, value);
      },
      toRecord: (topic, bytes) => json.toRecord(topic, bytes),
      prepareFromRecord(topic, _schema, value) {
        if (ready.has(topic)) return undefined;
        prepared.push(JSON.stringify(value));
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            ready.add(topic);
            resolve();
          }, 50),
        );
      },
    };
    const c = await serve(inspector, 5, 'converted');
    await until('hello', () => c.events.some((e) => e.event === 'hello'));
    const tap = taps.get('shop') as RecordTap;
    const b = batch(1);
    tap(0, b, b, { ...converters, value: registryLike });
    await until('the record', () => c.events.some((e) => e.event === 'record'));
    expect(c.events.filter((e) => e.event === 'failure')).toEqual([]);
    const r = c.events.find((e) => e.event === 'record')?.data as InspectedRecord;
    expect(JSON.parse(r.value)).toEqual({ id: 0, password: '[hidden]', note: expect.stringContaining('[hidden]') });
    // It was prepared with the masked values, never the secret.
    expect(prepared.join()).not.toContain('hunter2');
    c.res.destroy();
  });

  it('ends every stream when the worker closes, with a last stats event', async () => {
    const { herder } = herderWithTaps();
    const inspector = new Inspector(herder, nameMatcher(['password']));
    const c = await serve(inspector, 5);
    await until('hello', () => c.events.some((e) => e.event === 'hello'));
    inspector.closeAll();
    await c.ended;
    expect(c.events.map((e) => e.event).slice(-2)).toEqual(['stats', 'end']);
    expect(c.events.at(-1)?.data).toEqual({ reason: 'shutdown' });
    expect(inspector.watching).toBe(0);
  });
});
