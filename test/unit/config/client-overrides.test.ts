import { describe, expect, it } from 'vitest';
import {
  clientOverrideIssues,
  clientOverrides,
  clientsOf,
  overridePolicy,
  policyName,
} from '../../../runtime/config/client-overrides.js';
import { parseWorkerConfig } from '../../../runtime/config/worker.js';

const source = {
  'connector.class': 'FileStreamSource',
  'producer.override.linger.ms': '50',
  'producer.override.sasl.jaas.config': 'x',
  'consumer.override.fetch.min.bytes': '9',
  'admin.override.request.timeout.ms': '5',
};

describe('connector client overrides (KIP-458)', () => {
  it('reads a client type’s keys without the prefix', () => {
    expect(clientOverrides(source, 'producer')).toEqual({ 'linger.ms': '50', 'sasl.jaas.config': 'x' });
    expect(clientOverrides(source, 'admin')).toEqual({ 'request.timeout.ms': '5' });
  });

  it('checks only the clients a connector has, as Connect', () => {
    expect(clientsOf('source', source)).toEqual(['producer']);
    expect(clientsOf('source', { 'topic.creation.default.partitions': '1' })).toEqual(['producer', 'admin']);
    expect(clientsOf('sink', {})).toEqual(['consumer']);
    expect(clientsOf('sink', { 'errors.deadletterqueue.topic.name': 'dlq' })).toEqual([
      'consumer',
      'producer',
      'admin',
    ]);
  });

  it('defaults to All (Connect since 3.0) and accepts aliases and class names', () => {
    expect(overridePolicy({}).name).toBe('All');
    expect(clientOverrideIssues(overridePolicy({}), 'source', source)).toEqual([]);
    expect(policyName('org.apache.kafka.connect.connector.policy.PrincipalConnectorClientConfigOverridePolicy')).toBe(
      'Principal',
    );
    expect(policyName('none')).toBe('None');
    expect(policyName('Everything')).toBeUndefined();
    expect(() => overridePolicy({ 'connector.client.config.override.policy': 'Everything' })).toThrow(
      /connector.client.config.override.policy/,
    );
  });

  it('None refuses every override of the clients in use, naming the prefixed key with Connect’s message', () => {
    const issues = clientOverrideIssues(
      overridePolicy({ 'connector.client.config.override.policy': 'None' }),
      'source',
      source,
    );
    expect(issues).toEqual([
      {
        key: 'producer.override.linger.ms',
        message: "The 'None' policy does not allow 'linger.ms' to be overridden in the connector configuration.",
      },
      {
        key: 'producer.override.sasl.jaas.config',
        message: "The 'None' policy does not allow 'sasl.jaas.config' to be overridden in the connector configuration.",
      },
    ]);
  });

  it('Principal allows only security.protocol, sasl.mechanism and sasl.jaas.config', () => {
    const policy = overridePolicy({ 'connector.client.config.override.policy': 'Principal' });
    const sink = {
      'consumer.override.security.protocol': 'SASL_SSL',
      'consumer.override.sasl.mechanism': 'PLAIN',
      'consumer.override.group.id': 'mine',
    };
    expect(clientOverrideIssues(policy, 'sink', sink).map((i) => i.key)).toEqual(['consumer.override.group.id']);
  });

  it('Allowlist allows the listed keys only', () => {
    const policy = overridePolicy({
      'connector.client.config.override.policy': 'Allowlist',
      'connector.client.config.override.allowlist': 'linger.ms, acks',
    });
    expect(clientOverrideIssues(policy, 'source', source).map((i) => i.key)).toEqual([
      'producer.override.sasl.jaas.config',
    ]);
  });

  it('the worker config takes the policy keys and refuses an unknown policy', () => {
    expect(
      parseWorkerConfig({ 'connector.client.config.override.policy': 'Principal' }).config.string(
        'connector.client.config.override.policy',
      ),
    ).toBe('Principal');
    expect(() => parseWorkerConfig({ 'connector.client.config.override.policy': 'Some' })).toThrow(
      /connector.client.config.override.policy/,
    );
  });
});
