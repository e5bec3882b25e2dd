import { describe, expect, it } from 'vitest';
import { applyDdl } from '../../../connectors/mysql/schema/ddl.js';
import { SchemaModel } from '../../../connectors/mysql/schema/model.js';

const cols = (m: SchemaModel, db: string, t: string) => m.get(db, t)?.columns.map((c) => c.name);

describe('DDL parser and schema model', () => {
  it("reads a SHOW CREATE TABLE of MariaDB with charsets, keys and defaults; its JSON stays LONGTEXT (as Debezium's MariaDB connector)", () => {
    const m = new SchemaModel();
    applyDdl(m, 'd', 'CREATE DATABASE `d` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci */');
    const changes = applyDdl(
      m,
      'd',
      `CREATE TABLE \`t\` (
  \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`name\` varchar(40) DEFAULT 'a,b' COMMENT 'the (name)',
  \`price\` decimal(10,2) NOT NULL DEFAULT 0.00,
  \`j\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`j\`)),
  \`e\` enum('x','y''s') DEFAULT NULL,
  \`ts\` timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),
  PRIMARY KEY (\`id\`),
  KEY \`n\` (\`name\`(10)),
  CONSTRAINT \`c\` CHECK (\`price\` >= 0)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
    );
    expect(changes).toEqual([{ type: 'CREATE', database: 'd', table: 't' }]);
    const t = m.get('d', 't');
    expect(t?.primaryKey).toEqual(['id']);
    expect(t?.columns.map((c) => [c.name, c.type, c.length, c.scale, c.unsigned, c.nullable, c.charset])).toEqual([
      ['id', 'INT', 10, undefined, true, false, undefined],
      ['name', 'VARCHAR', 40, undefined, false, true, 'utf8mb4'],
      ['price', 'DECIMAL', 10, 2, false, false, undefined],
      ['j', 'LONGTEXT', undefined, undefined, false, true, 'utf8mb4'],
      ['e', 'ENUM', undefined, undefined, false, true, 'utf8mb4'],
      ['ts', 'TIMESTAMP', 3, undefined, false, false, undefined],
    ]);
    expect(t?.columns[4].enumValues).toEqual(['x', "y's"]);
    // Debezium's defaultValueExpression: literal text between the quotes, now-functions as the epoch
    expect(t?.columns.map((c) => c.defaultExpression ?? null)).toEqual([
      null,
      'a,b',
      '0.00',
      null,
      null,
      '1970-01-01 00:00:00',
    ]);
  });

  it('reads DEFAULT clauses as Debezium keeps them, and the value behind them', () => {
    const m = new SchemaModel();
    applyDdl(
      m,
      'd',
      "CREATE TABLE t (a INT DEFAULT -7, b VARCHAR(9) DEFAULT 'it''s \\\\', c BIT(3) DEFAULT b'101', d INT DEFAULT (1 + 1), " +
        "e BOOL DEFAULT TRUE, f INT DEFAULT NULL, g DATETIME DEFAULT NOW(), h VARCHAR(3) DEFAULT _utf8mb4'x')",
    );
    const c = m.get('d', 't')?.columns ?? [];
    expect(c.map((x) => [x.defaultExpression ?? null, x.defaultValue ?? null])).toEqual([
      ['-7', { kind: 'number', text: '-7' }],
      ["it''s \\\\", { kind: 'string', text: "it's \\" }],
      ['101', { kind: 'bits', text: '101' }],
      [null, null],
      ['TRUE', { kind: 'bool', text: 'TRUE' }],
      [null, null],
      ['1970-01-01 00:00:00', { kind: 'now', text: 'NOW' }],
      ['x', { kind: 'string', text: 'x' }],
    ]);
  });

  it('takes the first UNIQUE key of NOT NULL columns as the key of a table without one; keeps synonyms and ZEROFILL', () => {
    const m = new SchemaModel();
    applyDdl(
      m,
      'd',
      'CREATE TABLE t (a INT, b INT NOT NULL, c INTEGER(5) ZEROFILL, UNIQUE KEY ua (a), UNIQUE KEY ub (b))',
    );
    expect(m.get('d', 't')?.primaryKey).toEqual(['b']);
    expect(m.get('d', 't')?.columns[2]).toMatchObject({
      type: 'INT',
      declaredType: 'INTEGER',
      unsigned: true,
      zerofill: true,
    });
    applyDdl(m, 'd', 'CREATE TABLE u (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a), UNIQUE KEY ub (b))');
    expect(m.get('d', 'u')?.primaryKey).toEqual(['a']);
  });

  it('follows ALTER TABLE: ADD … FIRST/AFTER, several specs, MODIFY, CHANGE, RENAME COLUMN, DROP, primary keys', () => {
    const m = new SchemaModel();
    applyDdl(m, 'd', 'CREATE TABLE t (a INT, b INT)');
    applyDdl(m, 'd', 'ALTER TABLE t ADD COLUMN c INT FIRST, ADD d VARCHAR(3) AFTER a, ADD PRIMARY KEY (a)');
    expect(cols(m, 'd', 't')).toEqual(['c', 'a', 'd', 'b']);
    expect(m.get('d', 't')?.primaryKey).toEqual(['a']);
    expect(m.get('d', 't')?.columns[1].nullable).toBe(false);
    applyDdl(
      m,
      'd',
      'ALTER TABLE d.t MODIFY b BIGINT UNSIGNED FIRST, CHANGE COLUMN a aa INT NOT NULL, RENAME COLUMN d TO dd, DROP COLUMN c',
    );
    expect(cols(m, 'd', 't')).toEqual(['b', 'aa', 'dd']);
    expect(m.get('d', 't')?.columns[0]).toMatchObject({ type: 'BIGINT', unsigned: true });
    expect(m.get('d', 't')?.primaryKey).toEqual(['aa']);
    applyDdl(m, 'd', 'ALTER TABLE t ADD (x INT, y INT), DROP PRIMARY KEY');
    expect(cols(m, 'd', 't')).toEqual(['b', 'aa', 'dd', 'x', 'y']);
    expect(m.get('d', 't')?.primaryKey).toEqual([]);
  });

  it('follows RENAME TABLE, ALTER … RENAME TO, DROP TABLE, DROP DATABASE and ignores DML and unknown statements', () => {
    const m = new SchemaModel();
    applyDdl(m, 'd', 'CREATE TABLE IF NOT EXISTS `d`.`a` (id INT PRIMARY KEY)');
    applyDdl(m, 'd', 'CREATE TABLE b LIKE a');
    expect(m.get('d', 'b')?.primaryKey).toEqual(['id']);
    applyDdl(m, 'x', 'RENAME TABLE d.a TO d.a2, d.b TO e.b');
    expect([...m.tables.keys()].sort()).toEqual(['d.a2', 'e.b']);
    applyDdl(m, 'd', 'ALTER TABLE a2 RENAME TO a3');
    expect(m.get('d', 'a3')).toBeDefined();
    expect(applyDdl(m, 'd', 'INSERT INTO a3 VALUES (1)')).toEqual([]);
    expect(applyDdl(m, 'd', 'GRANT ALL ON *.* TO x')).toEqual([]);
    expect(applyDdl(m, 'd', '/* comment */ DROP TABLE IF EXISTS a3, nothere')).toEqual([
      { type: 'DROP', database: 'd', table: 'a3' },
    ]);
    applyDdl(m, 'd', 'DROP DATABASE e');
    expect(m.tables.size).toBe(0);
  });
});
