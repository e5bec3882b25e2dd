import { type Difference, pathPattern } from './compare.js';
import { type ConformanceSuite, type Departure, departureVariants } from './suite.js';

/** A difference seen in one record of one case under one variant. */
export interface Observed extends Difference {
  variant: string;
  case: string;
  /** the pair's identity (topic, key, op, ordinal) */
  record: string;
}

export interface Verdict {
  /** differences no departure lists */
  unlisted: Observed[];
  /** listed departures not seen, per variant they claim */
  stale: Array<{ departure: Departure; variant: string }>;
  /** departures with how often each was seen */
  seen: Map<Departure, number>;
  /** problems that are not differences (a case without records, a run that failed) */
  problems: string[];
}

function matches(d: Departure, o: Observed): boolean {
  if (d.case !== o.case) return false;
  if (d.variants && !d.variants.includes(o.variant)) return false;
  if (!pathPattern(d.path).test(o.path)) return false;
  if (d.debezium !== '*' && d.debezium !== o.debezium) return false;
  if (d.sluice !== '*' && d.sluice !== o.sluice) return false;
  return true;
}

/** Sorts every observed difference into listed or not, and finds the listed departures that were not observed. */
export function judge(suite: ConformanceSuite, observed: readonly Observed[], problems: readonly string[]): Verdict {
  const seen = new Map<Departure, number>();
  const seenIn = new Map<Departure, Set<string>>();
  const unlisted: Observed[] = [];
  for (const o of observed) {
    const d = suite.departures.find((x) => matches(x, o));
    if (!d) {
      unlisted.push(o);
      continue;
    }
    seen.set(d, (seen.get(d) ?? 0) + 1);
    let vs = seenIn.get(d);
    if (!vs) {
      vs = new Set();
      seenIn.set(d, vs);
    }
    vs.add(o.variant);
  }
  const stale: Verdict['stale'] = [];
  for (const d of suite.departures) {
    for (const v of departureVariants(suite, d)) {
      if (!seenIn.get(d)?.has(v)) stale.push({ departure: d, variant: v });
    }
  }
  return { unlisted, stale, seen, problems: [...problems] };
}

/**
 * A readable account of what failed: unlisted differences grouped by (case, path, values) with the variants and
 * a sample record, then stale departures, then other problems.
 */
export function formatVerdict(suite: ConformanceSuite, v: Verdict, limit = 80): string {
  const lines: string[] = [];
  if (v.unlisted.length) {
    const groups = new Map<string, { o: Observed; variants: Set<string>; count: number }>();
    for (const o of v.unlisted) {
      const k = `${o.case}\u0000${o.path}\u0000${o.debezium}\u0000${o.sluice}`;
      const g = groups.get(k);
      if (g) {
        g.variants.add(o.variant);
        g.count++;
      } else groups.set(k, { o, variants: new Set([o.variant]), count: 1 });
    }
    lines.push(`${suite.id}: ${groups.size} unlisted difference(s) (${v.unlisted.length} occurrences):`);
    let n = 0;
    for (const g of groups.values()) {
      if (n++ >= limit) {
        lines.push(`  … and ${groups.size - limit} more`);
        break;
      }
      lines.push(
        `  [${g.o.case}] ${g.o.path}  (${[...g.variants].join(',')}; ${g.count}x; e.g. ${g.o.record})`,
        `      debezium: ${clip(g.o.debezium)}`,
        `      sluice:   ${clip(g.o.sluice)}`,
      );
    }
  }
  if (v.stale.length) {
    lines.push(`${suite.id}: ${v.stale.length} listed departure(s) no longer seen (remove or narrow them):`);
    for (const s of v.stale) lines.push(`  [${s.departure.case}] ${s.departure.path} in variant ${s.variant}`);
  }
  if (v.problems.length) {
    lines.push(`${suite.id}: problems:`);
    for (const p of v.problems) lines.push(`  ${p}`);
  }
  return lines.join('\n');
}

function clip(s: string, max = 600): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

export function passed(v: Verdict): boolean {
  return v.unlisted.length === 0 && v.stale.length === 0 && v.problems.length === 0;
}
