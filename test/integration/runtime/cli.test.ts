import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConnectorFile, startWorker, waitFor } from '../../harness/worker.js';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-cli-'));
}

describe('sluice standalone', () => {
  it('refuses a connector config with three mistakes in one error naming all three keys, starting nothing', async () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'a\n');
    const w = await startWorker({
      dir: d,
      waitReady: false,
      connectors: [
        {
          name: 'bad',
          config: {
            'connector.class': 'FileStreamSource',
            file: join(d, 'in.txt'),
            // topic missing
            'tasks.max': 'many',
            'errors.tolerance': 'sometimes',
          },
        },
      ],
    });
    expect(await w.exited).toBe(1);
    const err = w.logs();
    const line = err.split('\n').find((l) => l.startsWith('sluice: invalid configuration')) ?? '';
    const rest = err.slice(err.indexOf('sluice: invalid configuration'));
    expect(line).not.toBe('');
    for (const k of ['topic:', 'tasks.max:', 'errors.tolerance:']) expect(rest).toContain(k);
  });

  it('refuses to start on a torn offset file, naming the file, and keeps the file as it was', async () => {
    const d = dir();
    const offsets = join(d, 'offsets.json');
    writeFileSync(join(d, 'in.txt'), 'one\ntwo\n');
    const connectors: ConnectorFile[] = [
      { name: 'src', config: { 'connector.class': 'FileStreamSource', file: join(d, 'in.txt'), topic: 'l' } },
      { name: 'dst', config: { 'connector.class': 'FileStreamSink', file: join(d, 'out.txt'), topics: 'l' } },
    ];
    const worker = { 'offset.storage.file.filename': offsets, 'offset.flush.interval.ms': '100' };
    const first = await startWorker({ dir: d, worker, connectors });
    await waitFor(
      () => {
        try {
          return JSON.parse(readFileSync(offsets, 'utf8')).offsets[0]?.value.position === 8;
        } catch {
          return false;
        }
      },
      30_000,
      'offsets committed',
    );
    expect(await first.stop()).toBe(0);

    const good = readFileSync(offsets, 'utf8');
    writeFileSync(offsets, good.slice(0, good.length - 5));
    const second = await startWorker({ dir: d, worker, connectors, waitReady: false });
    expect(await second.exited).toBe(1);
    expect(second.logs()).toContain(offsets);
    expect(readFileSync(offsets, 'utf8')).toBe(good.slice(0, good.length - 5));
    // The sink never saw the lines twice: nothing ran.
    expect(readFileSync(join(d, 'out.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('comes back after a restart with connectors created at run time (config.storage.file.filename)', async () => {
    const d = dir();
    writeFileSync(join(d, 'in.txt'), 'x\ny\n');
    const worker = {
      'config.storage.file.filename': join(d, 'connectors.json'),
      'offset.storage.file.filename': join(d, 'o.json'),
    };
    const w1 = await startWorker({ dir: d, worker });
    const created = await w1.rest('/connectors', {
      method: 'POST',
      body: { name: 'later', config: { 'connector.class': 'FileStreamSink', file: join(d, 'out.txt'), topics: 'l' } },
    });
    expect(created.status).toBe(201);
    expect(await w1.stop()).toBe(0);
    const w2 = await startWorker({ dir: d, worker });
    try {
      const list = await w2.rest<string[]>('/connectors');
      expect(list.body).toEqual(['later']);
      const status = await w2.rest<{ tasks: Array<{ state: string }> }>('/connectors/later/status');
      expect(status.body.tasks[0].state).toBe('RUNNING');
    } finally {
      await w2.stop();
    }
  });
});
