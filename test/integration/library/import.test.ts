import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../harness/ports.js';
import { repoRoot } from '../../harness/worker.js';

interface State {
  resources: string[];
  packages: string[];
}

const DRIVERS = ['pg', 'pg-logical-replication', 'mysql2', 'mongodb', 'kafkajs', 'fastify'];

describe("import 'sluice'", () => {
  it('starts nothing, opens no socket and loads no driver until capture() is iterated', async () => {
    // A port where nothing listens: the first next() must fail to connect, having loaded the PostgreSQL driver.
    const port = await freePort();
    const out = execFileSync(
      process.execPath,
      [join(repoRoot, 'test/integration/library/fixtures/import-probe.mjs'), String(port)],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const r = JSON.parse(out) as {
      before: State;
      afterImport: State;
      afterCapture: State;
      afterNext: State;
      error: string;
    };
    for (const s of [r.afterImport, r.afterCapture]) {
      expect(s.resources).toEqual(r.before.resources);
      expect(s.packages.filter((p) => DRIVERS.includes(p))).toEqual([]);
    }
    expect(r.afterNext.packages).toContain('pg');
    expect(r.afterNext.packages.filter((p) => DRIVERS.includes(p) && !p.startsWith('pg'))).toEqual([]);
    expect(r.error).toMatch(/^ConnectError: .*cannot connect to PostgreSQL/);
  });
});
