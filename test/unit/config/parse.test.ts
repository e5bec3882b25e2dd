import { describe, expect, it } from 'vitest';
import { key } from '../../../runtime/api/index.js';
import { validateConnectorConfig } from '../../../runtime/config/connector.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';

describe('connector config validation', () => {
  const registry = builtinRegistry();

  it('reports three different mistakes at once, each naming its key', async () => {
    const v = await validateConnectorConfig(registry, {
      name: 'copy',
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
      // missing: topic
      file: '/tmp/in.txt',
      'tasks.max': 'two', // wrong type
      'errors.tolerance': 'some', // bad enum value
      'batch.szie': '10', // typo of batch.size
    });
    const keys = v.issues.map((i) => i.key).sort();
    expect(keys).toEqual(['batch.szie', 'errors.tolerance', 'tasks.max', 'topic']);
    expect(v.issues.find((i) => i.key === 'batch.szie')?.message).toMatch(/did you mean "batch.size"/);
    expect(v.issues.find((i) => i.key === 'errors.tolerance')?.message).toMatch(/none, all/);
    expect(v.issues.find((i) => i.key === 'tasks.max')?.message).toMatch(/whole number/);
    expect(v.issues.find((i) => i.key === 'topic')?.message).toMatch(/Missing required/);
  });

  it('accepts our short names and Kafka class names for the same plugin', async () => {
    for (const cls of ['FileStreamSource', 'file-source', 'org.apache.kafka.connect.file.FileStreamSourceConnector']) {
      const v = await validateConnectorConfig(registry, { name: 'x', 'connector.class': cls, file: '/f', topic: 't' });
      expect(v.issues).toEqual([]);
      expect(v.result?.plugin.name).toBe('file-source');
    }
  });

  it('names an unknown connector class and suggests a near one', async () => {
    const v = await validateConnectorConfig(registry, { name: 'x', 'connector.class': 'FileStreamSorce' });
    expect(v.issues[0].key).toBe('connector.class');
    expect(v.issues[0].message).toMatch(/did you mean FileStreamSource/);
  });

  it('requires topics or topics.regex on sinks, not both', async () => {
    const none = await validateConnectorConfig(registry, {
      name: 'x',
      'connector.class': 'FileStreamSink',
      file: '/f',
    });
    expect(none.issues.map((i) => i.key)).toEqual(['topics']);
    const both = await validateConnectorConfig(registry, {
      name: 'x',
      'connector.class': 'FileStreamSink',
      file: '/f',
      topics: 'a',
      'topics.regex': 'a.*',
    });
    expect(both.issues.map((i) => i.key)).toEqual(['topics.regex']);
  });

  it('does not flag free-form prefixes or far-off unknown keys as typos', async () => {
    const v = await validateConnectorConfig(registry, {
      name: 'x',
      'connector.class': 'FileStreamSource',
      file: '/f',
      topic: 't',
      'value.converter.schemas.enable': 'false',
      'my.own.setting': 'kept',
    });
    expect(v.issues).toEqual([]);
  });
});

describe('secret values in messages', () => {
  it('never shows a resolved value in a validation message', () => {
    const spec = [key('port', 'int', 'p'), key('mode', 'string', 'm', { validValues: ['a', 'b'] })];
    const { issues } = parseConfig(
      spec,
      { port: 'hunter2', mode: 'topsecret' },
      { secretKeys: new Set(['port', 'mode']) },
    );
    expect(issues).toHaveLength(2);
    for (const i of issues) {
      expect(i.message).not.toMatch(/hunter2|topsecret/);
      expect(i.message).toMatch(/\[hidden\]/);
    }
  });
});
