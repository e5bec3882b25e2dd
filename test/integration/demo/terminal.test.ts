import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, waitFor } from '../../harness/worker.js';

/**
 * README's first command as a person sees it: `npx sluice demo` typed into an interactive bash inside tmux (a
 * real terminal, 100 columns), read back with capture-pane. It runs the built CLI through npx, as README says:
 * `npm test` builds dist/ first (run `npm run build` before running this file alone).
 */

const socket = `sluice-test-${process.pid}`;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, '-u', ...args], { encoding: 'utf8' });
}

/** The visible screen, trailing blanks dropped. */
function screen(): string {
  return tmux('capture-pane', '-p', '-t', 'demo')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
}

describe('sluice demo in a terminal (tmux)', () => {
  it('a progress bar redrawn in place, a summary, live events; Ctrl-C leaves the shell with exit 0', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'sluice-demo-tty-'));
    await chmod(tmp, 0o755); // as root, initdb runs as `postgres` and must reach the data dir
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    tmux('new-session', '-d', '-s', 'demo', '-x', '100', '-y', '40', 'bash --norc --noprofile');
    cleanups.push(async () => {
      tmux('kill-server');
    });
    const rows = 100_000;
    const env = `LANG=C.UTF-8 TMPDIR=${tmp} SLUICE_CACHE_DIR=${join(tmp, 'cache')}`;
    tmux('send-keys', '-t', 'demo', `cd ${repoRoot} && export ${env} && npx sluice demo --rows ${rows}`, 'Enter');

    // While the snapshot runs, one line redrawn in place: a bar, the rows, rows/s and the time.
    const bar = await waitFor(
      () => screen().match(/^snapshot \[[█░]{5,40}\] [\d,]+\/100,000 rows · [\d,]+ rows\/s · \d+\.\d s$/m)?.[0],
      120_000,
      `the progress bar; screen:\n${screen()}`,
    );
    expect(bar.length).toBeLessThan(100);
    const done = await waitFor(
      () => (screen().includes('sluice_demo.customers update key={id: 1}') ? screen() : undefined),
      180_000,
      `the live update; screen:\n${screen()}`,
    );
    expect(done).toMatch(
      /^Snapshot of sluice_demo\.customers: 100,000 rows in \d+\.\d s \([\d,]+ rows\/s; --verbose prints them\)$/m,
    );
    // The bar is gone (replaced by the summary), and no row of the snapshot was printed.
    expect(done).not.toMatch(/^snapshot \[/m);
    expect(done).not.toContain(' snapshot key=');
    expect(done).toMatch(
      /^demo\.sluice_demo\.customers insert key=\{id: 100001\} after=\{id: 100001, name: "Ada Lovelace"/m,
    );

    tmux('send-keys', '-t', 'demo', 'C-c');
    await waitFor(() => screen().includes('Stopped; nothing left behind.'), 60_000, `the stop; screen:\n${screen()}`);
    // The shell got its prompt back: ask it for npx's exit status.
    tmux('send-keys', '-t', 'demo', 'echo "exit status $?"', 'Enter');
    const end = await waitFor(
      () => screen().match(/^exit status (\d+)$/m)?.[1],
      30_000,
      `the exit status; screen:\n${screen()}`,
    );
    expect(end).toBe('0');
    expect((await readdir(tmp)).filter((n) => n.startsWith('sluice-demo-'))).toEqual([]);
  });
});
