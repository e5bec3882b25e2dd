import { describe, expect, it } from 'vitest';
import { key } from '../../../runtime/api/index.js';
import { configInfos, configKeyInfos } from '../../../runtime/rest/config-infos.js';

const spec = [
  key('database.hostname', 'string', 'Host.', { importance: 'HIGH', group: 'Connection' }),
  key('database.port', 'int', 'Port.', { default: 5432, group: 'Connection' }),
  key('database.password', 'password', 'Password.', { default: null, group: 'Connection' }),
  key('snapshot.mode', 'string', 'Mode.', { default: 'initial', validValues: ['initial', 'never'], group: 'Snapshot' }),
  key('tables', 'list', 'Tables.', { default: ['a', 'b'] }),
];

describe('configKeyInfos', () => {
  it('describes each key as Connect does: upper-case type, required when no default, order within its group', () => {
    const [host, port, password, mode, tables] = configKeyInfos(spec);
    expect(host).toEqual({
      name: 'database.hostname',
      type: 'STRING',
      required: true,
      default_value: null,
      importance: 'HIGH',
      documentation: 'Host.',
      group: 'Connection',
      width: 'NONE',
      display_name: 'database.hostname',
      dependents: [],
      order: 1,
    });
    expect([port.type, port.required, port.default_value, port.order]).toEqual(['INT', false, '5432', 2]);
    expect([password.type, password.default_value, password.order]).toEqual(['PASSWORD', null, 3]);
    expect([mode.group, mode.order]).toEqual(['Snapshot', 1]);
    expect([tables.type, tables.default_value, tables.group, tables.order]).toEqual(['LIST', 'a,b', null, 1]);
  });
});

describe('configInfos', () => {
  const raw = {
    'database.hostname': 'db',
    'database.port': 'x',
    'database.password': 'sup3r-s3cret',
    'transforms.t.type': 'Nope',
    'sasl.jaas.config': 'user="u" password="jaas-secret"',
  };
  const issues = [
    { key: 'database.port', message: 'Invalid value "x" for configuration database.port: not a whole number' },
    { key: 'database.hostname', message: 'cannot log in to db with password sup3r-s3cret' },
    { key: 'transforms.t.type', message: 'Class Nope could not be found.' },
  ];
  const infos = configInfos('io.example.Pg', spec, raw, issues);
  const byName = new Map(infos.configs.map((c) => [c.definition.name, c]));

  it('counts errors and lists groups in order of first appearance', () => {
    expect(infos.name).toBe('io.example.Pg');
    expect(infos.error_count).toBe(3);
    expect(infos.groups).toEqual(['Connection', 'Snapshot', 'Transforms']);
  });

  it('shows given values, defaults for absent keys, errors per key and recommended values', () => {
    expect(byName.get('database.port')?.value).toEqual({
      name: 'database.port',
      value: 'x',
      recommended_values: [],
      errors: ['Invalid value "x" for configuration database.port: not a whole number'],
      visible: true,
    });
    expect(byName.get('snapshot.mode')?.value.value).toBe('initial');
    expect(byName.get('snapshot.mode')?.value.recommended_values).toEqual(['initial', 'never']);
    expect(byName.get('tables')?.value.value).toBe('a,b');
  });

  it('adds keys outside the spec that have errors', () => {
    const t = byName.get('transforms.t.type');
    expect(t?.definition.group).toBe('Transforms');
    expect(t?.value.errors).toEqual(['Class Nope could not be found.']);
    expect(byName.has('sasl.jaas.config')).toBe(false);
  });

  it('never shows a password: hidden as a value and cut out of messages', () => {
    expect(byName.get('database.password')?.value.value).toBe('[hidden]');
    const text = JSON.stringify(infos);
    expect(text).not.toContain('sup3r-s3cret');
    expect(byName.get('database.hostname')?.value.errors).toEqual(['cannot log in to db with password [hidden]']);
  });
});
