import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess } from '../harness/worker.js';
import { leaked, type Playground, playground, rssBytes } from './rest-support.js';

/**
 * Issue #21: a REST fuzz test against a real worker process. Generated requests — every endpoint and method, paths
 * with hostile connector names, hostile headers, bodies (JSON of every shape, connector configs full of config
 * provider references to /dev/zero, /proc/self/environ, FIFOs, symbolic links out of allowed.paths, `..`, huge,
 * deeply nested or not UTF-8 at all) and malformed HTTP on a raw socket. After every request: no 5xx; every 50: the
 * worker alive, /health answering within 2 s, its RSS bounded. No answer may ever hold a secret the worker's
 * providers or environment could reach. Seeded: the seed is printed; SLUICE_FUZZ_SEED=… replays a run.
 */

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 2000);
const RSS_LIMIT = 512 * 1024 * 1024;

type FuzzRequest =
  | { kind: 'http'; method: string; path: string; headers: Record<string, string>; body?: string | Uint8Array }
  | { kind: 'raw'; bytes: Buffer };

const CLASSES = [
  'FileStreamSource',
  'org.apache.kafka.connect.file.FileStreamSourceConnector',
  'FileStreamSink',
  'io.sluice.connectors.console.ConsoleSink',
  'io.debezium.connector.postgresql.PostgresConnector',
  'NoSuchConnector',
];

/** Percent-encoding; a lone surrogate (no UTF-8 form) becomes the bytes of one, which the worker must refuse. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

function requests(pg: Playground): fc.Arbitrary<FuzzRequest> {
  const hostileText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '..', '../..', '%00', '\u0000', '\u007f', '\u0085', 'é', '😀', '\ud800', '/', '%2F'),
    fc.constantFrom('x'.repeat(300), 'n'.repeat(100_000)),
  );
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'fz-sink', 'fz-pg') },
    { weight: 3, arbitrary: hostileText },
  );
  const inPath = (s: string, raw: boolean) => (raw ? s.replace(/[?#\s]/g, '') : enc(s));
  const reference = fc.constantFrom(...pg.references);
  const value = fc.oneof(
    { weight: 5, arbitrary: reference },
    { weight: 2, arbitrary: fc.tuple(reference, fc.string({ maxLength: 5 }), reference).map(([a, b, c]) => a + b + c) },
    { weight: 3, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.constantFrom('1', '2', '100000', '-1', 'true', 'all', 'none', '.*', '(a+)+$') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `\${${s}}`) },
  );
  const key = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'topic',
        'topics',
        'topics.regex',
        'file',
        'tasks.max',
        'batch.size',
        'poll.interval.ms',
        'errors.tolerance',
        'transforms',
        'transforms.t.type',
        'transforms.t.regex',
        'transforms.t.replacement',
        'value.converter',
        'key.converter',
        'value.converter.schemas.enable',
        'name',
        'database.password',
        'database.user',
        'database.dbname',
        'topic.prefix',
        'producer.override.linger.ms',
        'predicates',
      ),
    },
    { weight: 1, arbitrary: hostileText },
  );
  // Configs a connector runs with, topics and files among them from providers: what GET …/topics, …/tasks,
  // …/status and …/offsets of a running connector must keep secret.
  const runnable = fc.oneof(
    fc.record({
      'connector.class': fc.constant('FileStreamSource'),
      file: fc.constant(join(pg.dir, 'in.txt')),
      topic: fc.constantFrom(
        'fuzz',
        `\${file:${pg.allowed}/db.properties:topic}`,
        '${env:SLUICE_FUZZ_ALLOWED}',
        `\${any:${pg.outside}/other.properties:token}`,
        `\${dir:${pg.allowed}:api-key}`,
      ),
      'poll.interval.ms': fc.constantFrom('100', '1000'),
    }),
    fc.record({
      'connector.class': fc.constantFrom('FileStreamSink', 'io.sluice.connectors.console.ConsoleSink'),
      file: fc.constantFrom(join(pg.dir, 'out', 'sink.txt'), `\${file:${pg.allowed}/db.properties:password}`),
      'topics.regex': fc.constantFrom('.*', 'fuzz|topic.*', '(a+)+$'),
    }),
  );
  const generated = fc
    .tuple(
      fc.constantFrom(...CLASSES, undefined),
      fc.dictionary(key, value, { maxKeys: 4 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    )
    .map(([cls, extra, out]) => {
      const c: Record<string, string> = { ...extra };
      if (cls) c['connector.class'] = cls;
      // What the fuzzer may write is confined to the playground: a sink's file is a file in out/ or a reference
      // (resolving to a relative name, which lands in the worker's directory, the playground).
      if (/Sink/.test(cls ?? '') && !(c.file ?? '').startsWith('${'))
        c.file = join(pg.dir, 'out', out.replace(/[^A-Za-z0-9]/g, '_') || 'sink');
      if (/Sink/.test(cls ?? '') && !c.topics && !c['topics.regex']) c.topics = 'fuzz';
      if (/Source/.test(cls ?? '') && !c.file) c.file = join(pg.dir, 'in.txt');
      // PostgreSQL: never a real server; refused at once rather than a DNS lookup of a generated name.
      if (/postgres/i.test(cls ?? '')) Object.assign(c, { 'database.hostname': '127.0.0.1', 'database.port': '1' });
      return c;
    });
  const config = fc.oneof({ weight: 1, arbitrary: runnable }, { weight: 2, arbitrary: generated });
  const json = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    config,
    fc.record({ name, config }),
    fc.record({ name, config, initial_state: fc.constantFrom('RUNNING', 'PAUSED', 'STOPPED', 'nope', 7) }),
    fc.record({
      offsets: fc.array(fc.record({ partition: fc.jsonValue({ maxDepth: 2 }), offset: fc.jsonValue({ maxDepth: 2 }) })),
    }),
    fc.record({ level: fc.constantFrom('DEBUG', 'info', 'TRACE', 'nope', '') }),
  );
  const body = fc.oneof(
    { weight: 8, arbitrary: json.map((j) => JSON.stringify(j) as string | Uint8Array) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '['.repeat(200_000),
        '{"a":'.repeat(50_000),
        '{"__proto__":{"x":1}}',
        '{',
        'null',
        '"s"',
      ),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array([0x7b, 0xff, 0xfe, ...b])) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(1_200_000).fill(0x20)) },
  );
  const bool = fc.constantFrom('true', 'false', 'TRUE', 'x', '');
  const path = fc.oneof(
    fc.constantFrom('/', '/health', '/metrics', '/connectors', '/connector-plugins', '/admin/loggers'),
    fc.constantFrom('/connectors?expand=status', '/connectors?expand=info&expand=status', '/connectors?expand=x'),
    fc
      .tuple(
        name,
        fc.boolean(),
        fc.constantFrom(
          '',
          '/config',
          '/status',
          '/restart',
          '/pause',
          '/resume',
          '/stop',
          '/tasks',
          '/topics',
          '/topics/reset',
          '/offsets',
          '/tasks-config',
        ),
      )
      .map(([n, raw, tail]) => `/connectors/${inPath(n, raw)}${tail}`),
    fc
      .tuple(name, fc.oneof(fc.nat(3).map(String), hostileText), fc.constantFrom('/status', '/restart'))
      .map(([n, t, tail]) => `/connectors/${enc(n)}/tasks/${enc(t)}${tail}`),
    fc.tuple(name, bool, bool).map(([n, a, b]) => `/connectors/${enc(n)}/restart?includeTasks=${a}&onlyFailed=${b}`),
    fc
      .tuple(fc.oneof(fc.constantFrom(...CLASSES), hostileText), fc.constantFrom('/config', '/config/validate'))
      .map(([p, tail]) => `/connector-plugins/${enc(p)}${tail}`),
    fc
      .tuple(
        fc.oneof(fc.constantFrom('root', 'connector.fz-a', 'rest'), hostileText),
        fc.constantFrom('', '?scope=cluster'),
      )
      .map(([l, q]) => `/admin/loggers/${enc(l)}${q}`),
    hostileText.map((s) => `/${enc(s)}`),
  );
  const headers = fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'text/plain',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        '',
      ),
      authorization: fc.constantFrom('Basic Zm9vOmJhcg==', 'Bearer x', 'Basic !!!', ''),
      accept: fc.constantFrom('application/json', 'text/html', '*/*'),
      'x-forwarded-for': fc.constantFrom('127.0.0.1', '::1', 'evil'),
    },
    { requiredKeys: [] },
  );
  const anyHttp = fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      path,
      headers,
      fc.option(body, { freq: 2 }),
    )
    .map(([method, p, h, b]) => ({
      kind: 'http' as const,
      method,
      path: p,
      headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '')),
      body: method === 'GET' || method === 'HEAD' || b === null ? undefined : b,
    }));
  // Requests an API client would make, so most reach a handler: the method each path takes, the body it expects.
  const n = name.map((x) => enc(x));
  const asJson = (a: fc.Arbitrary<unknown>) => a.map((j) => JSON.stringify(j));
  const offsets = fc.record({
    offsets: fc.array(
      fc.record({
        partition: fc.oneof(fc.constant({ filename: join(pg.dir, 'in.txt') }), fc.jsonValue({ maxDepth: 2 })),
        offset: fc.oneof(fc.record({ position: fc.oneof(fc.nat(), fc.string()) }), fc.jsonValue({ maxDepth: 2 })),
      }),
      { maxLength: 3 },
    ),
  });
  const apiCall: fc.Arbitrary<[string, string, string | undefined]> = fc.oneof(
    fc.tuple(fc.constant('POST'), fc.constant('/connectors'), asJson(fc.record({ name, config }))),
    fc.tuple(
      fc.constant('PUT'),
      n.map((x) => `/connectors/${x}/config`),
      asJson(config),
    ),
    fc.tuple(
      fc.constant('PATCH'),
      n.map((x) => `/connectors/${x}/config`),
      asJson(fc.dictionary(key, fc.option(value), { maxKeys: 3 })),
    ),
    fc.tuple(
      fc.constant('PUT'),
      fc.constantFrom(...CLASSES).map((c) => `/connector-plugins/${c}/config/validate`),
      asJson(config),
    ),
    fc.tuple(
      fc.constant('GET'),
      fc
        .tuple(n, fc.constantFrom('', '/config', '/status', '/tasks', '/topics', '/offsets', '/tasks/0/status'))
        .map(([x, t]) => `/connectors/${x}${t}`),
      fc.constant(undefined),
    ),
    fc.tuple(
      fc.constant('GET'),
      fc.constantFrom('/connectors?expand=status&expand=info', '/metrics', '/health'),
      fc.constant(undefined),
    ),
    fc.tuple(
      fc.constantFrom('PUT', 'PUT', 'PUT'),
      fc
        .tuple(n, fc.constantFrom('/pause', '/resume', '/stop', '/topics/reset'))
        .map(([x, t]) => `/connectors/${x}${t}`),
      fc.constant(undefined),
    ),
    fc.tuple(
      fc.constant('POST'),
      fc
        .tuple(n, fc.constantFrom('/restart', '/restart?includeTasks=true&onlyFailed=true', '/tasks/0/restart'))
        .map(([x, t]) => `/connectors/${x}${t}`),
      fc.constant(undefined),
    ),
    fc.tuple(
      fc.constant('PATCH'),
      n.map((x) => `/connectors/${x}/offsets`),
      asJson(offsets),
    ),
    fc.tuple(
      fc.constant('DELETE'),
      fc.tuple(n, fc.constantFrom('', '/offsets')).map(([x, t]) => `/connectors/${x}${t}`),
      fc.constant(undefined),
    ),
    fc.tuple(
      fc.constant('PUT'),
      fc.constantFrom('root', 'connector.fz-a', 'rest').map((l) => `/admin/loggers/${l}`),
      asJson(fc.record({ level: fc.constantFrom('DEBUG', 'WARN', 'nope') })),
    ),
  );
  const api = fc.tuple(apiCall, headers).map(([[method, p, b], h]) => ({
    kind: 'http' as const,
    method,
    path: p,
    headers: {
      ...Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '')),
      'content-type': 'application/json',
    },
    body: b,
  }));
  const raw = fc
    .constantFrom(
      'GET /connectors HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
      'POST /connectors HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'POST /connectors HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n',
      'GET /connectors HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n',
      `GET /connectors HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`,
      'GET /connectors/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /connectors/a\u0000b HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
      'BREW /connectors HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /connectors HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET\r\n\r\n',
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    )
    .map((s) => ({ kind: 'raw' as const, bytes: Buffer.from(s, 'latin1') }));
  return fc.oneof({ weight: 12, arbitrary: api }, { weight: 7, arbitrary: anyHttp }, { weight: 1, arbitrary: raw });
}

/** Sends bytes on a fresh connection and returns what came back (the connection is closed after 2 s at most). */
function sendRaw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
  });
}

describe('REST fuzz', () => {
  let pg: Playground;
  let w: WorkerProcess;

  beforeAll(async () => {
    pg = playground('sluice-rest-fuzz-');
    w = await startWorker({
      dir: pg.dir,
      cwd: pg.dir,
      env: pg.env,
      worker: {
        ...pg.workerProviders,
        'offset.storage.file.filename': join(pg.dir, 'offsets.json'),
        'config.storage.file.filename': join(pg.dir, 'connectors.json'),
        'offset.flush.interval.ms': '500',
        'log.level': 'warn',
      },
    });
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(pg.dir, { recursive: true, force: true });
  });

  it(`answers ${RUNS} generated requests with no crash, no 5xx, bounded memory and no secret`, async () => {
    console.log(`REST fuzz: seed ${SEED}, ${RUNS} requests; replay with SLUICE_FUZZ_SEED=${SEED}`);
    const list = fc.sample(requests(pg), { seed: SEED, numRuns: RUNS });
    const pid = w.proc.pid as number;
    let maxRss = rssBytes(pid);
    const statuses = new Map<number, number>();
    const fail = (i: number, r: FuzzRequest, what: string) =>
      `request ${i} (seed ${SEED}): ${what}\n${r.kind === 'raw' ? JSON.stringify(r.bytes.toString('latin1').slice(0, 200)) : `${r.method} ${r.path.slice(0, 200)} ${String(r.body ?? '').slice(0, 300)}`}`;

    for (const [i, r] of list.entries()) {
      let status: number;
      let text: string;
      if (r.kind === 'raw') {
        text = await sendRaw(w.port, r.bytes);
        status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      } else {
        const res = await fetch(w.url + r.path, { method: r.method, headers: r.headers, body: r.body }).catch(
          (err: Error) => err,
        );
        if (res instanceof Error) {
          // The client may refuse what it generated (a header it will not send); the worker must still be fine.
          status = 0;
          text = '';
        } else {
          status = res.status;
          text = `${[...res.headers].join('\n')}\n${await res.text()}`;
        }
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status < 500, fail(i, r, `answered ${status}: ${text.slice(0, 500)}`)).toBe(true);
      expect(leaked(text, pg.tokens), fail(i, r, `a secret in the answer: ${text.slice(0, 1500)}`)).toEqual([]);

      if (i % 50 === 49) {
        expect(w.proc.exitCode, fail(i, r, 'the worker exited')).toBeNull();
        const started = Date.now();
        const health = await fetch(`${w.url}/health`, { signal: AbortSignal.timeout(10_000) });
        expect(health.status, fail(i, r, '/health')).toBe(200);
        expect(Date.now() - started, fail(i, r, '/health was slow')).toBeLessThan(2000);
        maxRss = Math.max(maxRss, rssBytes(pid));
        expect(maxRss, fail(i, r, 'RSS')).toBeLessThan(RSS_LIMIT);
      }
      // Connectors the fuzzer made pile up as tasks; a clean slate now and then keeps the run about requests.
      if (i % 400 === 399) {
        const names = (await (await fetch(`${w.url}/connectors`)).json()) as string[];
        for (const n of names) await fetch(`${w.url}/connectors/${encodeURIComponent(n)}`, { method: 'DELETE' });
      }
    }
    expect(w.proc.exitCode).toBeNull();
    console.log(
      `REST fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, max RSS ${Math.round(maxRss / 2 ** 20)} MiB`,
    );
    // The run reached the handlers, not only the router's 404s.
    for (const s of [200, 201, 204, 400, 404]) expect(statuses.get(s) ?? 0, `answers with ${s}`).toBeGreaterThan(0);
  });
});
