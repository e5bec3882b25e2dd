import { type ChildProcess, spawn } from 'node:child_process';
import { run } from './run.js';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

/**
 * Apicurio Registry from Maven Central (scripts/install-apicurio.sh), on a free 127.0.0.1 port, in-memory storage,
 * global compatibility BACKWARD (Confluent's default; Apicurio's own is NONE). Tests use its Confluent-compatible
 * API, `url` (…/apis/ccompat/v7). Storage is H2 in a file of its temp dir, so `stop()` then `start()` brings the
 * same registry back on the same port with its schemas and ids.
 *
 * And Confluent's own Python client (.cache/confluent-python), which decodes what sluice wrote: schema fetched from
 * the registry by the id in each message, Avro read by Confluent's AvroDeserializer — never by our decoder.
 */
export const APICURIO_VERSION = process.env.APICURIO_VERSION ?? '3.0.9';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..').replace(/\/dist$/, '');
const apicurioDir = join(repoRoot, '.cache', `apicurio-${APICURIO_VERSION}`);
export const confluentPython = join(repoRoot, '.cache', 'confluent-python', 'bin', 'python');

export interface Registry {
  /** the Confluent-compatible API: http://127.0.0.1:<port>/apis/ccompat/v7 */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** SIGTERM and wait for the exit */
  stop(): Promise<void>;
  /** again on the same port and storage; resolves when it answers */
  start(): Promise<void>;
  logTail(lines?: number): string;
  /** stop, and remove its log directory (kept with SLUICE_KEEP=1) */
  close(): Promise<void>;
}

/** Why the registry or the Python client cannot be used here, or undefined when they can. */
export function registryAvailable(): string | undefined {
  if (!existsSync(join(apicurioDir, '.complete')))
    return `Apicurio ${APICURIO_VERSION} not found: run scripts/install-apicurio.sh`;
  if (!existsSync(confluentPython)) return 'confluent-kafka (Python) not found: run scripts/install-apicurio.sh';
  return undefined;
}

/** Fails the suite when the registry cannot run (no silent skip). */
export function requireRegistry(): void {
  const missing = registryAvailable();
  if (missing) throw new Error(missing);
}

export async function startRegistry(): Promise<Registry> {
  requireRegistry();
  const port = await freePort();
  const managementPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-apicurio-'));
  const log = join(dir, 'registry.log');
  const runner = readFileSync(join(apicurioDir, 'runner'), 'utf8').trim();
  let child: ChildProcess | undefined;
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;

  const launch = async () => {
    const fd = openSync(log, 'a');
    child = spawn(
      'java',
      [
        '-Xmx384m',
        '-XX:+UseSerialGC',
        `-Dquarkus.http.host=127.0.0.1`,
        `-Dquarkus.http.port=${port}`,
        `-Dquarkus.management.host=127.0.0.1`,
        `-Dquarkus.management.port=${managementPort}`,
        '-Dapicurio.rules.global.compatibility=BACKWARD',
        // H2 in a file instead of memory: a registry stopped and started again keeps its schemas and ids, as a
        // real one does (ids restarting at 1 would point old messages at other schemas).
        `-Dapicurio.datasource.url=jdbc:h2:file:${join(dir, 'h2', 'registry')}`,
        // Its pool opens 20 connections at start and waits 5 s for one: too short on a loaded two-core machine,
        // where reopening the file failed the restart ("Acquisition timeout while waiting for new connection").
        '-Dapicurio.datasource.jdbc.initial-size=2',
        '-Dapicurio.datasource.jdbc.min-size=2',
        '-Dquarkus.datasource.h2.jdbc.acquisition-timeout=120S',
        '-Dquarkus.log.console.color=false',
        '-jar',
        join(apicurioDir, runner),
      ],
      { cwd: apicurioDir, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Apicurio exited with ${child.exitCode}:\n${tail(log, 40)}`);
      try {
        const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`Apicurio did not answer within 180 s:\n${tail(log, 40)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    stop,
    start: launch,
    logTail: (lines = 60) => tail(log, lines),
    async close() {
      await stop();
      if (!process.env.SLUICE_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A request to the registry's Confluent API (tests: configs, subjects, versions). */
export async function registryRequest(
  registry: Registry,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${registry.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, body: parsed };
}

export interface DecodedMessage {
  readonly partition: number;
  readonly offset: number;
  /** the schema id in the message's Confluent header; null for a null key/value */
  readonly keyId: number | null;
  readonly valueId: number | null;
  /** decoded by Confluent's AvroDeserializer, in the JSON form decode-avro.py writes (see there) */
  readonly key: unknown;
  readonly value: unknown;
}

/**
 * Every message of `topic` (all partitions, from the start) decoded with Confluent's Python client: librdkafka
 * consumes, AvroDeserializer fetches each schema by id from the registry and decodes. Stops after `expected`
 * messages or when the topic has been idle for idleMs.
 */
export async function decodeWithConfluent(o: {
  bootstrap: string;
  registryUrl: string;
  topic: string;
  expected: number;
  timeoutMs?: number;
}): Promise<DecodedMessage[]> {
  const script = join(repoRoot, 'test', 'harness', 'python', 'decode-avro.py');
  const r = await run(
    confluentPython,
    [script, o.bootstrap, o.registryUrl, o.topic, String(o.expected), String(o.timeoutMs ?? 60_000)],
    { timeoutMs: (o.timeoutMs ?? 60_000) + 30_000 },
  );
  if (r.status !== 0) throw new Error(`decode-avro.py failed (${r.status}): ${r.stderr.slice(-3000)}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DecodedMessage);
}
