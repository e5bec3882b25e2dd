/**
 * Tokens and a small cursor over them for the MySQL/MariaDB DDL parser (ddl.ts). Every token keeps its offsets in
 * the statement, so a clause can be quoted exactly as written (Debezium's defaultValueExpression).
 */

/** Where a token is in the statement: [s, e) (strings: quotes included). Set by tokenize. */
interface Span {
  s?: number;
  e?: number;
}

export type Tok = (
  | { k: 'id'; v: string; quoted: boolean }
  | { k: 'str'; v: string }
  | { k: 'num'; v: string }
  | { k: 'p'; v: string }
) &
  Span;

export function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const start = i;
    const count = out.length;
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
    if (out.length > count) {
      out[count].s = start;
      out[count].e = i;
    }
  }
  return out;
}

export class Parser {
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
  /** the statement's own text of tokens a..b-1, exactly as written */
  source(a: number, b: number): string {
    const first = this.t[a];
    const last = this.t[b - 1];
    if (!first || !last || b <= a) return '';
    return this.sql.slice(first.s ?? 0, last.e ?? 0);
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
