import net from 'node:net';

/**
 * A TCP proxy between a worker and a server, for network faults: the connector is pointed at the proxy, and a test
 * cuts the network (every connection reset, new ones refused), stalls it (no byte moves either way, connections
 * stay open — a partition that nothing reports), or drops the connections once. `restore()` heals a cut or a
 * stall; after a stall the bytes held back flow on, and closes that happened meanwhile arrive then.
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** connections accepted since the proxy started */
  readonly accepted: number;
  /** connections open now */
  readonly open: number;
  /** resets every open connection and refuses (resets) new ones until restore() */
  cut(): void;
  /** stops moving bytes on every connection, old and new, until restore() */
  stall(): void;
  restore(): void;
  /** resets every open connection once; new ones are served */
  dropConnections(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  /** teardown held back while stalled */
  deferred?: () => void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'pass' | 'cut' | 'stall' = 'pass';
  let accepted = 0;
  const pairs = new Set<Pair>();

  const reset = (s: net.Socket) => {
    if (!s.destroyed) s.resetAndDestroy();
  };
  const teardown = (p: Pair, how: 'end' | 'reset') => {
    const run = () => {
      pairs.delete(p);
      if (how === 'end') {
        p.client.end();
        p.server.end();
        setTimeout(() => {
          p.client.destroy();
          p.server.destroy();
        }, 1000).unref();
      } else {
        reset(p.client);
        reset(p.server);
      }
    };
    if (mode === 'stall') p.deferred ??= run;
    else run();
  };
  /** a → b, pausing a while b's buffer is full; nothing moves while stalled */
  const pipe = (p: Pair, a: net.Socket, b: net.Socket) => {
    a.on('data', (d: Buffer) => {
      if (!b.write(d)) a.pause();
    });
    b.on('drain', () => {
      if (mode !== 'stall') a.resume();
    });
    a.on('end', () => teardown(p, 'end'));
    a.on('error', () => teardown(p, 'reset'));
    a.on('close', () => teardown(p, 'reset'));
  };

  const server = net.createServer((client) => {
    accepted++;
    if (mode === 'cut') {
      client.on('error', () => undefined);
      reset(client);
      return;
    }
    client.pause();
    const upstream = net.connect(target.port, target.host);
    const p: Pair = { client, server: upstream };
    pairs.add(p);
    pipe(p, client, upstream);
    pipe(p, upstream, client);
    if (mode === 'stall') upstream.pause();
    else client.resume();
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) {
        pairs.delete(p);
        reset(p.client);
        reset(p.server);
      }
    },
    stall() {
      mode = 'stall';
      for (const p of pairs) {
        p.client.pause();
        p.server.pause();
      }
    },
    restore() {
      mode = 'pass';
      for (const p of [...pairs]) {
        if (p.deferred) {
          p.deferred();
          continue;
        }
        p.client.resume();
        p.server.resume();
      }
    },
    dropConnections() {
      for (const p of [...pairs]) {
        pairs.delete(p);
        reset(p.client);
        reset(p.server);
      }
    },
    async close() {
      for (const p of pairs) {
        reset(p.client);
        reset(p.server);
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
