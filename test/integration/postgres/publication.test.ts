import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { TaskDriver } from './task-driver.js';

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql('CREATE TABLE pa (id int PRIMARY KEY); CREATE TABLE pb (id int PRIMARY KEY)');
});
afterAll(async () => {
  await pg?.stop();
});

function config(name: string, extra: Record<string, string>): Record<string, string> {
  return {
    ...pg.connectorConfig(),
    'topic.prefix': 'srv',
    'slot.name': name,
    'publication.name': name,
    'snapshot.mode': 'no_data',
    ...extra,
  };
}

async function publication(name: string): Promise<{ all: boolean; tables: string[] } | undefined> {
  const [p] = await pg.sql<{ puballtables: boolean }>('SELECT puballtables FROM pg_publication WHERE pubname = $1', [
    name,
  ]);
  if (!p) return undefined;
  const tables = await pg.sql<{ t: string }>(
    "SELECT schemaname || '.' || tablename AS t FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1",
    [name],
  );
  return { all: p.puballtables, tables: p.puballtables ? [] : tables.map((r) => r.t) };
}

const ids = (d: TaskDriver) =>
  d.records.filter((r) => r.value !== null).map((r) => `${r.topic}:${(r.key as { id: number }).id}`);

describe('postgres source: publication.autocreate.mode', () => {
  it('all_tables (the default) creates the publication FOR ALL TABLES', async () => {
    const d = new TaskDriver(config('p_all', { 'table.include.list': 'public\\.pa' }));
    await d.start();
    try {
      expect(await publication('p_all')).toEqual({ all: true, tables: [] });
      await pg.sql('INSERT INTO pb VALUES (1); INSERT INTO pa VALUES (1)');
      // The publication has every table; the filters still decide what is captured.
      await d.pollUntil((r) => r.length >= 1);
      await d.drain(300);
      expect(ids(d)).toEqual(['srv.public.pa:1']);
    } finally {
      await d.stop();
    }
  });

  it('filtered creates it for the captured tables and sets them again when the filters change', async () => {
    const first = new TaskDriver(
      config('p_filt', { 'publication.autocreate.mode': 'filtered', 'table.include.list': 'public\\.pa' }),
    );
    await first.start();
    await first.stop();
    expect(await publication('p_filt')).toEqual({ all: false, tables: ['public.pa'] });
    const second = new TaskDriver(
      config('p_filt', { 'publication.autocreate.mode': 'filtered', 'table.include.list': 'public\\.p[ab]' }),
    );
    await second.start();
    await second.stop();
    expect(await publication('p_filt')).toEqual({ all: false, tables: ['public.pa', 'public.pb'] });
  });

  it('no_tables creates an empty publication: nothing is streamed until a table is added to it', async () => {
    const d = new TaskDriver(
      config('p_none', { 'publication.autocreate.mode': 'no_tables', 'table.include.list': 'public\\.p[ab]' }),
    );
    await d.start();
    try {
      expect(await publication('p_none')).toEqual({ all: false, tables: [] });
      await pg.sql('INSERT INTO pa VALUES (2)');
      await d.drain(800);
      expect(d.records).toEqual([]);
      await pg.sql('ALTER PUBLICATION p_none ADD TABLE pb; INSERT INTO pa VALUES (3); INSERT INTO pb VALUES (3)');
      await d.pollUntil((r) => r.length >= 1);
      await d.drain(300);
      expect(ids(d)).toEqual(['srv.public.pb:3']);
    } finally {
      await d.stop();
    }
    // An existing publication is left as it is.
    const again = new TaskDriver(
      config('p_none', { 'publication.autocreate.mode': 'no_tables', 'table.include.list': 'public\\.p[ab]' }),
    );
    await again.start();
    await again.stop();
    expect(await publication('p_none')).toEqual({ all: false, tables: ['public.pb'] });
  });

  it('disabled uses an existing publication unchanged', async () => {
    await pg.sql('CREATE PUBLICATION p_off FOR TABLE pb');
    const d = new TaskDriver(
      config('p_off', { 'publication.autocreate.mode': 'disabled', 'table.include.list': 'public\\.p[ab]' }),
    );
    await d.start();
    try {
      expect(await publication('p_off')).toEqual({ all: false, tables: ['public.pb'] });
      await pg.sql('INSERT INTO pa VALUES (4); INSERT INTO pb VALUES (4)');
      await d.pollUntil((r) => r.length >= 1);
      await d.drain(300);
      expect(ids(d)).toEqual(['srv.public.pb:4']);
    } finally {
      await d.stop();
    }
  });
});

describe('postgres source: connectors sharing one publication', () => {
  it('start together: the one that loses the race to CREATE PUBLICATION uses the one the other created', async () => {
    // Each round is a fresh publication, so both connectors find none and both try to create it.
    for (let round = 0; round < 4; round++) {
      const pub = `p_shared${round}`;
      const drivers = ['a', 'b'].map(
        (x) =>
          new TaskDriver({
            ...config(`${pub}_${x}`, { 'table.include.list': 'public\\.pa' }),
            'publication.name': pub,
          }),
      );
      try {
        await Promise.all(drivers.map((d) => d.start()));
        expect(await publication(pub)).toEqual({ all: true, tables: [] });
      } finally {
        await Promise.all(drivers.map((d) => d.stop()));
      }
    }
  });
});
