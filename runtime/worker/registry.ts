import type { Plugin } from '../api/index.js';

type Kind = Plugin['type'];
type PluginOf<K extends Kind> = Extract<Plugin, { type: K }>;

/** Every plugin by canonical class name, short name and aliases (case-sensitive, as Java class names). */
export class PluginRegistry {
  private readonly byName = new Map<string, Plugin>();
  private readonly all: Plugin[] = [];

  register(...plugins: Plugin[]): this {
    for (const p of plugins) {
      for (const n of [p.className, p.name, ...(p.aliases ?? [])]) {
        const existing = this.byName.get(n);
        if (existing && existing !== p) throw new Error(`plugin name ${n} is taken by ${existing.className}`);
        this.byName.set(n, p);
      }
      this.all.push(p);
    }
    return this;
  }

  find<K extends Kind>(kind: K, name: string): PluginOf<K> | undefined {
    const p = this.byName.get(name);
    return p && p.type === kind ? (p as PluginOf<K>) : undefined;
  }

  /** A connector of either kind. */
  connector(name: string): PluginOf<'source'> | PluginOf<'sink'> | undefined {
    return this.find('source', name) ?? this.find('sink', name);
  }

  list(kinds?: readonly Kind[]): Plugin[] {
    return kinds ? this.all.filter((p) => kinds.includes(p.type)) : [...this.all];
  }

  names(kind: Kind): string[] {
    return [...this.byName.entries()].filter(([, p]) => p.type === kind).map(([n]) => n);
  }
}
