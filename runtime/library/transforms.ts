import type { TransformPlugin } from '../api/plugins.js';
import type { ChangeRecord } from '../data/record.js';
import { toRawConfig } from './config-input.js';

/**
 * A transform given as a function: it sees each record as Kafka's and Debezium's SMTs do (topic, key and value
 * with their Connect schemas; int64 a number when it is a safe integer, else a bigint) and returns the record to
 * pass on, a new one, or null to drop it. It runs in the chain where it is listed, with errors.tolerance applying
 * to what it throws.
 */
export type TransformFunction = (record: ChangeRecord) => ChangeRecord | null;

/** An SMT as in a connector config, without the `transforms.<alias>.` prefix: `{ type, ...its keys }`. */
export interface TransformConfig {
  readonly type: string;
}

/**
 * capture()'s `transforms` option as connector keys: entry i becomes alias `option<i>` (so an error names
 * `transforms.option1.…`), after the aliases of `config.transforms`. A function becomes a transform plugin of its
 * own, registered for this capture only.
 */
export function transformKeys(
  existing: string | undefined,
  list: ReadonlyArray<TransformConfig | TransformFunction>,
): { raw: Record<string, string>; plugins: TransformPlugin[] } {
  const raw: Record<string, string> = {};
  const plugins: TransformPlugin[] = [];
  const aliases: string[] = [];
  list.forEach((t, i) => {
    const alias = `option${i}`;
    aliases.push(alias);
    const prefix = `transforms.${alias}.`;
    if (typeof t === 'function') {
      const className = `io.sluice.library.FunctionTransform$${alias}`;
      plugins.push({
        type: 'transform',
        name: `library-function-${alias}`,
        className,
        version: '1',
        configSpec: [],
        doc: 'A function given to capture()',
        create: () => t,
      });
      raw[`${prefix}type`] = className;
    } else {
      Object.assign(raw, toRawConfig(t as unknown as Readonly<Record<string, unknown>>, prefix));
    }
  });
  const before = (existing ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (aliases.length) raw.transforms = [...before, ...aliases].join(',');
  return { raw, plugins };
}
