import { keyColumns, normalizeCharset, parseColumn, tableCharsetOption, takeInlinePk } from './ddl-column.js';
import { type ColumnDef, type SchemaModel, type TableDef, tableId } from './model.js';
import { Parser, type Tok, tokenize } from './sql-parser.js';

/**
 * A DDL parser for the statements that change what rows look like: CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE and
 * CREATE/DROP DATABASE, in the MySQL/MariaDB dialect that SHOW CREATE TABLE and users write. It is tolerant:
 * clauses that do not affect columns, keys or charsets are skipped, and statements it does not know are ignored.
 */

export type DdlChange =
  | { type: 'CREATE' | 'ALTER'; database: string; table: string; previousId?: string }
  | { type: 'DROP'; database: string; table: string }
  | { type: 'TRUNCATE'; database: string; table: string }
  | { type: 'DATABASE'; database: string };

/**
 * Applies one statement to the model. `defaultDb` is the session database the statement ran in (QUERY event).
 * Returns the tables it changed; `isCaptured` is asked before an unknown table is created, so uncaptured tables
 * stay out of the model.
 */
export function applyDdl(model: SchemaModel, defaultDb: string, sql: string): DdlChange[] {
  let toks: Tok[];
  try {
    toks = tokenize(sql);
  } catch {
    return [];
  }
  const p = new Parser(toks, sql);
  const changes: DdlChange[] = [];
  if (p.accept('CREATE')) {
    p.accept('OR', 'REPLACE');
    p.accept('TEMPORARY');
    if (p.accept('DATABASE') || p.accept('SCHEMA')) {
      p.accept('IF', 'NOT', 'EXISTS');
      const db = p.name();
      // Without a charset clause a database takes the server's (character_set_server).
      const cs = normalizeCharset(tableCharsetOption(p)) ?? model.serverCharset;
      if (cs) model.databaseCharsets.set(db, cs);
      return [{ type: 'DATABASE', database: db }];
    }
    if (!p.accept('TABLE')) return [];
    p.accept('IF', 'NOT', 'EXISTS');
    const [db, name] = p.qualified(defaultDb);
    if (p.accept('LIKE') || (p.punct('(') && p.word(1) === 'LIKE' && p.i++ && p.accept('LIKE'))) {
      const [sdb, sname] = p.qualified(defaultDb);
      const src = model.get(sdb, sname);
      if (!src) return [];
      model.put({ ...structuredClone(src), database: db, name });
      return [{ type: 'CREATE', database: db, table: name }];
    }
    if (!p.acceptPunct('(')) return [];
    const columns: ColumnDef[] = [];
    let primaryKey: string[] = [];
    const uniqueKeys: string[][] = [];
    const start = p.i;
    // Table options come after the column list; read the charset first so columns can inherit it.
    p.i = start - 1;
    p.skipGroup();
    const tableCharset =
      normalizeCharset(tableCharsetOption(new Parser(p.t.slice(p.i), ''))) ?? model.databaseCharsets.get(db);
    p.i = start;
    while (!p.done() && !p.punct(')')) {
      if (p.accept('CONSTRAINT')) {
        if (!p.is('PRIMARY') && !p.is('UNIQUE') && !p.is('FOREIGN') && !p.is('CHECK')) p.i++;
      }
      if (p.accept('PRIMARY', 'KEY')) {
        while (!p.punct('(') && !p.done()) p.i++;
        primaryKey = keyColumns(p);
        p.skipToDelimiter();
      } else if (p.accept('UNIQUE')) {
        while (!p.punct('(') && !p.done()) p.i++;
        uniqueKeys.push(keyColumns(p));
        p.skipToDelimiter();
      } else if (['KEY', 'INDEX', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK', 'PERIOD'].includes(p.word())) {
        p.skipToDelimiter();
      } else {
        columns.push(parseColumn(p, normalizeCharset(tableCharset)));
      }
      p.acceptPunct(',');
    }
    p.acceptPunct(')');
    const inline = takeInlinePk(columns);
    if (primaryKey.length === 0) primaryKey = inline;
    // As Debezium (and InnoDB): without a primary key, the first UNIQUE key of NOT NULL columns is the key.
    if (primaryKey.length === 0) {
      const notNull = (k: string) => columns.some((c) => c.name.toLowerCase() === k.toLowerCase() && !c.nullable);
      primaryKey = uniqueKeys.find((u) => u.length > 0 && u.every(notNull)) ?? [];
    }
    for (const c of columns) if (primaryKey.includes(c.name)) c.nullable = false;
    // Column charsets stay as written (utf8, not utf8mb3), as Debezium reports them; decoding treats them alike.
    const existed = model.get(db, name) !== undefined;
    model.put({ database: db, name, columns, primaryKey, defaultCharset: normalizeCharset(tableCharset) });
    changes.push({ type: existed ? 'ALTER' : 'CREATE', database: db, table: name });
    return changes;
  }
  if (p.accept('ALTER')) {
    p.accept('ONLINE');
    p.accept('IGNORE');
    if (p.accept('DATABASE') || p.accept('SCHEMA')) {
      const db = p.word() === 'DEFAULT' || p.word() === 'CHARACTER' || p.word() === 'CHARSET' ? defaultDb : p.name();
      const cs = normalizeCharset(tableCharsetOption(p));
      if (cs) model.databaseCharsets.set(db, cs);
      return [{ type: 'DATABASE', database: db }];
    }
    if (!p.accept('TABLE')) return [];
    p.accept('IF', 'EXISTS');
    const [db, name] = p.qualified(defaultDb);
    const t = model.get(db, name);
    if (!t) return [];
    const next: TableDef = structuredClone(t);
    let renamedTo: [string, string] | undefined;
    while (!p.done()) {
      alterSpec(p, next, defaultDb, (to) => {
        renamedTo = to;
      });
      if (!p.acceptPunct(',')) {
        if (!p.done()) p.i++;
      }
    }
    if (renamedTo) {
      model.drop(db, name);
      next.database = renamedTo[0];
      next.name = renamedTo[1];
    }
    model.put(next);
    return [
      {
        type: 'ALTER',
        database: next.database,
        table: next.name,
        previousId: renamedTo ? tableId(db, name) : undefined,
      },
    ];
  }
  if (p.accept('DROP')) {
    p.accept('TEMPORARY');
    if (p.accept('DATABASE') || p.accept('SCHEMA')) {
      p.accept('IF', 'EXISTS');
      const db = p.name();
      for (const id of model.dropDatabase(db)) {
        const [d, ...rest] = id.split('.');
        changes.push({ type: 'DROP', database: d, table: rest.join('.') });
      }
      changes.push({ type: 'DATABASE', database: db });
      return changes;
    }
    if (!p.accept('TABLE')) return [];
    p.accept('IF', 'EXISTS');
    do {
      const [db, name] = p.qualified(defaultDb);
      if (model.drop(db, name)) changes.push({ type: 'DROP', database: db, table: name });
    } while (p.acceptPunct(','));
    return changes;
  }
  if (p.accept('RENAME', 'TABLE')) {
    do {
      const [db, name] = p.qualified(defaultDb);
      p.accept('TO');
      const [ndb, nname] = p.qualified(defaultDb);
      const t = model.get(db, name);
      if (t) {
        model.drop(db, name);
        model.put({ ...t, database: ndb, name: nname });
        changes.push({ type: 'ALTER', database: ndb, table: nname, previousId: tableId(db, name) });
      }
    } while (p.acceptPunct(','));
    return changes;
  }
  if (p.accept('TRUNCATE')) {
    p.accept('TABLE');
    const [db, name] = p.qualified(defaultDb);
    return model.get(db, name) ? [{ type: 'TRUNCATE', database: db, table: name }] : [];
  }
  return [];
}

function position(p: Parser, cols: ColumnDef[], col: ColumnDef, existingIndex: number): void {
  if (existingIndex >= 0) cols.splice(existingIndex, 1);
  if (p.accept('FIRST')) cols.unshift(col);
  else if (p.accept('AFTER')) {
    const after = p.name();
    const i = cols.findIndex((c) => c.name.toLowerCase() === after.toLowerCase());
    cols.splice(i + 1, 0, col);
  } else if (existingIndex >= 0) cols.splice(existingIndex, 0, col);
  else cols.push(col);
}

function findColumn(t: TableDef, name: string): number {
  return t.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
}

function alterSpec(p: Parser, t: TableDef, defaultDb: string, rename: (to: [string, string]) => void): void {
  if (p.accept('ADD')) {
    if (p.accept('CONSTRAINT') && !p.is('PRIMARY') && !p.is('UNIQUE') && !p.is('FOREIGN') && !p.is('CHECK')) p.i++;
    if (p.accept('PRIMARY', 'KEY')) {
      while (!p.punct('(') && !p.done()) p.i++;
      t.primaryKey = keyColumns(p);
      for (const c of t.columns) if (t.primaryKey.includes(c.name)) c.nullable = false;
      p.skipToDelimiter();
      return;
    }
    if (
      ['KEY', 'INDEX', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK', 'PARTITION', 'PERIOD', 'SYSTEM'].includes(
        p.word(),
      )
    ) {
      p.skipToDelimiter();
      return;
    }
    p.accept('COLUMN');
    p.accept('IF', 'NOT', 'EXISTS');
    if (p.acceptPunct('(')) {
      while (!p.done() && !p.punct(')')) {
        const col = parseColumn(p, t.defaultCharset);
        const pk = takeInlinePk([col]);
        if (findColumn(t, col.name) < 0) t.columns.push(col);
        if (pk.length) t.primaryKey = pk;
        p.acceptPunct(',');
      }
      p.acceptPunct(')');
      return;
    }
    const col = parseColumn(p, t.defaultCharset);
    const pk = takeInlinePk([col]);
    if (findColumn(t, col.name) >= 0) return;
    position(p, t.columns, col, -1);
    if (pk.length) t.primaryKey = pk;
    return;
  }
  if (p.accept('DROP')) {
    if (p.accept('PRIMARY', 'KEY')) {
      t.primaryKey = [];
      return;
    }
    if (['INDEX', 'KEY', 'FOREIGN', 'CONSTRAINT', 'CHECK', 'PARTITION', 'PERIOD', 'SYSTEM'].includes(p.word())) {
      p.skipToDelimiter();
      return;
    }
    p.accept('COLUMN');
    p.accept('IF', 'EXISTS');
    const name = p.name();
    const i = findColumn(t, name);
    if (i >= 0) t.columns.splice(i, 1);
    t.primaryKey = t.primaryKey.filter((k) => k.toLowerCase() !== name.toLowerCase());
    p.skipToDelimiter();
    return;
  }
  if (p.accept('MODIFY')) {
    p.accept('COLUMN');
    p.accept('IF', 'EXISTS');
    const col = parseColumn(p, t.defaultCharset);
    takeInlinePk([col]);
    const i = findColumn(t, col.name);
    if (i < 0) return;
    if (t.primaryKey.includes(t.columns[i].name)) col.nullable = false;
    position(p, t.columns, col, i);
    return;
  }
  if (p.accept('CHANGE')) {
    p.accept('COLUMN');
    p.accept('IF', 'EXISTS');
    const old = p.name();
    const col = parseColumn(p, t.defaultCharset);
    takeInlinePk([col]);
    const i = findColumn(t, old);
    if (i < 0) return;
    t.primaryKey = t.primaryKey.map((k) => (k.toLowerCase() === old.toLowerCase() ? col.name : k));
    if (t.primaryKey.includes(col.name)) col.nullable = false;
    position(p, t.columns, col, i);
    return;
  }
  if (p.accept('RENAME', 'COLUMN')) {
    const old = p.name();
    p.accept('TO');
    const nu = p.name();
    const i = findColumn(t, old);
    if (i >= 0) t.columns[i] = { ...t.columns[i], name: nu };
    t.primaryKey = t.primaryKey.map((k) => (k.toLowerCase() === old.toLowerCase() ? nu : k));
    return;
  }
  if (p.accept('RENAME')) {
    if (p.is('INDEX') || p.is('KEY')) {
      p.skipToDelimiter();
      return;
    }
    if (!p.accept('TO')) p.accept('AS');
    rename(p.qualified(defaultDb));
    return;
  }
  if (p.accept('CONVERT', 'TO')) {
    p.accept('CHARACTER', 'SET') || p.accept('CHARSET');
    const cs = normalizeCharset(p.name().toLowerCase());
    t.defaultCharset = cs;
    for (const c of t.columns) if (c.charset && c.charset !== 'binary') c.charset = cs;
    p.skipToDelimiter();
    return;
  }
  if (p.is('DEFAULT') || p.is('CHARACTER') || p.is('CHARSET')) {
    p.accept('DEFAULT');
    if (p.accept('CHARACTER', 'SET') || p.accept('CHARSET')) {
      p.acceptPunct('=');
      t.defaultCharset = normalizeCharset(p.name().toLowerCase());
    }
    p.skipToDelimiter();
    return;
  }
  p.skipToDelimiter();
}
