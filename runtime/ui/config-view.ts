import { hasProviderReference, scrubValue } from '../config/providers/index.js';
import { configInfos } from '../rest/config-infos.js';
import { RestError } from '../rest/errors.js';
import { connectorSecrets, HIDDEN, isSecretKey, scrub } from '../rest/secrets.js';
import type { Herder } from '../worker/herder.js';
import type { ChainEntry, ConfigView, ValidationView } from './api-types.js';

function specOf(herder: Herder, config: Readonly<Record<string, string>>) {
  return herder.registry.connector(config['connector.class'] ?? '')?.configSpec;
}

function listOf(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The transform chain as the config names it, in order, each with its predicate. */
export function chainOf(config: Readonly<Record<string, string>>): ChainEntry[] {
  return listOf(config.transforms).map((alias) => {
    const p = `transforms.${alias}.`;
    const predicate = config[`${p}predicate`];
    return {
      alias,
      type: config[`${p}type`] ?? '',
      ...(predicate
        ? {
            predicate,
            predicateType: config[`predicates.${predicate}.type`] ?? '',
            negate: (config[`${p}negate`] ?? '').toLowerCase() === 'true',
          }
        : {}),
    };
  });
}

/**
 * A connector's config for the dashboard, with secrets hidden as REST hides them in task configs and validation: a
 * secret key's value (by its definition or its name) is `[hidden]`, a config provider reference is shown as written
 * (it holds no secret), and a value a reference resolved to is cut out of any other value. The page never receives a
 * secret, so it can show the config to anyone who may read the status.
 */
export function configView(herder: Herder, name: string): ConfigView {
  const config = herder.connectorConfig(name);
  const spec = specOf(herder, config);
  // Only what the connector's providers resolved is cut out of the other values: those may hold it (a value built
  // from a reference). A secret written as plain text under a secret key is hidden as that key's value; cutting it
  // out of every other value too would mangle them (a password "postgres" in the connector class).
  const secrets = [...herder.secretsOf(name)].sort((a, b) => b.length - a.length);
  return {
    name,
    connectorClass: config['connector.class'] ?? '',
    config: Object.entries(config).map(([key, value]) => {
      const hidden = value !== '' && !hasProviderReference(value) && isSecretKey(key, spec);
      return {
        key,
        value: hidden ? HIDDEN : hasProviderReference(value) ? value : scrubValue(value, secrets),
        hidden,
      };
    }),
    chain: chainOf(config),
  };
}

/** A PATCH body: keys to set (string values) and keys to remove (null). */
export function patchOf(body: unknown): Record<string, string | null> {
  const patch = (body as { patch?: unknown } | null)?.patch;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new RestError(400, 'The body must be {"patch": {"key": "value" | null, …}}');
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out[k] = null;
    else if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new RestError(400, `The value of "${k}" must be a string or null`);
  }
  return out;
}

/**
 * Validates the stored config with `patch` applied, as `PATCH /connectors/{c}/config` would apply it: keys the page
 * did not change (secrets among them, which it never had) keep their stored values. Connect's validation, reduced to
 * the messages of each key (secrets cut out of them, as in ConfigInfos).
 */
export async function validatePatch(
  herder: Herder,
  name: string,
  patch: Readonly<Record<string, string | null>>,
): Promise<ValidationView> {
  const merged: Record<string, string> = { ...herder.connectorConfig(name) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  if (merged.name !== undefined && merged.name !== name)
    throw new RestError(400, `Connector name configuration (${merged.name}) doesn't match connector name (${name})`);
  const { issues, spec, plugin } = await herder.validate(merged);
  const infos = configInfos(plugin?.className ?? merged['connector.class'] ?? '', spec ?? [], merged, issues);
  // Values the connector's provider references resolved to are cut out too, as REST cuts them out of its errors.
  const secrets = connectorSecrets(herder, name);
  const errors: Record<string, string[]> = {};
  for (const c of infos.configs)
    if (c.value.errors.length) errors[c.value.name] = c.value.errors.map((m) => scrub(m, secrets));
  return { errorCount: infos.error_count, errors };
}
