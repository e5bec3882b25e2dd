/**
 * Target table names, as Debezium's DefaultCollectionNamingStrategy and PassthroughCollectionNamingStrategy make
 * them from `collection.name.format`, and their split into schema (or database) and table.
 */

export interface TableId {
  /** PostgreSQL schema or MySQL database; absent: the connection's default */
  readonly schema?: string;
  readonly name: string;
  /** `schema.name` as written, for messages and cache keys */
  readonly text: string;
}

const SOURCE_PLACEHOLDER = /\$\{source\.(.*?)\}/g;

/**
 * `${topic}` becomes the topic with dots replaced by underscores (passthrough: the topic as it is), each
 * `${source.<field>}` that field of the change event's `source` block. Returns null when a `${source.…}` placeholder
 * cannot be resolved (the record is no Debezium event, or the field is missing), as Debezium then skips the record.
 */
export function resolveTableName(
  format: string,
  topic: string,
  source: Record<string, unknown> | undefined,
  passthrough: boolean,
): string | null {
  let name = format.replace(/\$\{topic\}/g, passthrough ? topic : topic.replace(/\./g, '_'));
  if (passthrough || !name.includes('${source.')) return name;
  if (!source) return null;
  let missing = false;
  name = name.replace(SOURCE_PLACEHOLDER, (_m, field: string) => {
    const v = source[field];
    if (v === null || v === undefined) {
      missing = true;
      return '';
    }
    return String(v);
  });
  return missing ? null : name;
}

/**
 * Splits `schema.table` (or `catalog.schema.table`, whose catalog is the connection's database and is dropped).
 * Parts may be double-quoted or backquoted to hold dots.
 */
export function parseTableId(text: string): TableId {
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) {
        if (text[i + 1] === quote) {
          cur += c;
          i++;
        } else quote = undefined;
      } else cur += c;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '.') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new Error(`"${text}" is not a table name (expected table, schema.table or database.schema.table)`);
  }
  const name = parts[parts.length - 1];
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  return { schema, name, text };
}
