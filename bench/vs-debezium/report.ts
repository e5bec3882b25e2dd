import { execSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { machine } from '../support/worker-process.js';
import type { LatencyResult } from './latency.js';
import { type RunResult, type Summary, summarize } from './measure.js';

export interface Scenario {
  id: string;
  title: string;
  unit: 'rows/s' | 'events/s';
  schemas: boolean;
  /** the column sluice is compared with: `Debezium` or `Kafka Connect + Debezium` */
  reference: string;
  results: RunResult[];
  /** top functions of a profiled sluice run (not one of the measured runs) */
  top: Array<{ fn: string; selfPct: number }>;
}

export interface Environment {
  command: string;
  started: string;
  commit: string;
  machine: string;
  loadAtStart: string;
  versions: Record<string, string>;
  rowBytes: Record<string, number>;
  settings: string[];
  minutes: number;
}

function sh(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return ((err as { stderr?: string }).stderr ?? '').trim() || 'unknown';
  }
}

export function environment(o: {
  quick: boolean;
  rows: number;
  runs: number;
  schemas: boolean[];
  flushMs: number;
}): Environment {
  const java = sh('java -version 2>&1').split('\n')[0];
  return {
    command: `npm run bench:vs-debezium${o.quick ? ' -- --quick' : ''}`,
    started: new Date().toISOString().slice(0, 16).replace('T', ' '),
    commit: sh('git rev-parse --short HEAD'),
    machine: machine(),
    loadAtStart: loadavg()
      .map((l) => l.toFixed(1))
      .join(' / '),
    versions: { Node: process.version, Java: java, pg_recvlogical: sh('pg_recvlogical --version') },
    rowBytes: {},
    settings: [
      `${o.rows.toLocaleString('en')} rows per phase, ${o.runs} run(s) of each side per scenario, ABBA order`,
      `JSON converter, schemas.enable=${o.schemas.join(' and ')} (keys and values, both sides)`,
      `offset.flush.interval.ms=${o.flushMs} on both sides (the issue's setting); every other setting at its default`,
      ...(process.env.VS_DEBEZIUM_SLUICE_SOURCE
        ? [`sluice's direct-mode sources also set ${process.env.VS_DEBEZIUM_SLUICE_SOURCE} (a development A/B)`]
        : []),
    ],
    minutes: 0,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** The issue's goals: throughput ≥ 1.5×, CPU per event ≤ 0.5×, peak RSS ≤ 0.15× (Kafka mode: throughput only). */
function verdict(s: Scenario, a: Summary, b: Summary): string {
  const misses: string[] = [];
  if (a.perSecond < 1.5 * b.perSecond) misses.push('throughput');
  if (s.reference === 'Debezium') {
    if (a.cpuPerEventUs > 0.5 * b.cpuPerEventUs) misses.push('CPU');
    if (a.peakRssMiB > 0.15 * b.peakRssMiB) misses.push('RSS');
  }
  return misses.length ? `not met: ${misses.join(', ')}` : 'met';
}

function recvRatios(s: Scenario): string {
  const recv = s.results.filter((r) => r.contender === 'pg_recvlogical');
  if (recv.length === 0) return '';
  const mine = s.results.filter((r) => r.contender === 'sluice');
  const ratios = mine.map((r, i) => (recv[i] ? `${((r.perSecond / recv[i].perSecond) * 100).toFixed(0)}%` : 'n/a'));
  return `sluice / pg_recvlogical per run (goal ≥ 50%): ${ratios.join(', ')} (pg_recvlogical: ${recv.map((r) => int(r.perSecond)).join(', ')} events/s)`;
}

function latencySection(results: readonly LatencyResult[]): string {
  if (results.length === 0) return '';
  const target = (r: LatencyResult) => (r.mode === 'direct' ? 50 : 200);
  const rows = results.map(
    (r) =>
      `| ${r.mode} | ${r.contender} | ${r.run + 1} | ${r.p50.toFixed(1)} | **${r.p99.toFixed(1)}** | ${r.max.toFixed(1)} | ${r.changes.toLocaleString('en')} | ${r.contender === 'sluice' ? `≤ ${target(r)} ms: ${r.p99 <= target(r) ? 'met' : 'not met'}` : ''} | ${r.load.toFixed(1)} |`,
  );
  return `
## Latency: commit → line in the sink's file, 5,000 changes/s

Each side at its defaults (offset.flush.interval.ms=60000, JSON with schemas). Direct mode: sluice's FileStreamSink
in process beside Debezium's embedded engine; Kafka mode: a FileStreamSink consuming the topic in the same worker
(sluice) beside Kafka Connect's FileStreamSink in the same Connect worker as Debezium's source. 25-row transactions
every 5 ms on four connections; a change's latency runs from its COMMIT returning to the driver reading its line
(inotify, and a read every 10 ms); the first fifth of each run is warm-up.

| mode | side | run | p50 ms | p99 ms | max ms | changes | goal (sluice p99) | load (1 min) |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

/** `partial`: the run has not finished (the report is rewritten after each scenario, so a stopped run keeps it). */
export function report(
  env: Environment,
  scenarios: Scenario[],
  latency: readonly LatencyResult[] = [],
  partial = false,
): string {
  const rows = scenarios.map((s) => {
    const a = summarize(s.results, 'sluice');
    const b = summarize(s.results, s.reference);
    return `| ${s.title} | ${s.schemas ? 'on' : 'off'} | **${ratio(a.perSecond, b.perSecond)}** (${int(a.perSecond)} vs ${int(b.perSecond)} ${s.unit}) | ${ratio(a.cpuPerEventUs, b.cpuPerEventUs)} (${a.cpuPerEventUs.toFixed(1)} vs ${b.cpuPerEventUs.toFixed(1)} µs) | ${ratio(a.peakRssMiB, b.peakRssMiB)} (${int(a.peakRssMiB)} vs ${int(b.peakRssMiB)} MiB) | ${verdict(s, a, b)} |`;
  });
  const details = scenarios.map((s) => {
    const runs = s.results.map(
      (r) =>
        `| ${r.contender} | ${r.run + 1} | ${r.seconds.toFixed(2)} | ${int(r.perSecond)} | ${r.cpuSeconds.toFixed(2)} | ${((r.cpuSeconds / r.events) * 1e6).toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${r.load.toFixed(1)} |`,
    );
    const recv = recvRatios(s);
    const top = s.top.length
      ? `\nWhere sluice's time went (a separate run with the V8 profiler, self time; \`(idle)\` is waiting):\n\n| function | self % |\n|---|---|\n${s.top.map((t) => `| \`${t.fn}\` | ${t.selfPct} |`).join('\n')}\n`
      : '';
    return `### ${s.title}, schemas.enable=${s.schemas}

| side | run | seconds | ${s.unit} | CPU s | CPU µs/event | peak RSS MiB | load (1 min) |
|---|---|---|---|---|---|---|---|
${runs.join('\n')}
${recv ? `\n${recv}\n` : ''}${top}`;
  });
  return `# sluice beside Debezium, on the same machine
${partial ? '\n**Incomplete: the run stopped before its end; only the scenarios below were measured.**\n' : ''}
Measured ${env.started} UTC at ${env.commit} with \`${env.command}\` (${env.minutes.toFixed(0)} minutes). Issue 22's
benchmark: each side reads the same database on the same machine and writes every event to a local file (direct
mode: Debezium's embedded engine, \`test/harness/java/DebeziumEngine.java\`, writing each value as a
FileStreamSink does; sluice standalone with FileStreamSink), or into the same Kafka broker (Kafka mode). Time runs
from the process's start until the last event is in the file (or topic): start-up counts for both. CPU is the
process's user + system time (every thread), peak RSS its VmHWM.

Machine: ${env.machine}. Load average (1/5/15 min) at the start: ${env.loadAtStart}; each run's 1-minute load average
is in its row. The databases, the broker and this driver share the machine with the measured process.

Versions: ${Object.entries(env.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join('; ')}.

Workload: ${Object.entries(env.rowBytes)
    .map(([k, v]) => `${k} rows of ~${v} bytes`)
    .join(', ')}. ${env.settings.join('. ')}.

## Summary (medians; ratio = sluice / reference)

Goals (issue 22): throughput ≥ 1.5×, CPU seconds per event ≤ 0.5×, peak RSS ≤ 0.15×; Kafka mode throughput ≥ 1.5×.

| phase | schemas | throughput | CPU per event | peak RSS | goals |
|---|---|---|---|---|---|
${rows.join('\n')}

${latencySection(latency)}
## Runs

${details.join('\n')}`;
}
