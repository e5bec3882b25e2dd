import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/**
 * Renders the long fault run (`npm run faults:long`) into bench/results/faults-long.md: the JSON lines the fault
 * suites append to FAULT_REPORT when every check of theirs held (test/faults/kit.ts `report`).
 * Usage: node dist/bench/faults-report.js <report.jsonl> <out.md>
 */

interface Row {
  suite: string;
  kills: number;
  changes: number;
  events: number;
  duplicatesPerRun: number[];
  recoveryMs: Record<string, number>;
  killRecoveryMs?: number[];
  lost: number;
  orderViolations: number;
  seconds: number;
  at: string;
}

const NAMES: Record<string, string> = {
  fpg: 'PostgreSQL 17 (pgoutput)',
  fmaria: 'MariaDB 10.11 (binlog)',
  fmongo: 'MongoDB (mongo-java-server 1.47, H2 backend)',
  kafka: 'Kafka mode (PostgreSQL → Kafka 3.9.1 → FileStreamSink)',
};

const FAULTS: Array<[string, string]> = [
  ['restart', 'server restart'],
  ['outage', '30 s outage'],
  ['killed', 'replication connection killed'],
  ['cut', 'network cut 10 s'],
  ['stall', 'network stalled'],
  ['brokerRestart', 'broker restart'],
  ['afterKills', 'after the last SIGKILL'],
];

const order = (suite: string) => {
  const i = Object.keys(NAMES).indexOf(suite);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
};

function main(): void {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: faults-report <report.jsonl> <out.md>');
    process.exit(2);
  }
  const rows = (existsSync(input) ? readFileSync(input, 'utf8') : '')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row)
    .sort((a, b) => order(a.suite) - order(b.suite));
  const s = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const out: string[] = [
    '# Long fault run',
    '',
    `Run with \`npm run faults:long\` on ${rows[rows.length - 1]?.at.slice(0, 10) ?? '?'}: the fault suite of \`test/faults/\``,
    'with 50 SIGKILLs of the worker per source instead of CI’s 10 (Kafka mode too), one file at a time, a writer running',
    'throughout. A row is written only when every check of its suite held: replay of the sink output by key equals',
    'the database, every committed change arrived, versions never go back per key, and a change delivered again',
    'after a SIGKILL lies after the offset committed before the kill (docs/faults.md).',
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average when the report was written ${loadavg()[0].toFixed(1)} (a shared machine: other engineers' tests ran at the same time).`,
    '',
    '| source | SIGKILLs | committed changes | events delivered | lost | order violations | duplicates (most after one kill) | run |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const dups = r.duplicatesPerRun.reduce((a, b) => a + b, 0);
    out.push(
      `| ${NAMES[r.suite] ?? r.suite} | ${r.kills} | ${r.changes} | ${r.events} | ${r.lost} | ${r.orderViolations} | ${dups}${r.duplicatesPerRun.length > 1 ? ` (${Math.max(...r.duplicatesPerRun)})` : ''} | ${Math.round(r.seconds / 60)} min |`,
    );
  }
  for (const suite of Object.keys(NAMES))
    if (!rows.some((r) => r.suite === suite))
      out.push(
        `| ${NAMES[suite]} | FAILED: a check of its suite did not hold (no figures; see the run's output) |||||||`,
      );
  out.push(
    '',
    'For the three databases every duplicate was checked to lie after the offset committed before the kill that',
    'caused it; Kafka mode counts them over the whole run, broker faults included (its offsets live on a Kafka topic the check does not read). A duplicate is',
    'a change delivered again by the worker started after a kill: what the killed one delivered after its last',
    'offset flush (`offset.flush.interval.ms` 700 here; a restarted worker working through a backlog delivers fast).',
    '',
    'Time from the end of each fault (server or network back) to the first change committed after it reaching the sink:',
    '',
    `| source | ${FAULTS.map(([, n]) => n).join(' | ')} |`,
    `|---|${FAULTS.map(() => '---').join('|')}|`,
  );
  for (const r of rows)
    out.push(`| ${NAMES[r.suite] ?? r.suite} | ${FAULTS.map(([k]) => s(r.recoveryMs[k])).join(' | ')} |`);
  out.push(
    '',
    'After SIGKILLs: every fifth restarted worker was given time to deliver, from its REST API answering to the',
    'first change committed after it reaching the sink (the others were killed again at a random moment, often',
    'before delivering anything); bound asserted: 60 s.',
    '',
    '| source | restarts measured | median | max |',
    '|---|---|---|---|',
  );
  for (const r of rows) {
    const k = [...(r.killRecoveryMs ?? [])].sort((a, b) => a - b);
    out.push(
      `| ${NAMES[r.suite] ?? r.suite} | ${k.length} | ${s(k[Math.floor((k.length - 1) / 2)])} | ${s(k[k.length - 1])} |`,
    );
  }
  out.push(
    '',
    'The server restart, outage, killed-connection and network faults happen once per suite (the bounds the suite',
    'asserts are in docs/faults.md); the SIGKILLs are what the long run multiplies.',
    '',
  );
  writeFileSync(output, out.join('\n'));
  console.log(`wrote ${output} (${rows.length} suites)`);
}

main();
