import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import { call, create, fileSink, fileSource, lines, sleep, waitState } from './support.js';

/** Requests for one name are serialized by the herder: a storm of them must leave one clean answer. */
describe('REST: concurrent requests for one connector name', () => {
  let dir: string;
  let w: WorkerProcess;
  let input: string;
  let output: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-rest-race-'));
    input = join(dir, 'in.txt');
    output = join(dir, 'out.txt');
    writeFileSync(input, 'first\n');
    w = await startWorker({
      dir,
      worker: { 'offset.storage.file.filename': join(dir, 'offsets.json'), 'offset.flush.interval.ms': '200' },
    });
    await create(w, fileSink('sink', output, 'race'));
  });

  afterAll(async () => {
    await w?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (marker: string) => lines(output).filter((l) => l === marker).length;

  it('20 concurrent creates and deletes end with exactly one connector or none, never a half-started task', async () => {
    for (let round = 0; round < 4; round++) {
      // Alternating kinds, shuffled, so each round interleaves differently.
      const kinds = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'create' : 'delete'));
      kinds.sort(() => Math.random() - 0.5);
      const answers = await Promise.all(
        kinds.map((k) =>
          k === 'create'
            ? call(w, 'POST', '/connectors', { body: fileSource('racer', input, 'race') })
            : call(w, 'DELETE', '/connectors/racer'),
        ),
      );
      const created = answers.filter((a, i) => kinds[i] === 'create' && a.status === 201).length;
      const deleted = answers.filter((a, i) => kinds[i] === 'delete' && a.status === 204).length;
      // Every other answer is a refusal, never a server error.
      answers.forEach((a, i) => {
        expect([kinds[i], a.status]).toEqual([
          kinds[i],
          kinds[i] === 'create' ? expect.toBeOneOf([201, 409]) : expect.toBeOneOf([204, 404]),
        ]);
      });
      const exists = (await call<string[]>(w, 'GET', '/connectors')).body.includes('racer');
      expect(created - deleted).toBe(exists ? 1 : 0);

      const marker = `marker-${round}`;
      if (exists) {
        const st = await waitState(w, 'racer', 'RUNNING');
        expect(st.tasks).toHaveLength(1);
        expect((await call<unknown[]>(w, 'GET', '/connectors/racer/tasks')).body).toHaveLength(1);
        appendFileSync(input, `${marker}\n`);
        await waitFor(() => count(marker) > 0, 30_000, marker);
        await sleep(1000);
        // One reader: a task left over from an earlier create would deliver the marker again.
        expect(count(marker)).toBe(1);
        expect((await call(w, 'DELETE', '/connectors/racer')).status).toBe(204);
      } else {
        expect((await call(w, 'GET', '/connectors/racer/status')).status).toBe(404);
        appendFileSync(input, `${marker}\n`);
        await sleep(1500);
        expect(count(marker)).toBe(0);
      }
    }
  });

  it('20 concurrent creates of one name: one 201, nineteen 409', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call(w, 'POST', '/connectors', { body: fileSource('solo', input, 'solo') })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    const st = await waitState(w, 'solo', 'RUNNING');
    expect(st.tasks).toHaveLength(1);
  });

  it('10 concurrent PATCHes of one config each keep their key (no lost update)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(w, 'PATCH', '/connectors/solo/config', { body: { [`producer.override.k${i}`]: String(i) } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const config = (await call<Record<string, string>>(w, 'GET', '/connectors/solo/config')).body;
    for (let i = 0; i < 10; i++) expect(config[`producer.override.k${i}`]).toBe(String(i));
    await waitState(w, 'solo', 'RUNNING');
  });
});
