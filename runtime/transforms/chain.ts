import {
  type ChangeRecord,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  type Predicate,
  type Transform,
} from '../api/index.js';
import { parseConfig } from '../config/parse.js';
import type { PluginRegistry } from '../worker/registry.js';

export interface ChainStep {
  readonly alias: string;
  readonly transform: Transform;
  readonly predicate?: Predicate;
  readonly negate: boolean;
}

/** A failure inside one transform, naming it (the runner applies errors.tolerance to it). */
export class TransformError extends ConnectError {
  constructor(
    readonly alias: string,
    cause: unknown,
  ) {
    super(`Transform ${alias} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      context: { stage: `transforms.${alias}` },
    });
  }
}

function listOf(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The aliases listed in `transforms` or `predicates`, each with its prefix and `type`. A repeated alias (Connect
 * rejects it: both entries would share one set of keys) and a missing type are reported and skipped.
 */
function* typedAliases(
  raw: Readonly<Record<string, string>>,
  list: 'transforms' | 'predicates',
  issues: ConfigIssue[],
): Generator<{ alias: string; prefix: string; type: string }> {
  const seen = new Set<string>();
  for (const alias of listOf(raw[list])) {
    const prefix = `${list}.${alias}.`;
    if (seen.has(alias)) {
      issues.push({ key: list, message: `Duplicate alias provided: ${alias}` });
      continue;
    }
    seen.add(alias);
    const type = raw[`${prefix}type`];
    if (!type) {
      issues.push({
        key: `${prefix}type`,
        message: `Missing required configuration "${prefix}type" which has no default value.`,
      });
      continue;
    }
    yield { alias, prefix, type };
  }
}

/**
 * Builds Connect's chain from `transforms`, `transforms.<alias>.*`, `predicates`, `predicates.<alias>.*`.
 * Returns every problem, each naming its full key, instead of the first.
 */
export function buildChain(
  registry: PluginRegistry,
  raw: Readonly<Record<string, string>>,
): { steps: ChainStep[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const predicates = new Map<string, Predicate>();
  for (const { alias, prefix, type } of typedAliases(raw, 'predicates', issues)) {
    const plugin = registry.find('predicate', type);
    if (!plugin) {
      issues.push({ key: `${prefix}type`, message: `Unknown predicate class ${type}` });
      continue;
    }
    const own = ownKeys(raw, prefix, ['type']);
    const parsed = parseConfig(plugin.configSpec, own, { reportTypos: true });
    issues.push(...parsed.issues.map((i) => ({ key: prefix + i.key, message: i.message })));
    if (parsed.issues.length) continue;
    try {
      predicates.set(alias, plugin.create(parsed.config));
    } catch (err) {
      issues.push(...createIssues(err, prefix));
    }
  }

  const steps: ChainStep[] = [];
  for (const { alias, prefix, type } of typedAliases(raw, 'transforms', issues)) {
    const plugin = registry.find('transform', type);
    if (!plugin) {
      issues.push({ key: `${prefix}type`, message: `Unknown transformation class ${type}` });
      continue;
    }
    const predicateAlias = raw[`${prefix}predicate`];
    let predicate: Predicate | undefined;
    if (predicateAlias) {
      predicate = predicates.get(predicateAlias);
      if (!predicate && !listOf(raw.predicates).includes(predicateAlias)) {
        issues.push({
          key: `${prefix}predicate`,
          message: `Predicate ${predicateAlias} is not listed in "predicates"`,
        });
      }
    }
    const negateText = (raw[`${prefix}negate`] ?? 'false').trim().toLowerCase();
    if (negateText !== 'true' && negateText !== 'false') {
      issues.push({ key: `${prefix}negate`, message: 'expected true or false' });
    }
    const own = ownKeys(raw, prefix, ['type', 'predicate', 'negate']);
    const parsed = parseConfig(plugin.configSpec, own, { reportTypos: true });
    issues.push(...parsed.issues.map((i) => ({ key: prefix + i.key, message: i.message })));
    if (parsed.issues.length) continue;
    try {
      steps.push({ alias, transform: plugin.create(parsed.config), predicate, negate: negateText === 'true' });
    } catch (err) {
      issues.push(...createIssues(err, prefix));
    }
  }
  return { steps, issues };
}

/** A plugin's create() may reject settings it can only judge together; its ConfigError names its own keys. */
function createIssues(err: unknown, prefix: string): ConfigIssue[] {
  if (err instanceof ConfigError) return err.issues.map((i) => ({ key: prefix + i.key, message: i.message }));
  return [{ key: `${prefix}type`, message: err instanceof Error ? err.message : String(err) }];
}

function ownKeys(raw: Readonly<Record<string, string>>, prefix: string, reserved: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    if (!reserved.includes(rest)) out[rest] = v;
  }
  return out;
}

/** Applies the chain to one record; a throwing transform becomes a TransformError naming it. */
export function applyChain(steps: readonly ChainStep[], record: ChangeRecord): ChangeRecord | null {
  let r: ChangeRecord | null = record;
  for (const step of steps) {
    if (r === null) return null;
    try {
      if (step.predicate && step.predicate(r) === step.negate) continue;
      r = step.transform(r);
    } catch (err) {
      throw new TransformError(step.alias, err);
    }
  }
  return r;
}
