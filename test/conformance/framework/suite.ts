/**
 * What a conformance suite is made of, as data: its cases, the connector-config variants every case runs under,
 * and the checked-in list of departures. The test enforces it (every difference listed, every listed departure
 * still seen) and scripts/compatibility-doc.ts turns it into docs/compatibility.md.
 */

export interface ConformanceCase {
  /** unique within its suite; also the name of its table(s) or collection(s) unless `tables` says otherwise */
  name: string;
  /** one line for docs/compatibility.md: what the case covers */
  description: string;
  /** tables (collections) whose records belong to this case; default `[name]` */
  tables?: readonly string[];
  /** the case checks that neither side writes anything for it (e.g. an excluded table) */
  empty?: boolean;
  /** the variants this case runs in; default every variant */
  variants?: readonly string[];
}

/** Connector settings applied to both Debezium and sluice; every case runs under every variant. */
export interface Variant {
  name: string;
  config: Readonly<Record<string, string>>;
  /** the cases this variant runs, when not every case meant for all variants (a variant on a database of its own) */
  only?: readonly string[];
  /**
   * Debezium's engine is expected to fail, with a message matching this regular expression. Then sluice either
   * fails too, matching `sluiceFails` (the same outcome, nothing more compared), or goes on (a `<run>` difference,
   * which a `debezium-fails` departure must list).
   */
  debeziumFails?: string;
  /** sluice's task is expected to fail, with a message matching this regular expression (only with debeziumFails) */
  sluiceFails?: string;
}

/**
 * Why sluice differs: Debezium is wrong (`debezium-bug`), sluice chose differently on purpose (`deliberate`), or
 * the reference fails where sluice goes on (`debezium-fails`: Debezium stops with an error).
 */
export type DepartureKind = 'debezium-bug' | 'deliberate' | 'debezium-fails';

export interface Departure {
  case: string;
  /** variants it occurs in; default every variant that runs its case. It must occur in each (else it is stale). */
  variants?: readonly string[];
  /** a path glob (`*` one segment, `**` anything), e.g. `value.payload.after.c_year` or `<record>` */
  path: string;
  /** what Debezium writes there: JSON text, or `*` for any (the reason then says what) */
  debezium: string;
  /** what sluice writes there: JSON text, or `*` for any */
  sluice: string;
  kind: DepartureKind;
  reason: string;
}

export interface ConformanceSuite {
  /** short id: `mysql`, `postgres`, `mongodb` */
  id: string;
  /** section title in docs/compatibility.md */
  title: string;
  /** the reference implementation and server, e.g. "Debezium MariaDB connector 3.5.0.Final on MariaDB 10.11" */
  reference: string;
  cases: readonly ConformanceCase[];
  variants: readonly Variant[];
  departures: readonly Departure[];
  /** extra paragraphs for the docs (what is ignored, what could not be compared and why) */
  notes?: readonly string[];
}

export function caseTables(c: ConformanceCase): readonly string[] {
  return c.tables ?? [c.name];
}

/** The cases a variant covers: those that name it, and those that name no variant (of its `only`, if it has one). */
export function casesOf(suite: ConformanceSuite, v: Variant): string[] {
  return suite.cases
    .filter((c) => (c.variants ? c.variants.includes(v.name) : !v.only || v.only.includes(c.name)))
    .map((c) => c.name);
}

/** The variants a departure claims: its own list, else every variant that runs its case. */
export function departureVariants(suite: ConformanceSuite, d: Departure): string[] {
  if (d.variants) return [...d.variants];
  return suite.variants.filter((v) => casesOf(suite, v).includes(d.case)).map((v) => v.name);
}
