import { describe, expect, it } from 'vitest';
import { ConnectError } from '../../../runtime/api/index.js';
import { resumableCollections } from '../../../connectors/cdc/incremental.js';
import { SignalError, type SnapshotRequest } from '../../../connectors/cdc/signals.js';

describe('resumableCollections (snapshot.resumable=true)', () => {
  it('asks for every table by its exact name: dots and other pattern characters are escaped', async () => {
    const asked: SnapshotRequest[] = [];
    const source = {
      resolve: async (_id: string, req: SnapshotRequest) => {
        asked.push(req);
        return [];
      },
    };
    await resumableCollections(source, 'initial-snapshot', ['app.orders', 'app.a+b'], { connector: 'c' });
    expect(asked).toEqual([{ kind: 'incremental', collections: ['app\\.orders', 'app\\.a\\+b'], conditions: [] }]);
  });

  it('asks nothing when there is no table', async () => {
    const source = {
      resolve: async () => {
        throw new Error('not asked');
      },
    };
    expect(await resumableCollections(source, 'initial-snapshot', [], {})).toEqual([]);
  });

  it('a table the chunks cannot read fails with a ConnectError naming why, without the signal prefix', async () => {
    const source = {
      resolve: async (): Promise<never> => {
        throw new SignalError('signal initial-snapshot: table app.nokey has no primary key');
      },
    };
    const err = await resumableCollections(source, 'initial-snapshot', ['app.nokey'], { connector: 'c' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).message).toBe(
      'snapshot.resumable=true reads the initial snapshot in watermarked chunks, which it cannot do here: table app.nokey has no primary key',
    );
    expect((err as ConnectError).context).toMatchObject({ connector: 'c' });
  });
});
