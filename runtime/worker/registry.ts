import type { Plugin } from '../api/index.js';

type Kind = Plugin['type'];
type PluginOf<K extends Kind> = Extract<Plugin, { type: K }>;

/**
 * Java's `Class.getSimpleName()` of a class name: the part after the package, and after the enclosing class of a
 * nested one (`…transforms.InsertField$Value` → `Value`).
 */
function simpleName(className: string): string {
  const s = className.slice(className.lastIndexOf('.') + 1);
  return s.slice(s.lastIndexOf('$') + 1);
}

/** The type names Connect prunes from the end of a simple name (PluginUtils.prunedName). */
function suffixes(p: Plugin, className: string): string[] {
  switch (p.type) {
    case 'source':
    case 'sink':
      return ['Connector'];
    case 'converter':
      // A header converter is registered as both a Converter and a HeaderConverter in Connect.
      return className.endsWith('HeaderConverter') ? ['Converter', 'HeaderConverter'] : ['Converter'];
    case 'transform':
      return ['Transformation'];
    case 'predicate':
      return ['Predicate'];
  }
}

/** Connect's aliases of one class name: its simple name, and that name without its type suffix. */
function derivedAliases(p: Plugin, className: string): string[] {
  const simple = simpleName(className);
  const out = [simple];
  for (const suffix of suffixes(p, className)) {
    const pos = simple.lastIndexOf(suffix);
    if (pos > 0) out.push(simple.slice(0, pos));
  }
  return out;
}

/**
 * Every plugin by canonical class name, short name and aliases (case-sensitive, as Java class names), and by the
 * aliases Kafka Connect derives from each class name (PluginUtils.computeAliases): the simple name and the simple
 * name without its `Connector` / `Converter` / `Transformation` / `Predicate` suffix (`FileStreamSinkConnector`,
 * `FileStreamSink`, `PostgresConnector`, `Postgres`, `JsonConverter`, `Json`). As in Connect, a derived alias that
 * two plugins share names neither.
 */
export class PluginRegistry {
  private readonly byName = new Map<string, Plugin>();
  private readonly candidates = new Map<string, Set<Plugin>>();
  private readonly all: Plugin[] = [];

  register(...plugins: Plugin[]): this {
    for (const p of plugins) {
      for (const n of [p.className, p.name, ...(p.aliases ?? [])]) {
        const existing = this.byName.get(n);
        if (existing && existing !== p) throw new Error(`plugin name ${n} is taken by ${existing.className}`);
        this.byName.set(n, p);
      }
      // Every Java class name the plugin answers to: ours and the Kafka / Debezium names it stands in for.
      for (const cls of [p.className, ...(p.aliases ?? [])].filter((n) => n.includes('.'))) {
        for (const alias of derivedAliases(p, cls)) {
          let set = this.candidates.get(alias);
          if (!set) {
            set = new Set();
            this.candidates.set(alias, set);
          }
          set.add(p);
        }
      }
      this.all.push(p);
    }
    return this;
  }

  /** A plugin of any kind by any of its names or derived aliases. */
  get(name: string): Plugin | undefined {
    const p = this.byName.get(name);
    if (p) return p;
    const set = this.candidates.get(name);
    return set?.size === 1 ? [...set][0] : undefined;
  }

  find<K extends Kind>(kind: K, name: string): PluginOf<K> | undefined {
    const p = this.get(name);
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
    const explicit = [...this.byName.entries()].filter(([, p]) => p.type === kind).map(([n]) => n);
    const derived = [...this.candidates.entries()]
      .filter(([n, set]) => set.size === 1 && !this.byName.has(n) && [...set][0].type === kind)
      .map(([n]) => n);
    return [...explicit, ...derived];
  }
}
