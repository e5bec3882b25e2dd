import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LoggerTree } from '../../../runtime/worker/loggers.js';

function tree() {
  const lines: Array<Record<string, unknown>> = [];
  const root = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { t: new LoggerTree(root), lines };
}

describe('LoggerTree', () => {
  it('sets a level on a logger and its descendants only, and returns their names', () => {
    const { t, lines } = tree();
    const a = t.get('connector.a', { connector: 'a' });
    const a0 = t.get('connector.a.task.0', { connector: 'a', task: 0 });
    const b = t.get('connector.b', { connector: 'b' });
    expect(t.setLevel('connector.a', 'debug')).toEqual(['connector.a', 'connector.a.task.0']);
    a.debug('a-debug');
    a0.debug('a0-debug');
    b.debug('b-debug');
    expect(lines.map((l) => l.msg)).toEqual(['a-debug', 'a0-debug']);
    expect(t.level('connector.a')?.level).toBe('DEBUG');
    expect(t.level('connector.b')?.level).toBe('INFO');
    expect(t.level('connector.a')?.last_modified).toBeTypeOf('number');
    expect(t.level('connector.b')?.last_modified).toBeNull();
  });

  it('gives loggers made later the level set on their nearest ancestor', () => {
    const { t, lines } = tree();
    expect(t.setLevel('connector.late', 'WARN')).toEqual(['connector.late']);
    const task = t.get('connector.late.task.3', { connector: 'late', task: 3 });
    task.info('hidden');
    task.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
    expect(t.level('connector.late.task.3')?.level).toBe('WARN');
  });

  it('root changes every logger; OFF silences; unknown levels are refused', () => {
    const { t, lines } = tree();
    const a = t.get('connector.a', { connector: 'a' });
    t.setLevel('connector.a', 'debug');
    expect(t.setLevel('root', 'off')).toEqual(['connector.a', 'root']);
    a.error('nothing');
    expect(lines).toEqual([]);
    expect(t.levels()).toMatchObject({ root: { level: 'OFF' }, 'connector.a': { level: 'OFF' } });
    expect(() => t.setLevel('root', 'loud')).toThrow("Invalid log level 'loud'.");
  });

  it("forgets a deleted connector's loggers but keeps its explicit level", () => {
    const { t } = tree();
    t.get('connector.a', { connector: 'a' });
    t.get('connector.a.task.0', { connector: 'a', task: 0 });
    t.setLevel('connector.a', 'debug');
    t.forget('connector.a');
    expect(Object.keys(t.levels())).toEqual(['connector.a', 'root']);
    expect(t.level('connector.a.task.0')).toBeUndefined();
  });
});
