import {
  type Config,
  type ConfigSpec,
  defineTransform,
  key,
  type Transform,
  type TransformPlugin,
} from '../../api/index.js';
import type { Side } from './records.js';

export const KAFKA_PACKAGE = 'org.apache.kafka.connect.transforms.';
export const DEBEZIUM_PACKAGE = 'io.debezium.transforms.';
export const VERSION = '0.1.0';

/** Kafka 3.7's switch (KIP-1004); most transforms of Kafka and Debezium carry it. */
export const replaceNullKey = key(
  'replace.null.with.default',
  'boolean',
  'When true, a null field whose schema declares a default reads as that default; when false it stays null.',
  { default: true, importance: 'MEDIUM' },
);

interface Spec {
  readonly configSpec: ConfigSpec;
  readonly doc: string;
}

/**
 * One Kafka transform without Key/Value variants. Naming scheme: className is Kafka's full class name, name is
 * kebab-case (`regex-router`), and the simple class name (`RegexRouter`) is an alias.
 */
export function kafkaTransform(
  simple: string,
  name: string,
  spec: Spec & { create(config: Config): Transform },
): TransformPlugin {
  return defineTransform({ name, className: KAFKA_PACKAGE + simple, aliases: [simple], version: VERSION, ...spec });
}

/**
 * Kafka's `$Key` and `$Value` variants: `InsertField$Key` / `insert-field-key` and `InsertField$Value` /
 * `insert-field-value`.
 */
export function keyValueTransforms(
  simple: string,
  name: string,
  spec: Spec & { create(config: Config, side: Side): Transform },
): [TransformPlugin, TransformPlugin] {
  const make = (side: Side, suffix: 'Key' | 'Value'): TransformPlugin =>
    defineTransform({
      name: `${name}-${side}`,
      className: `${KAFKA_PACKAGE}${simple}$${suffix}`,
      aliases: [`${simple}$${suffix}`],
      version: VERSION,
      configSpec: spec.configSpec,
      doc: spec.doc,
      create: (config) => spec.create(config, side),
    });
  return [make('key', 'Key'), make('value', 'Value')];
}

/** A Debezium transform: className is Debezium's full class name, plus a kebab-case name and the simple name. */
export function debeziumTransform(
  className: string,
  name: string,
  aliases: readonly string[],
  spec: Spec & { create(config: Config): Transform },
): TransformPlugin {
  return defineTransform({ name, className, aliases, version: VERSION, ...spec });
}
