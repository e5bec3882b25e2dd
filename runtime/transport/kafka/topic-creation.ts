import { ConnectError, type Logger } from '../../api/index.js';
import type { KafkaAdmin } from './client.js';

/**
 * Kafka Connect's topic creation for source connectors (KIP-158): the connector's `topic.creation.groups` are
 * tried in order (`include` / `exclude` regex lists), then the `default` group. Creation is on for a connector
 * only when `topic.creation.default.replication.factor` and `.partitions` are set; otherwise topics are left to
 * the broker's auto-creation, as in Connect. Other `topic.creation.<group>.<key>` entries become topic configs.
 */
export interface TopicCreationRule {
  readonly group: string;
  readonly include: readonly RegExp[];
  readonly exclude: readonly RegExp[];
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

const RESERVED = new Set(['include', 'exclude', 'partitions', 'replication.factor']);

function regexList(raw: string | undefined, key: string): RegExp[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      try {
        return new RegExp(`^(?:${s})$`);
      } catch (err) {
        throw new ConnectError(`${key}: invalid regular expression ${s}: ${(err as Error).message}`);
      }
    });
}

function count(raw: string | undefined, key: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || (n < 1 && n !== -1))
    throw new ConnectError(`${key}="${raw}" must be a positive integer or -1 (the broker's default)`);
  return n;
}

/** The connector's rules, groups first and default last; empty when topic creation is off for it. */
export function topicCreationRules(
  connector: Readonly<Record<string, string>>,
  workerEnabled = true,
): TopicCreationRule[] {
  if (!workerEnabled) return [];
  const rf = connector['topic.creation.default.replication.factor'];
  const parts = connector['topic.creation.default.partitions'];
  if (rf === undefined || parts === undefined) return [];
  const groups = (connector['topic.creation.groups'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((g) => g && g !== 'default');
  const rule = (group: string, fallback?: TopicCreationRule): TopicCreationRule => {
    const prefix = `topic.creation.${group}.`;
    const configs: Record<string, string> = {};
    for (const [k, v] of Object.entries(connector)) {
      if (k.startsWith(prefix) && !RESERVED.has(k.slice(prefix.length))) configs[k.slice(prefix.length)] = v;
    }
    const ownRf = connector[`${prefix}replication.factor`];
    const ownParts = connector[`${prefix}partitions`];
    return {
      group,
      include: group === 'default' ? [/^/] : regexList(connector[`${prefix}include`], `${prefix}include`),
      exclude: regexList(connector[`${prefix}exclude`], `${prefix}exclude`),
      replicationFactor:
        ownRf !== undefined ? count(ownRf, `${prefix}replication.factor`) : (fallback?.replicationFactor ?? -1),
      partitions: ownParts !== undefined ? count(ownParts, `${prefix}partitions`) : (fallback?.partitions ?? -1),
      configs,
    };
  };
  const def = rule('default');
  return [...groups.map((g) => rule(g, def)), def];
}

export function ruleFor(rules: readonly TopicCreationRule[], topic: string): TopicCreationRule | undefined {
  return rules.find((r) => r.include.some((re) => re.test(topic)) && !r.exclude.some((re) => re.test(topic)));
}

/**
 * Creates one of the worker's own compacted topics (offsets, configs, statuses) unless it exists. Compaction keeps
 * only the latest record per key, so such a topic stays as small as the state it holds; Connect requires it.
 */
export async function ensureCompactedTopic(
  admin: KafkaAdmin,
  spec: { topic: string; partitions: number; replicationFactor: number; purpose: string },
  log: Logger,
): Promise<void> {
  if ((await admin.listTopics()).includes(spec.topic)) return;
  const created = await admin.createTopic({
    topic: spec.topic,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configs: { 'cleanup.policy': 'compact' },
  });
  if (created)
    log.info(
      { topic: spec.topic, partitions: spec.partitions, replicationFactor: spec.replicationFactor },
      `Created the ${spec.purpose} topic`,
    );
}
