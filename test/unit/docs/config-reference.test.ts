import { describe, expect, it } from 'vitest';
import { key } from '../../../runtime/api/index.js';
import { connectorCommonSpec, sinkCommonSpec, sourceCommonSpec } from '../../../runtime/config/common.js';
import { specFor } from '../../../runtime/config/connector.js';
import { workerSpec } from '../../../runtime/config/worker.js';
import { builtinRegistry } from '../../../runtime/worker/plugins.js';
import {
  END,
  renderConfigurationDoc,
  renderReadmeSection,
  replaceSection,
  START,
  table,
} from '../../../scripts/config-reference.js';

describe('generated configuration reference', () => {
  const doc = renderConfigurationDoc();

  it('has a section for every registered plugin with every key of its own', () => {
    const common = new Set([...connectorCommonSpec, ...sourceCommonSpec, ...sinkCommonSpec].map((k) => k.name));
    for (const p of builtinRegistry().list()) {
      const at = doc.indexOf(`### ${p.name} (${p.className})`);
      expect(at, p.className).toBeGreaterThan(0);
      const next = doc.indexOf('\n### ', at + 1);
      const section = doc.slice(at, next < 0 ? undefined : next);
      const own =
        p.type === 'source' || p.type === 'sink' ? specFor(p).filter((k) => !common.has(k.name)) : p.configSpec;
      for (const k of own) expect(section, `${p.name}: ${k.name}`).toContain(`| \`${k.name}\` |`);
    }
  });

  it('lists every worker key and the common connector keys', () => {
    for (const k of [...workerSpec, ...connectorCommonSpec, ...sourceCommonSpec, ...sinkCommonSpec])
      expect(doc).toContain(`| \`${k.name}\` |`);
  });

  it('marks required keys, shows defaults and ranges, and escapes table syntax in docs', () => {
    const t = table([
      key('a.required', 'string', 'must be given'),
      key('b.port', 'int', 'a | pipe\nand a newline', { default: 5432, min: 1, max: 65535 }),
      key('c.mode', 'string', 'one of', { default: 'x', validValues: ['x', 'y'] }),
      key('d.empty', 'string', 'empty default', { default: '' }),
    ]);
    const rows = t.split('\n').slice(2);
    expect(rows[0]).toBe('| `a.required` | string | **required** |  | MEDIUM | must be given |');
    expect(rows[1]).toBe('| `b.port` | int | `5432` | 1 … 65535 | MEDIUM | a \\| pipe and a newline |');
    expect(rows[2]).toBe('| `c.mode` | string | `x` | `x`, `y` | MEDIUM | one of |');
    expect(rows[3]).toContain('| `""` |');
  });

  it('replaces only the marked README section, and refuses a README without markers', () => {
    const readme = `# t\n\nbefore\n${START}\nold\n${END}\nafter\n`;
    const section = renderReadmeSection();
    const out = replaceSection(readme, section);
    expect(out.startsWith('# t\n\nbefore\n')).toBe(true);
    expect(out.endsWith('\nafter\n')).toBe(true);
    expect(out).not.toContain('\nold\n');
    expect(replaceSection(out, section)).toBe(out);
    expect(() => replaceSection('# no markers', section)).toThrow(/markers/);
  });
});
