import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { freePort } from './ports.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const libDir = join(repoRoot, '.cache/mongo-java-server/lib');
const h2Dir = join(repoRoot, '.cache/mongo-java-server/h2');
const launcher = join(repoRoot, 'test/harness/java/MongoServerMain.java');

/**
 * A MongoDB endpoint for tests: the real replica set named by MONGODB_URL when set, otherwise mongo-java-server
 * (installed by scripts/install-mongo-java-server.sh) started with `java` on a free port, in memory.
 */
export interface MongoTestServer {
  readonly url: string;
  /** `mongo-java-server` or `mongodb` (a real server from MONGODB_URL) */
  readonly kind: 'mongo-java-server' | 'mongodb';
  /** A new client (the caller closes it). */
  client(): Promise<MongoClient>;
  /** Stops the wire server (cleanly: its H2 file is closed), keeping its data when started `persistent`. */
  stopServer(): Promise<void>;
  /** Starts the stopped wire server again on the same port (and H2 file). */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface MongoServerOptions {
  /** Start the wire server without its oplog: it then behaves like a server without change streams. */
  noOplog?: boolean;
  /** Ignore MONGODB_URL (for tests about the wire server itself). */
  forceWireServer?: boolean;
  /** Answer `hello` with an operationTime, which Debezium's MongoDB connector needs (test/conformance). */
  hello?: boolean;
  /**
   * Keep data and oplog in an H2 MVStore file (mongo-java-server's H2 backend) so that stopServer/startServer
   * keep them; the memory backend forgets everything when it stops. Not with `hello`.
   */
  persistent?: boolean;
}

/** Why the suite cannot run here, or undefined when it can. */
export function mongoAvailable(): string | undefined {
  if (process.env.MONGODB_URL) return undefined;
  if (!existsSync(libDir) || !readdirSync(libDir).some((f) => f.startsWith('mongo-java-server-memory-backend'))) {
    return `mongo-java-server not found in ${libDir}: run scripts/install-mongo-java-server.sh`;
  }
  return undefined;
}

export async function startMongo(options: MongoServerOptions = {}): Promise<MongoTestServer> {
  const external = process.env.MONGODB_URL;
  if (external && !options.forceWireServer) {
    const fixed = async () => {
      throw new Error('MONGODB_URL names a server this harness does not run: it cannot stop or start it');
    };
    return {
      url: external,
      kind: 'mongodb',
      client: () => new MongoClient(external).connect(),
      stopServer: fixed,
      startServer: fixed,
      async stop() {},
    };
  }
  const missing = mongoAvailable();
  if (missing) throw new Error(missing);
  if (options.persistent && !existsSync(h2Dir))
    throw new Error(`mongo-java-server's H2 backend not found in ${h2Dir}: run scripts/install-mongo-java-server.sh`);
  const port = await freePort();
  const dataDir = options.persistent ? mkdtempSync(join(tmpdir(), 'sluice-mongo-')) : undefined;
  const args = [
    '-cp',
    options.persistent ? `${libDir}/*:${h2Dir}/*` : `${libDir}/*`,
    launcher,
    String(port),
    ...(options.noOplog ? ['--no-oplog'] : []),
    ...(options.hello ? ['--hello'] : []),
    ...(dataDir ? ['--h2', join(dataDir, 'data.mv')] : []),
  ];
  let running = await launch(args);
  const url = `mongodb://127.0.0.1:${port}/`;
  return {
    url,
    kind: 'mongo-java-server',
    client: () => new MongoClient(url, { serverSelectionTimeoutMS: 10_000 }).connect(),
    stopServer: () => stopProcess(running.proc, running.exited),
    async startServer() {
      running = await launch(args);
    },
    async stop() {
      await stopProcess(running.proc, running.exited);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function launch(args: string[]): Promise<{ proc: ChildProcess; exited: Promise<number | null> }> {
  // stdin stays a pipe: the launcher exits when it closes, so a crashed test run leaves no server behind.
  const proc = spawn('java', ['-Xmx512m', '-XX:+UseSerialGC', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`mongo-java-server did not start within 60 s:\n${out.slice(-3000)}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 1_000_000) out = out.slice(-100_000);
      if (out.includes('MONGO-JAVA-SERVER READY')) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mongo-java-server exited with ${code}:\n${out.slice(-3000)}`));
    });
  });
  return { proc, exited };
}

async function stopProcess(proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.stdin?.end();
  const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(t);
}
