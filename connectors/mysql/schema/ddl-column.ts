import type { ColumnDef } from './model.js';
import type { Parser } from './sql-parser.js';

/** Column definitions of CREATE/ALTER TABLE: type, attributes, charset, default, as Debezium's DDL parser reads them. */

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

export function parseColumn(p: Parser, tableCharset: string | undefined): ColumnDef {
  const name = p.name();
  let type = p.name().toUpperCase();
  let national = type === 'NCHAR' || type === 'NVARCHAR';
  let declared = type;
  if (type === 'DOUBLE' && p.accept('PRECISION')) declared = 'DOUBLE PRECISION';
  if ((type === 'CHARACTER' || type === 'CHAR') && p.accept('VARYING')) type = 'VARCHAR';
  if (type === 'NATIONAL') {
    national = true;
    type = p.name().toUpperCase();
    if (p.accept('VARYING')) type = 'VARCHAR';
    declared = type;
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
  // Debezium names a column's type as written (INTEGER stays INTEGER), while its mapping follows the type.
  if (declared !== type) col.declaredType = declared;
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
    else if (p.accept('ZEROFILL')) {
      // ZEROFILL implies UNSIGNED in MySQL.
      col.unsigned = true;
      col.zerofill = true;
    } else if (p.accept('SIGNED')) {
      // the default
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
      const d = parseDefault(p);
      col.defaultExpression = d.expression;
      col.defaultValue = d.value;
    } else if (p.accept('PRIMARY', 'KEY') || p.accept('KEY')) {
      col.nullable = false;
      (col as ColumnDef & { inlinePk?: boolean }).inlinePk = true;
    } else if (p.accept('COMMENT')) {
      const c = p.t[p.i++];
      if (c?.k === 'str') col.comment = c.v;
    } else if (p.accept('CHECK')) {
      // MariaDB's JSON is LONGTEXT with CHECK (json_valid(col)), and so SHOW CREATE TABLE shows it: Debezium's
      // MariaDB connector then treats it as LONGTEXT (a plain string), and so does sluice.
      if (p.punct('(')) p.skipGroup();
    } else if (p.punct('(')) p.skipGroup();
    else p.i++;
  }
  // NCHAR and NATIONAL types are in MySQL's national charset, utf8 (Debezium names it so).
  if (national && !col.charset) col.charset = 'utf8';
  const textual = /CHAR$|TEXT$|^ENUM$|^SET$/.test(col.type) && col.type !== 'BINARY';
  if (textual && !col.charset) col.charset = tableCharset;

  if (col.charset === 'binary' && /CHAR$/.test(col.type)) col.type = col.type === 'CHAR' ? 'BINARY' : 'VARBINARY';
  return col;
}

/** Functions whose value is "now": Debezium gives such a default the epoch. */
const NOW = new Set(['CURRENT_TIMESTAMP', 'NOW', 'LOCALTIME', 'LOCALTIMESTAMP', 'CURRENT_DATE', 'CURDATE', 'SYSDATE']);

/**
 * A column's DEFAULT clause. `expression` is what Debezium's DDL parser keeps as defaultValueExpression: a string
 * literal's text between its quotes *as written* (escapes not undone), a number as written, a bit literal's digits,
 * "now" functions as the epoch; nothing for NULL or an expression in parentheses (Debezium ignores those).
 * `value` is the literal itself (escapes undone), from which the schema's default is computed.
 */
function parseDefault(p: Parser): { expression?: string; value?: ColumnDef['defaultValue'] } {
  const t = p.peek();
  if (!t) return {};
  if (t.k === 'p' && t.v === '(') {
    p.skipGroup();
    return {};
  }
  if (t.k === 'p' && (t.v === '-' || t.v === '+') && p.peek(1)?.k === 'num') {
    const text = p.source(p.i, p.i + 2);
    p.i += 2;
    return { expression: text, value: { kind: 'number', text } };
  }
  if (t.k === 'num') {
    p.i++;
    return { expression: t.v, value: { kind: 'number', text: t.v } };
  }
  if (t.k === 'str') {
    p.i++;
    return { expression: stringBody(p, t), value: { kind: 'string', text: t.v } };
  }
  if (t.k === 'id' && !t.quoted) {
    const word = t.v.toUpperCase();
    const next = p.peek(1);
    // b'0101', x'0a0b', _utf8mb4'text', N'text': a literal with a prefix
    if (next?.k === 'str' && next.s === t.e) {
      p.i += 2;
      const body = stringBody(p, next);
      if (word === 'B') return { expression: body, value: { kind: 'bits', text: next.v } };
      if (word === 'X') return { expression: body, value: { kind: 'hex', text: next.v } };
      return { expression: body, value: { kind: 'string', text: next.v } };
    }
    p.i++;
    if (p.punct('(')) p.skipGroup();
    if (word === 'NULL') return {};
    if (word === 'TRUE' || word === 'FALSE') return { expression: word, value: { kind: 'bool', text: word } };
    if (NOW.has(word)) return { expression: '1970-01-01 00:00:00', value: { kind: 'now', text: word } };
    return {};
  }
  p.i++;
  return {};
}

/** A string literal's text between its quotes, as written in the statement. */
function stringBody(p: Parser, t: { s?: number; e?: number }): string {
  return p.sql.slice((t.s ?? 0) + 1, (t.e ?? 1) - 1);
}

export function takeInlinePk(cols: ColumnDef[]): string[] {
  const pk: string[] = [];
  for (const c of cols as (ColumnDef & { inlinePk?: boolean })[]) {
    if (c.inlinePk) pk.push(c.name);
    delete c.inlinePk;
  }
  return pk;
}

export function keyColumns(p: Parser): string[] {
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

export function tableCharsetOption(p: Parser): string | undefined {
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

export function normalizeCharset(c: string | undefined): string | undefined {
  if (!c) return c;
  return c === 'utf8' ? 'utf8mb3' : c;
}
