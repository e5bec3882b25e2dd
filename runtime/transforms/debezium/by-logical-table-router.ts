import { type ChangeRecord, ConfigError, key, type Schema, Schemas } from '../../api/index.js';
import { DEBEZIUM_PACKAGE, debeziumTransform } from '../support/define.js';
import { compileJavaRegex, javaReplacement } from '../support/java-regex.js';
import { isPlainObject, structLike } from '../support/structs.js';

interface Route {
  readonly topic: string;
  readonly keyField: string;
}

export const byLogicalTableRouter = debeziumTransform(
  `${DEBEZIUM_PACKAGE}ByLogicalTableRouter`,
  'by-logical-table-router',
  ['ByLogicalTableRouter'],
  {
    doc: 'Reroutes change events of several physical tables (e.g. shards) to one logical topic, adding the physical table to the key so keys stay unique.',
    configSpec: [
      key('topic.regex', 'string', 'Java-syntax regular expression matched against the whole topic.'),
      key('topic.replacement', 'string', 'The logical topic, with group references into `topic.regex`.'),
      key(
        'key.enforce.uniqueness',
        'boolean',
        'Adds the physical table (original topic) to each key, so equal keys of different shards stay distinct.',
        { default: true },
      ),
      key('key.field.name', 'string', 'Name of the key field denoting the physical table.', {
        default: '__dbz__physicalTableIdentifier',
      }),
      key(
        'key.field.regex',
        'string',
        'Optional regular expression picking the part of the original topic that identifies the physical table.',
        { default: null },
      ),
      key(
        'key.field.replacement',
        'string',
        "Replacement for `key.field.regex`; its result is the key field's value.",
        { default: null },
      ),
      key(
        'schema.name.adjustment.mode',
        'string',
        '`avro`/`avro_unicode` replace characters Avro does not allow in the new schema names; `none` keeps them.',
        {
          default: 'none',
          validValues: ['none', 'avro', 'avro_unicode'],
        },
      ),
      key('logical.table.cache.size', 'int', 'Accepted for compatibility; routes are cached per topic regardless.', {
        default: 16,
        min: 1,
      }),
    ],
    create(config) {
      const topicRe = compileJavaRegex(config.string('topic.regex'), 'topic.regex');
      const topicReplace = javaReplacement(config.string('topic.replacement'), 'topic.replacement');
      const unique = config.bool('key.enforce.uniqueness');
      const keyField = config.string('key.field.name');
      const keyRegex = config.optionalString('key.field.regex');
      const keyReplacement = config.optionalString('key.field.replacement');
      if (keyRegex !== undefined && keyReplacement === undefined) {
        throw new ConfigError([
          {
            key: 'key.field.replacement',
            message: 'key.field.replacement must be specified if key.field.regex is specified',
          },
        ]);
      }
      const keyRe = keyRegex === undefined ? undefined : compileJavaRegex(keyRegex, 'key.field.regex', false);
      const keyReplace =
        keyReplacement === undefined ? undefined : javaReplacement(keyReplacement, 'key.field.replacement');
      const avro = config.string('schema.name.adjustment.mode') !== 'none';
      const routes = new Map<string, Route | null>();
      const keySchemas = new Map<string, Schema>();
      const valueSchemas = new Map<string, Schema>();

      const routeOf = (topic: string): Route | null => {
        let r = routes.get(topic);
        if (r === undefined) {
          const m = topicRe.exec(topic);
          if (!m) r = null;
          else {
            let id = topic;
            if (keyRe && keyReplace) {
              keyRe.lastIndex = 0;
              const km = keyRe.exec(topic);
              if (km) id = topic.slice(0, km.index) + keyReplace(km) + topic.slice(km.index + km[0].length);
            }
            r = { topic: topicReplace(m), keyField: id };
          }
          if (routes.size < 1000) routes.set(topic, r);
        }
        return r;
      };
      const schemaName = (topic: string, suffix: string) => {
        const name = `${topic}.${suffix}`;
        return avro ? name.replace(/[^A-Za-z0-9_.]/g, '_') : name;
      };
      const cached = (cache: Map<string, Schema>, k: string, build: () => Schema) => {
        let s = cache.get(k);
        if (!s) {
          s = build();
          cache.set(k, s);
        }
        return s;
      };
      // Schemas are rebuilt per (physical topic, input schema) only; the caches are keyed by both.
      const schemaIds = new WeakMap<Schema, number>();
      let nextId = 0;
      const idOf = (s: Schema) => {
        let id = schemaIds.get(s);
        if (id === undefined) {
          id = nextId++;
          schemaIds.set(s, id);
        }
        return id;
      };

      return (record: ChangeRecord) => {
        const route = routeOf(record.topic);
        if (!route) return record;
        let keySchema = record.keySchema;
        let keyValue = record.key;
        if (keySchema?.type === 'struct' && isPlainObject(keyValue)) {
          const ks = keySchema;
          keySchema = cached(keySchemas, `${record.topic}\u0000${idOf(ks)}`, () => {
            const fields: Array<readonly [string, Schema]> = (ks.fields ?? []).map((f) => [f.name, f.schema] as const);
            if (unique) fields.push([keyField, Schemas.string()]);
            return Schemas.struct(fields, ks.optional, { name: schemaName(route.topic, 'Key') });
          });
          keyValue = unique ? { ...keyValue, [keyField]: route.keyField } : keyValue;
        } else if (keySchema === undefined && isPlainObject(keyValue) && unique) {
          keyValue = { ...keyValue, [keyField]: route.keyField };
        }
        let valueSchema = record.valueSchema;
        const vs = valueSchema;
        if (vs?.type === 'struct' && vs.name?.endsWith('.Envelope')) {
          valueSchema = cached(valueSchemas, `${record.topic}\u0000${idOf(vs)}`, () =>
            Schemas.struct(
              (vs.fields ?? []).map((f) => {
                if ((f.name === 'before' || f.name === 'after') && f.schema.type === 'struct') {
                  return [
                    f.name,
                    structLike(
                      { ...f.schema, name: schemaName(route.topic, 'Value') },
                      f.schema.fields!.map((x) => [x.name, x.schema] as const),
                    ),
                  ] as const;
                }
                return [f.name, f.schema] as const;
              }),
              vs.optional,
              { name: schemaName(route.topic, 'Envelope'), ...(vs.version !== undefined && { version: vs.version }) },
            ),
          );
        }
        return { ...record, topic: route.topic, keySchema, key: keyValue, valueSchema };
      };
    },
  },
);
