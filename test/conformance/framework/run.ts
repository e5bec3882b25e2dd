import { mkdirSync } from 'node:fs';
import type { ChangeRecord, ConfigSpec, Converter, SourceTask } from '../../../runtime/api/index.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { jsonConverterPlugin } from '../../../runtime/converters/json.js';
import { type DebeziumClasspath, type DebeziumRun, startDebezium } from '../../harness/debezium.js';
import { SourceTaskDriver } from '../../harness/task-driver.js';
import {
  type CapturedRecord,
  defaultIdentity,
  diffPair,
  orderDiffs,
  pairRecords,
  parseRecordLine,
  pathPattern,
} from './compare.js';
import { type ConformanceSuite, casesOf, type Variant } from './suite.js';
import { judge, type Observed, type Verdict } from './verdict.js';

/**
 * One conformance run: the same corpus on the same database through Debezium's embedded engine and through
 * sluice, one engine and one sluice task per variant (all Debezium engines in one JVM), then compared record by
 * record. The caller has prepared the corpus's snapshot part; `stream` applies the rest once both sides stream.
 */
export interface ConformanceRunOptions {
  suite: ConformanceSuite;
  classpath: DebeziumClasspath;
  /** a directory of the caller's own (properties files, Debezium's outputs) */
  dir: string;
  /** Debezium's full connector config for a variant (connector.class, connection, topic.prefix, server id…) */
  debeziumConfig(v: Variant, index: number): Record<string, string>;
  sluice: {
    /** the sluice plugin (its spec and task) */
    plugin: { connector: string; spec: ConfigSpec; createTask: () => SourceTask };
    /** sluice's connector config for a variant: the same settings, under the same topic.prefix */
    config(v: Variant, index: number): Record<string, string>;
    /** a task log line (as the test logger writes it) that says it streams */
    streaming: RegExp;
  };
  /** writes the streaming part of the corpus (both sides stream when it is called) */
  stream(): Promise<void>;
  /** true once `records` (one side, one variant) hold everything `stream` caused, e.g. its final sentinel row */
  complete(records: readonly CapturedRecord[], v: Variant): boolean;
  /** the case a record belongs to (by its table), or undefined */
  caseOf(r: CapturedRecord, v: Variant): string | undefined;
  /** pairing identity (default: topic, key payload, op) */
  identity?(r: CapturedRecord): string;
  /** path globs never compared: positions, timestamps, naming */
  ignore: readonly string[];
  timeoutMs?: number;
}

export interface ConformanceResult {
  verdict: Verdict;
  /** per variant: what each side wrote */
  records: Map<string, { debezium: CapturedRecord[]; sluice: CapturedRecord[] }>;
  /** per variant: the Debezium failure message, if its engine failed */
  debeziumFailures: Map<string, string>;
  /** per variant: sluice's task failure message, if it failed */
  sluiceFailures: Map<string, string>;
  /** number of compared record pairs */
  pairs: number;
}

/** A sluice task polled in the background as the runtime would, its records converted as a Connect worker does. */
class SluiceCapture {
  readonly lines: string[] = [];
  error?: Error;
  private stopped = false;
  private loop?: Promise<void>;
  readonly driver: SourceTaskDriver<SourceTask>;
  private readonly keys: Converter;
  private readonly values: Converter;

  constructor(plugin: ConformanceRunOptions['sluice']['plugin'], config: Record<string, string>) {
    this.driver = new SourceTaskDriver(plugin, config);
    // The worker's default converters: JsonConverter with schemas.enable=true, every other setting at its default.
    const { config: conv } = parseConfig(jsonConverterPlugin.configSpec, {});
    this.keys = jsonConverterPlugin.create(conv, true);
    this.values = jsonConverterPlugin.create(conv, false);
  }

  /** FileStreamSink's `format=record` line for a record. */
  private line(r: ChangeRecord): string {
    const k = this.keys.fromRecord(r.topic, r.keySchema, r.key);
    const v = this.values.fromRecord(r.topic, r.valueSchema, r.value);
    return `{"topic":${JSON.stringify(r.topic)},"key":${k ? k.toString('utf8') : 'null'},"value":${v ? v.toString('utf8') : 'null'}}`;
  }

  async start(): Promise<void> {
    await this.driver.start();
    this.loop = (async () => {
      while (!this.stopped) {
        const batch = await this.driver.pollOnce(true);
        for (const r of batch) this.lines.push(this.line(r));
        // The runner yields a turn per batch; an idle source that answers at once must not spin.
        await new Promise((r) => setTimeout(r, batch.length ? 0 : 10));
      }
    })().catch((err: Error) => {
      this.error = err;
    });
  }

  streaming(re: RegExp): boolean {
    return this.driver.log.some((l) => re.test(l));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.driver.stop().catch((err: Error) => {
      this.error ??= err;
    });
    await this.loop;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs: number, check?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    check?.();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Parses lines as they come, once each. */
class Parsed {
  private readonly out: CapturedRecord[] = [];
  constructor(private readonly lines: () => readonly string[]) {}
  get(): CapturedRecord[] {
    const lines = this.lines();
    for (let i = this.out.length; i < lines.length; i++) this.out.push(parseRecordLine(lines[i]));
    return this.out;
  }
}

export async function runConformance(o: ConformanceRunOptions): Promise<ConformanceResult> {
  const { suite } = o;
  const timeout = o.timeoutMs ?? 240_000;
  mkdirSync(o.dir, { recursive: true });
  const variants = suite.variants;
  const captures = variants.map((v, i) => new SluiceCapture(o.sluice.plugin, o.sluice.config(v, i)));
  let debezium: DebeziumRun | undefined;
  const problems: string[] = [];
  const debeziumFailures = new Map<string, string>();
  const sluiceFailures = new Map<string, string>();
  const records = new Map<string, { debezium: CapturedRecord[]; sluice: CapturedRecord[] }>();
  try {
    debezium = await startDebezium({
      classpath: o.classpath,
      dir: o.dir,
      engines: variants.map((v, i) => o.debeziumConfig(v, i)),
      heapMb: 1024,
    });
    const dbz = debezium;
    // sluice's tasks start while the JVM starts; their snapshots run beside Debezium's, as two connectors would.
    for (const c of captures) await c.start();
    // A failure neither side's variant expects ends the run at once, with what both sides said.
    const unexpected = () => {
      dbz.check();
      variants.forEach((v, i) => {
        const e = captures[i].error;
        if (e && !v.sluiceFails) throw new Error(`sluice failed (${v.name}): ${e.message}`, { cause: e });
        const f = dbz.failure(i);
        if (f !== undefined && !v.debeziumFails) throw new Error(`Debezium failed (${v.name}): ${f}`);
      });
    };
    await until(
      'sluice to stream',
      () => captures.every((c) => c.error !== undefined || c.streaming(o.sluice.streaming)),
      timeout,
      unexpected,
    );
    await until(
      'Debezium to stream',
      () => variants.every((_, i) => dbz.failure(i) !== undefined || dbz.streams(i)),
      timeout,
      unexpected,
    );
    await o.stream();
    const dParsed = variants.map((_, i) => new Parsed(() => dbz.lines(i)));
    const sParsed = captures.map((c) => new Parsed(() => c.lines));
    await until(
      'every side to write the whole corpus (or fail, where its variant expects it)',
      () =>
        variants.every(
          (v, i) =>
            (captures[i].error !== undefined || o.complete(sParsed[i].get(), v)) &&
            (dbz.failure(i) !== undefined || o.complete(dParsed[i].get(), v)),
        ),
      timeout,
      unexpected,
    );
    variants.forEach((v, i) => {
      const f = dbz.failure(i);
      if (f !== undefined) debeziumFailures.set(v.name, f);
      const e = captures[i].error;
      if (e) sluiceFailures.set(v.name, e.message);
      records.set(v.name, { debezium: dParsed[i].get(), sluice: sParsed[i].get() });
    });
  } catch (err) {
    const e = err as Error;
    throw new Error(`${e.message}${debezium ? `\n${debezium.logs()}` : ''}`, { cause: err });
  } finally {
    for (const c of captures) await c.stop();
    await debezium?.stop();
  }

  const ignore = o.ignore.map(pathPattern);
  const identity = o.identity ?? defaultIdentity;
  const observed: Observed[] = [];
  let pairs = 0;
  for (const v of variants) {
    const { debezium: dRecords, sluice: sRecords } = records.get(v.name)!;
    const covered = new Set(casesOf(suite, v));
    const dFailure = debeziumFailures.get(v.name);
    const sFailure = sluiceFailures.get(v.name);
    if (v.debeziumFails) {
      // A run Debezium is expected to fail: its failure must be the expected one; sluice either fails as the
      // variant says (the same outcome: nothing to compare, what was written before a failure is timing) or goes
      // on, which is a difference (a `<run>` departure must list it).
      if (dFailure === undefined) problems.push(`variant ${v.name}: Debezium was expected to fail and did not`);
      else if (!new RegExp(v.debeziumFails).test(dFailure)) {
        problems.push(`variant ${v.name}: Debezium failed otherwise than expected (/${v.debeziumFails}/): ${dFailure}`);
      }
      if (v.sluiceFails) {
        if (sFailure === undefined) problems.push(`variant ${v.name}: sluice was expected to fail and did not`);
        else if (!new RegExp(v.sluiceFails).test(sFailure)) {
          problems.push(`variant ${v.name}: sluice failed otherwise than expected (/${v.sluiceFails}/): ${sFailure}`);
        }
      } else if (dFailure !== undefined) {
        // the variant's own cases (those that name it) carry the difference, not the ones every variant runs
        const own = suite.cases.filter((c) => c.variants?.includes(v.name)).map((c) => c.name);
        for (const c of own.length ? own : covered) {
          observed.push({
            variant: v.name,
            case: c,
            record: '(run)',
            path: '<run>',
            debezium: 'fails',
            sluice: 'streams',
          });
        }
      }
      continue;
    }
    const counts = new Map<string, number>();
    for (const p of pairRecords(dRecords, sRecords, identity)) {
      const sample = (p.debezium ?? p.sluice)!;
      const c = o.caseOf(sample, v) ?? '(no case)';
      counts.set(c, (counts.get(c) ?? 0) + 1);
      pairs++;
      for (const d of diffPair(p, ignore)) observed.push({ ...d, variant: v.name, case: c, record: p.id });
    }
    for (const od of orderDiffs(dRecords, sRecords)) {
      const c = o.caseOf(od.sample, v) ?? '(no case)';
      observed.push({
        variant: v.name,
        case: c,
        record: od.topicKey,
        path: '<order>',
        debezium: od.debezium,
        sluice: od.sluice,
      });
    }
    for (const c of covered) {
      const empty = suite.cases.find((x) => x.name === c)?.empty;
      if (!empty && !counts.get(c)) problems.push(`case ${c} produced no records in variant ${v.name}`);
      if (empty && counts.get(c)) problems.push(`case ${c} should produce no records; variant ${v.name} has some`);
    }
    for (const c of counts.keys()) {
      if (!covered.has(c)) problems.push(`records of ${c} in variant ${v.name}, which does not cover that case`);
    }
  }
  for (const c of suite.cases) {
    if (!variants.some((v) => casesOf(suite, v).includes(c.name))) problems.push(`case ${c.name} is in no variant`);
  }
  return { verdict: judge(suite, observed, problems), records, debeziumFailures, sluiceFailures, pairs };
}
