#!/usr/bin/env node
// README's first command, exactly as README.md writes it (`npm install && npx sluice demo`), run in the current
// checkout: in CI, a fresh clone with no node_modules, dist or .cache (.ci/run). It runs twice: first after a
// fresh `npm install` (which builds), then as a later run. Each time it waits, up to a timeout, for the demo's
// first live change event and prints how long that took after `npm install` finished; then it sends Ctrl-C to
// the whole process group, as a terminal does, and checks that the command exits 0 and that the demo left
// nothing behind (no temp dir, no PostgreSQL). The speed targets (10 s the first time, 3 s later) are printed
// beside the figures, not enforced: they depend on the machine's load. The timeout is what fails the check.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const TIMEOUT_MS = Number(process.env.CHECK_DEMO_TIMEOUT_S ?? 180) * 1000;
const command = execFileSync('bash', ['-c', '. scripts/lib/readme.sh && readme_command 1'], {
  encoding: 'utf8',
}).trim();
if (!command.includes('npx sluice demo')) fail(`README's first command is not the demo: '${command}'`);

// The demo's temp dir goes here (TMPDIR set, so not /dev/shm): "nothing left behind" is then checked exactly. As
// root, initdb runs as `postgres` and must be able to reach it.
const work = mkdtempSync(join(tmpdir(), 'sluice-check-demo-'));
chmodSync(work, 0o755);
const tmp = join(work, 'tmp');
mkdirSync(tmp, { mode: 0o755 });
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

try {
  await run('first run after a fresh npm install', 10);
  await run('later run', 3);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

async function run(label, targetS) {
  console.log(`check-demo: ${label}: ${command}`);
  // detached: a process group of its own (setsid), so the Ctrl-C below reaches bash, npm, node and PostgreSQL.
  const child = spawn('bash', ['-c', command], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  const started = Date.now();
  const log = [];
  let installed;
  let firstEvent;
  let sawFirst;
  const first = new Promise((resolve) => {
    sawFirst = resolve;
  });
  // 'close': the process exited and its output streams ended, so every line it printed has been read.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      const at = Date.now() - started;
      log.push(`${(at / 1000).toFixed(1).padStart(6)} ${line}`);
      // npm install's summary ("added 173 packages in 1m", "up to date in 3s") marks when it finished.
      if (/^(added|removed|changed|up to date|audited)\b.* in \d[\d.]*(ms|s|m)( \d+s)?$/.test(line)) installed = at;
      if (firstEvent === undefined && / insert key=/.test(line)) {
        firstEvent = at;
        sawFirst();
      }
    });
  }
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), TIMEOUT_MS).unref());
  const outcome = await Promise.race([first.then(() => 'event'), exited.then(() => 'exited'), timeout]);
  if (outcome !== 'event') {
    if (outcome === 'timeout') process.kill(-child.pid, 'SIGKILL');
    throw new Error(
      `${label}: ${outcome === 'timeout' ? `no live change event within ${TIMEOUT_MS / 1000} s` : 'the command exited before the first live event'}\n${log.slice(-40).join('\n')}`,
    );
  }
  process.kill(-child.pid, 'SIGINT');
  const stopped = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 60_000).unref())]);
  if (!stopped) {
    process.kill(-child.pid, 'SIGKILL');
    throw new Error(`${label}: still running 60 s after Ctrl-C\n${log.slice(-20).join('\n')}`);
  }
  const { code, signal } = stopped;
  if (code !== 0)
    throw new Error(`${label}: exited with ${code ?? signal} after Ctrl-C, not 0\n${log.slice(-20).join('\n')}`);
  if (!log.some((l) => l.endsWith('Stopped; nothing left behind.')))
    throw new Error(`${label}: the demo did not report a clean stop\n${log.slice(-20).join('\n')}`);
  const left = readdirSync(tmp).filter((n) => n.startsWith('sluice-demo-'));
  if (left.length) throw new Error(`${label}: the demo left ${left.join(', ')} behind`);
  let postgres = '';
  try {
    postgres = execFileSync('pgrep', ['-f', tmp], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches
  }
  if (postgres.trim()) throw new Error(`${label}: PostgreSQL still runs after the demo stopped`);
  if (installed === undefined)
    throw new Error(`${label}: npm install printed no summary line\n${log.slice(0, 20).join('\n')}`);
  const after = ((firstEvent - installed) / 1000).toFixed(1);
  console.log(
    `check-demo: ${label}: first live event ${after} s after npm install finished (target ${targetS} s; load ${loadavg()[0].toFixed(1)}); Ctrl-C: exit 0, nothing left behind`,
  );
}

function fail(message) {
  console.error(`check-demo: ${message}`);
  process.exit(1);
}
