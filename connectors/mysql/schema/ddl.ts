import { type ColumnDef, type SchemaModel, type TableDef, tableId } from './model.js';

/**
 * A DDL parser for the statements that change what rows look like: CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE and
 * CREATE/DROP DATABASE, in the MySQL/MariaDB dialect that SHOW CREATE TABLE and users write. It is tolerant:
 * clauses that do not affect columns, keys or charsets are skipped, and statements it does not know are ignored.
 */

type Tok =
  | { k: 'id'; v: string; quoted: boolean }
  | { k: 'str'; v: string }
  | { k: 'num'; v: string }
  | { k: 'p'; v: string };

export function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '#') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      if (sql[i + 2] === '!' || sql[i + 2] === 'M') {
        // Executable comment: its content is SQL. Skip the marker and version digits only.
        i += 3;
        if (sql[i - 1] === 'M' && sql[i] === '!') i++;
        while (i < n && /\d/.test(sql[i])) i++;
      } else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/') {
      i += 2;
    } else if (c === '`' || c === '"') {
      let v = '';
      i++;
      while (i < n) {
        if (sql[i] === c && sql[i + 1] === c) {
          v += c;
          i += 2;
        } else if (sql[i] === c) {
          i++;
          break;
        } else v += sql[i++];
      }
      out.push(c === '`' ? { k: 'id', v, quoted: true } : { k: 'str', v });
    } else if (c === "'") {
      let v = '';
      i++;
      while (i < n) {
        if (sql[i] === '\\' && i + 1 < n) {
          const e = sql[i + 1];
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e === 'r' ? '\r' : e === 'Z' ? '\x1a' : e;
          i += 2;
        } else if (sql[i] === "'" && sql[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (sql[i] === "'") {
          i++;
          break;
        } else v += sql[i++];
      }
      out.push({ k: 'str', v });
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < n && /[0-9.eE]/.test(sql[j])) j++;
      out.push({ k: 'num', v: sql.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_$@\u0080-\uffff]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_$@\u0080-\uffff]/.test(sql[j])) j++;
      out.push({ k: 'id', v: sql.slice(i, j), quoted: false });
      i = j;
    } else {
      out.push({ k: 'p', v: c });
      i++;
    }
  }
  return out;
}

export type DdlChange =
  | { type: 'CREATE' | 'ALTER'; database: string; table: string; previousId?: string }
  | { type: 'DROP'; database: string; table: string }
  | { type: 'TRUNCATE'; database: string; table: string }
  | { type: 'DATABASE'; database: string };

class Parser {
  i = 0;
  constructor(
    readonly t: Tok[],
    readonly sql: string,
  ) {}

  peek(o = 0): Tok | undefined {
    return this.t[this.i + o];
  }
  word(o = 0): string {
    const x = this.t[this.i + o];
    return x && x.k === 'id' && !x.quoted ? x.v.toUpperCase() : '';
  }
  is(...words: string[]): boolean {
    return words.every((w, o) => this.word(o) === w);
  }
  accept(...words: string[]): boolean {
    if (!this.is(...words)) return false;
    this.i += words.length;
    return true;
  }
  punct(v: string, o = 0): boolean {
    const x = this.t[this.i + o];
    return x !== undefined && x.k === 'p' && x.v === v;
  }
  acceptPunct(v: string): boolean {
    if (!this.punct(v)) return false;
    this.i++;
    return true;
  }
  done(): boolean {
    return this.i >= this.t.length || this.punct(';');
  }
  name(): string {
    const x = this.t[this.i++];
    if (!x) throw new SyntaxError('unexpected end of DDL');
    return x.v;
  }
  /** `db.table` or `table`; returns [database, table] */
  qualified(defaultDb: string): [string, string] {
    const a = this.name();
    if (this.acceptPunct('.')) return [a, this.name()];
    return [defaultDb, a];
  }
  /** skips a balanced parenthesised group starting at '(' */
  skipGroup(): void {
    let depth = 0;
    do {
      const x = this.t[this.i++];
      if (!x) return;
      if (x.k === 'p' && x.v === '(') depth++;
      if (x.k === 'p' && x.v === ')') depth--;
    } while (depth > 0);
  }
  /** skips to the next ',' or ')' at depth 0 (not consuming it) */
  skipToDelimiter(): void {
    while (!this.done() && !this.punct(',') && !this.punct(')')) {
      if (this.punct('(')) this.skipGroup();
      else this.i++;
    }
  }
  /** raw text of tokens from a to b (for default expressions) */
  text(a: number, b: number): string {
    return this.t
      .slice(a, b)
      .map((x) => (x.k === 'str' ? `'${x.v.replace(/'/g, "''")}'` : x.v))
      .join(' ')
      .replace(/ \( /g, '(')
      .replace(/ \)/g, ')')
      .replace(/ , /g, ',');
  }
}

const TYPE_SYNONYMS: Record<string, string> = {
  INTEGER: 'INT',
  INT4: 'INT',
  INT8: 'BIGINT',
  INT1: 'TINYINT',
  INT2: 'SMALLINT',
  INT3: 'MEDIUMINT',
  MIDDLEINT: 'MEDIUMINT',
  BOOL: 'BOOLEAN',
  DEC: 'DECIMAL',
  NUMERIC: 'DECIMAL',
  FIXED: 'DECIMAL',
  REAL: 'DOUBLE',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  NCHAR: 'CHAR',
  NVARCHAR: 'VARCHAR',
  CHARACTER: 'CHAR',
  LONG: 'MEDIUMTEXT',
};

function parseColumn(p: Parser, tableCharset: string | undefined): ColumnDef {
  const name = p.name();
  let type = p.name().toUpperCase();
  if (type === 'DOUBLE') p.accept('PRECISION');
  if ((type === 'CHARACTER' || type === 'CHAR') && p.accept('VARYING')) type = 'VARCHAR';
  if (type === 'NATIONAL') {
    type = p.name().toUpperCase();
    if (p.accept('VARYING')) type = 'VARCHAR';
  }
  if (type === 'LONG' && p.is('VARCHAR')) {
    p.i++;
    type = 'MEDIUMTEXT';
  } else if (type === 'LONG' && p.is('VARBINARY')) {
    p.i++;
    type = 'MEDIUMBLOB';
  }
  type = TYPE_SYNONYMS[type] ?? type;
  const col: ColumnDef = { name, type, typeExpression: '', unsigned: false, nullable: true, autoIncrement: false };
  const typeStart = p.i - 1;
  if (p.punct('(')) {
    p.i++;
    if (type === 'ENUM' || type === 'SET') {
      col.enumValues = [];
      while (!p.punct(')')) {
        const x = p.t[p.i++];
        if (!x) break;
        if (x.k === 'str') col.enumValues.push(x.v);
      }
      p.i++;
    } else {
      const a = p.t[p.i++];
      if (a?.k === 'num') col.length = Number(a.v);
      if (p.acceptPunct(',')) {
        const b = p.t[p.i++];
        if (b?.k === 'num') col.scale = Number(b.v);
      }
      while (!p.done() && !p.punct(')')) p.i++;
      p.i++;
    }
  }
  if (type === 'SERIAL') {
    col.type = 'BIGINT';
    col.unsigned = true;
    col.nullable = false;
    col.autoIncrement = true;
  }
  for (;;) {
    if (p.accept('UNSIGNED')) col.unsigned = true;
    else if (p.accept('SIGNED') || p.accept('ZEROFILL')) {
      // ZEROFILL implies UNSIGNED in MySQL.
      if (p.t[p.i - 1].v.toUpperCase() === 'ZEROFILL') col.unsigned = true;
    } else if (p.accept('BINARY')) {
      // CHAR(n) BINARY is a binary collation, still text.
    } else if (p.accept('ASCII')) col.charset = 'latin1';
    else if (p.accept('UNICODE')) col.charset = 'ucs2';
    else break;
  }
  col.typeExpression = p.text(typeStart, p.i).toLowerCase();
  while (!p.done() && !p.punct(',') && !p.punct(')') && !p.is('FIRST') && !p.is('AFTER')) {
    if (p.accept('NOT', 'NULL')) col.nullable = false;
    else if (p.accept('NULL')) col.nullable = true;
    else if (p.accept('CHARACTER', 'SET') || p.accept('CHARSET')) col.charset = p.name().toLowerCase();
    else if (p.accept('COLLATE')) {
      const coll = p.name().toLowerCase();
      if (!col.charset) col.charset = coll.split('_')[0];
    } else if (p.accept('AUTO_INCREMENT')) col.autoIncrement = true;
    else if (p.accept('DEFAULT')) {
      const start = p.i;
      if (p.punct('(')) p.skipGroup();
      else {
        p.i++;
        if (p.punct('(')) p.skipGroup();
      }
      col.defaultExpression = p.text(start, p.i);
    } else if (p.accept('PRIMARY', 'KEY') || p.accept('KEY')) {
      col.nullable = false;
      (col as ColumnDef & { inlinePk?: boolean }).inlinePk = true;
    } else if (p.accept('COMMENT')) {
      const c = p.t[p.i++];
      if (c?.k === 'str') col.comment = c.v;
    } else if (p.accept('CHECK')) {
      // MariaDB's JSON is LONGTEXT with CHECK (json_valid(col)); SHOW CREATE TABLE shows only that.
      if (p.punct('(') && p.word(1) === 'JSON_VALID' && col.type === 'LONGTEXT') col.type = 'JSON';
      if (p.punct('(')) p.skipGroup();
    } else if (p.punct('(')) p.skipGroup();
    else p.i++;
  }
  const textual = /CHAR$|TEXT$|^ENUM$|^SET$/.test(col.type) && col.type !== 'BINARY';
  if (textual && !col.charset) col.charset = tableCharset;
  if (col.type === 'JSON' && !col.charset) col.charset = 'utf8mb4';
  if (col.charset === 'binary' && /CHAR$/.test(col.type)) col.type = col.type === 'CHAR' ? 'BINARY' : 'VARBINARY';
  return col;
}

function takeInlinePk(cols: ColumnDef[]): string[] {
  const pk: string[] = [];
  for (const c of cols as (ColumnDef & { inlinePk?: boolean })[]) {
    if (c.inlinePk) pk.push(c.name);
    delete c.inlinePk;
  }
  return pk;
}

function keyColumns(p: Parser): string[] {
  const cols: string[] = [];
  if (!p.acceptPunct('(')) return cols;
  while (!p.done() && !p.punct(')')) {
    cols.push(p.name());
    if (p.punct('(')) p.skipGroup();
    while (!p.punct(',') && !p.punct(')') && !p.done()) p.i++;
    p.acceptPunct(',');
  }
  p.acceptPunct(')');
  return cols;
}

function tableCharsetOption(p: Parser): string | undefined {
  let charset: string | undefined;
  while (!p.done()) {
    if (p.accept('DEFAULT')) continue;
    if (p.accept('CHARACTER', 'SET') || p.accept('CHARSET')) {
      p.acceptPunct('=');
      charset = p.name().toLowerCase();
    } else if (p.accept('COLLATE')) {
      p.acceptPunct('=');
      const coll = p.name().toLowerCase();
      if (!charset) charset = coll.split('_')[0];
    } else if (p.punct('(')) p.skipGroup();
    else p.i++;
  }
  return charset;
}

function normalizeCharset(c: string | undefined): string | undefined {
  if (!c) return c;
  return c === 'utf8' ? 'utf8mb3' : c;
}

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
      const cs = normalizeCharset(tableCharsetOption(p));
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
      } else if (['KEY', 'INDEX', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK', 'PERIOD'].includes(p.word())) {
        p.skipToDelimiter();
      } else {
        columns.push(parseColumn(p, normalizeCharset(tableCharset)));
      }
      p.acceptPunct(',');
    }
    p.acceptPunct(')');
    const inline = takeInlinePk(columns);
    if (primaryKey.length === 0) primaryKey = inline;
    for (const c of columns) if (primaryKey.includes(c.name)) c.nullable = false;
    for (const c of columns) c.charset = normalizeCharset(c.charset);
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
