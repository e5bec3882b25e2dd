import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger, Signal } from '../../../runtime/api/index.js';
import { openSignalChannels } from '../../../runtime/tasks/signal-channels.js';
import { waitFor } from '../../harness/worker.js';

/** The `file` signal channel on a real file: what it takes, what it leaves, what it logs. */

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function channel(file: string) {
  const taken: Signal[] = [];
  const warnings: string[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (o: unknown, msg?: string) => {
      warnings.push(`${msg ?? ''} ${JSON.stringify(o)}`);
    },
    error() {},
    child: () => log,
  } as unknown as Logger;
  const channels = openSignalChannels({
    raw: { 'signal.enabled.channels': 'file', 'signal.file': file, 'signal.poll.interval.ms': '20' },
    connector: 'c',
    taskId: 0,
    log,
    deliver: async (s) => {
      taken.push(s);
      return { accepted: true };
    },
  });
  return { taken, warnings, close: () => Promise.all(channels.map((c) => c.close())) };
}

const line = (id: string) => `${JSON.stringify({ id, type: 'log', data: { message: id } })}\n`;

describe('file signal channel', () => {
  it('takes lines in order and removes them; a line being written waits for its end; lines appended later are taken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sigfile-'));
    dirs.push(dir);
    const file = join(dir, 'signals.txt');
    // a half-written last line that is not JSON yet
    await writeFile(file, `${line('a')}${line('b')}{"id": "c", "ty`);
    const ch = channel(file);
    try {
      await waitFor(() => ch.taken.length >= 2 || undefined, 5_000, 'a and b');
      // the unfinished line stays in the file until its newline comes
      await appendFile(file, `pe": "log", "data": {}}\n${line('d')}`);
      await waitFor(() => ch.taken.length >= 4 || undefined, 5_000, 'c and d');
      expect(ch.taken.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
      await waitFor(async () => (await readFile(file, 'utf8')) === '' || undefined, 5_000, 'the file emptied');
      // garbage: logged with its line number and the reason, never its content; the channel goes on
      await writeFile(file, `SECRET-CONTENT\n{"id": 5}\n${line('e')}`);
      await waitFor(() => ch.taken.some((s) => s.id === 'e') || undefined, 5_000, 'e');
      const logged = ch.warnings.join('\n');
      expect(logged).toMatch(/signal skipped: not JSON/);
      expect(logged).toMatch(/signal \\?"id\\?" must be a non-empty string/);
      expect(logged).not.toContain('SECRET-CONTENT');
    } finally {
      await ch.close();
    }
  });

  it('a missing file is no signal; a directory is logged and never read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sigfile-'));
    dirs.push(dir);
    const missing = channel(join(dir, 'nope.txt'));
    const sub = join(dir, 'sub');
    await mkdir(sub);
    const directory = channel(sub);
    try {
      await waitFor(() => directory.warnings.length >= 1 || undefined, 5_000, 'the directory warning');
      expect(directory.warnings[0]).toMatch(/not a regular file/);
      expect(missing.warnings).toEqual([]);
      expect([...missing.taken, ...directory.taken]).toEqual([]);
    } finally {
      await missing.close();
      await directory.close();
    }
  });
});
