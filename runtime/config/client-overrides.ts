import { type ConfigIssue, ConnectError } from '../api/index.js';

/**
 * Kafka Connect's per-connector client overrides (KIP-458): a source connector's `producer.override.*`, a sink's
 * `consumer.override.*`, and `admin.override.*` for both, governed by the worker's
 * `connector.client.config.override.policy`. Connect's default is `All` since Kafka 3.0 (KIP-722).
 */
export type ClientType = 'producer' | 'consumer' | 'admin';

export const OVERRIDE_POLICY_KEY = 'connector.client.config.override.policy';
export const OVERRIDE_ALLOWLIST_KEY = 'connector.client.config.override.allowlist';

const PACKAGE = 'org.apache.kafka.connect.connector.policy.';
const POLICY_NAMES = ['All', 'None', 'Principal', 'Allowlist'] as const;
export type OverridePolicyName = (typeof POLICY_NAMES)[number];

/** The keys Connect's Principal policy lets a connector set: who it is, nothing about how the client behaves. */
const PRINCIPAL_KEYS = new Set(['sasl.jaas.config', 'sasl.mechanism', 'security.protocol']);

export interface OverridePolicy {
  readonly name: OverridePolicyName;
  /** `key` without its `<client>.override.` prefix, as Connect's policies see it */
  allows(key: string): boolean;
}

/** Connect accepts a policy by alias (`All`) or by class name (`…AllConnectorClientConfigOverridePolicy`). */
export function policyName(value: string): OverridePolicyName | undefined {
  const v = value.trim();
  const alias = v.startsWith(PACKAGE) ? v.slice(PACKAGE.length).replace(/ConnectorClientConfigOverridePolicy$/, '') : v;
  return POLICY_NAMES.find((n) => n.toLowerCase() === alias.toLowerCase());
}

export function validatePolicyValue(value: unknown): string | undefined {
  if (policyName(String(value ?? '')) !== undefined) return undefined;
  return `Invalid value ${String(value)}: one of ${POLICY_NAMES.join(', ')} (or its ${PACKAGE}<Name>ConnectorClientConfigOverridePolicy class name)`;
}

/** The worker's policy, from its settings as strings. */
export function overridePolicy(worker: Readonly<Record<string, string>>): OverridePolicy {
  const raw = worker[OVERRIDE_POLICY_KEY] ?? 'All';
  const name = policyName(raw);
  if (!name) throw new ConnectError(`${OVERRIDE_POLICY_KEY}: ${validatePolicyValue(raw)}`);
  switch (name) {
    case 'All':
      return { name, allows: () => true };
    case 'None':
      return { name, allows: () => false };
    case 'Principal':
      return { name, allows: (k) => PRINCIPAL_KEYS.has(k) };
    case 'Allowlist': {
      const list = new Set(
        (worker[OVERRIDE_ALLOWLIST_KEY] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return { name, allows: (k) => list.has(k) };
    }
  }
}

/** A connector's `<client>.override.*` keys with the prefix removed. */
export function clientOverrides(
  connector: Readonly<Record<string, string>>,
  client: ClientType,
): Record<string, string> {
  const prefix = `${client}.override.`;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(connector)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/**
 * The clients a connector has, as Connect decides which overrides to check: a source always produces and has an
 * admin client when it creates topics; a sink always consumes, and produces (with an admin client) only to a
 * dead letter queue. Overrides for a client the connector does not have are ignored, as in Connect.
 */
export function clientsOf(type: 'source' | 'sink', connector: Readonly<Record<string, string>>): ClientType[] {
  if (type === 'source') {
    const createsTopics = Object.keys(connector).some((k) => k.startsWith('topic.creation.'));
    return createsTopics ? ['producer', 'admin'] : ['producer'];
  }
  const dlq = (connector['errors.deadletterqueue.topic.name'] ?? '').trim() !== '';
  return dlq ? ['consumer', 'producer', 'admin'] : ['consumer'];
}

/** One issue per override the policy forbids, on the prefixed key, with Connect's message. */
export function clientOverrideIssues(
  policy: OverridePolicy,
  type: 'source' | 'sink',
  connector: Readonly<Record<string, string>>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const client of clientsOf(type, connector)) {
    for (const key of Object.keys(clientOverrides(connector, client))) {
      if (policy.allows(key)) continue;
      issues.push({
        key: `${client}.override.${key}`,
        message: `The '${policy.name}' policy does not allow '${key}' to be overridden in the connector configuration.`,
      });
    }
  }
  return issues;
}
