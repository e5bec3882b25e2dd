import { describe, expect, it } from 'vitest';
import { Schemas } from '../../../runtime/api/index.js';
import { buildChain, TransformError } from '../../../runtime/transforms/chain.js';
import { chain, record, registry } from './fixtures.js';

describe('transform chain (Connect semantics)', () => {
  it('finds every plugin by Kafka/Debezium class name, simple name and kebab name', () => {
    for (const name of [
      'org.apache.kafka.connect.transforms.InsertField$Value',
      'InsertField$Value',
      'insert-field-value',
      'org.apache.kafka.connect.transforms.ValueToKey',
      'io.debezium.transforms.ExtractNewRecordState',
      'io.debezium.transforms.outbox.EventRouter',
      'io.debezium.transforms.ByLogicalTableRouter',
      'io.debezium.transforms.Filter',
      'io.debezium.transforms.ContentBasedRouter',
      'io.debezium.transforms.HeaderToValue',
    ]) {
      expect(registry.find('transform', name), name).toBeDefined();
    }
    expect(registry.find('predicate', 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches')).toBeDefined();
    expect(registry.find('predicate', 'RecordIsTombstone')).toBeDefined();
    // Kafka's Filter and Debezium's content Filter are different plugins.
    expect(registry.find('transform', 'Filter')).not.toBe(registry.find('transform', 'io.debezium.transforms.Filter'));
  });

  it('applies transforms in the listed order', () => {
    const apply = chain({
      transforms: 'a,b',
      'transforms.a.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.a.regex': '(.*)',
      'transforms.a.replacement': '$1-a',
      'transforms.b.type': 'RegexRouter',
      'transforms.b.regex': '(.*)',
      'transforms.b.replacement': '$1-b',
    });
    expect(apply(record({ topic: 't' }))?.topic).toBe('t-a-b');
  });

  it('guards a transform with a predicate, and negate inverts it', () => {
    const base = {
      transforms: 'drop',
      'transforms.drop.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.drop.predicate': 'isFoo',
      predicates: 'isFoo',
      'predicates.isFoo.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
      'predicates.isFoo.pattern': 'foo.*',
    };
    const apply = chain(base);
    expect(apply(record({ topic: 'foo1' }))).toBeNull();
    expect(apply(record({ topic: 'bar' }))?.topic).toBe('bar');
    // The pattern must match the whole topic, as Java's Matcher.matches().
    expect(apply(record({ topic: 'xfoo' }))?.topic).toBe('xfoo');
    const negated = chain({ ...base, 'transforms.drop.negate': 'true' });
    expect(negated(record({ topic: 'foo1' }))?.topic).toBe('foo1');
    expect(negated(record({ topic: 'bar' }))).toBeNull();
  });

  it('HasHeaderKey and RecordIsTombstone predicates', () => {
    const apply = chain({
      transforms: 'dropTombstones,dropMarked',
      'transforms.dropTombstones.type': 'Filter',
      'transforms.dropTombstones.predicate': 'tomb',
      'transforms.dropMarked.type': 'Filter',
      'transforms.dropMarked.predicate': 'marked',
      predicates: 'tomb,marked',
      'predicates.tomb.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
      'predicates.marked.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
      'predicates.marked.name': 'skip',
    });
    expect(apply(record({ value: null }))).toBeNull();
    expect(apply(record({ value: { a: 1 }, headers: [{ key: 'skip', value: null }] }))).toBeNull();
    expect(apply(record({ value: { a: 1 }, headers: [{ key: 'other', value: 1 }] }))?.value).toEqual({ a: 1 });
  });

  it('names the full key of every bad setting', () => {
    const { issues } = buildChain(registry, {
      transforms: 'route,ins,unknown,nopred',
      'transforms.route.type': 'RegexRouter',
      'transforms.route.regex': '(unclosed',
      'transforms.route.replacement': '$1',
      'transforms.ins.type': 'InsertField$Value',
      'transforms.ins.static.feld': 'x',
      'transforms.unknown.type': 'com.example.Nope',
      'transforms.nopred.type': 'Filter',
      'transforms.nopred.predicate': 'missing',
      'transforms.nopred.negate': 'maybe',
    });
    const keys = issues.map((i) => i.key);
    expect(keys).toContain('transforms.route.regex');
    expect(keys).toContain('transforms.ins.static.feld');
    expect(keys).toContain('transforms.unknown.type');
    expect(keys).toContain('transforms.nopred.predicate');
    expect(keys).toContain('transforms.nopred.negate');
  });

  it('reports a missing required key and a missing type', () => {
    const { issues } = buildChain(registry, {
      transforms: 'a,b',
      'transforms.a.type': 'ExtractField$Value',
      predicates: 'p',
      'predicates.p.type': 'TopicNameMatches',
    });
    expect(issues.map((i) => i.key).sort()).toEqual([
      'predicates.p.pattern',
      'transforms.a.field',
      'transforms.b.type',
    ]);
  });

  it('rejects a duplicated alias', () => {
    const { issues } = buildChain(registry, { transforms: 'a,a', 'transforms.a.type': 'Filter' });
    expect(issues).toEqual([{ key: 'transforms', message: 'Duplicate alias provided: a' }]);
  });

  it('a record a transform cannot handle throws a TransformError naming the alias', () => {
    const apply = chain({
      transforms: 'pick',
      'transforms.pick.type': 'ExtractField$Value',
      'transforms.pick.field': 'nope',
    });
    const r = record({ valueSchema: Schemas.struct([['id', Schemas.int32()]]), value: { id: 1 } });
    let err: unknown;
    try {
      apply(r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransformError);
    expect((err as TransformError).alias).toBe('pick');
    expect((err as TransformError).context.stage).toBe('transforms.pick');
    expect((err as Error).message).toContain('Unknown field: nope');
  });

  it('a null from a transform ends the chain', () => {
    const apply = chain({
      transforms: 'drop,route',
      'transforms.drop.type': 'Filter',
      'transforms.route.type': 'RegexRouter',
      'transforms.route.regex': '.*',
      'transforms.route.replacement': 'x',
    });
    expect(apply(record())).toBeNull();
  });
});
