import type { Decimal } from '../../../runtime/api/index.js';

/**
 * A column value as the binlog holds it, before Debezium's mapping: exact, no JS Date anywhere.
 * Strings stay bytes here because their charset is known only to the mapping layer; a JS string is already
 * text (MySQL binary JSON decoded, or a snapshot value the server sent as utf8mb4).
 */
export type Cell =
  | null
  | string
  | number
  | bigint
  | Decimal
  | Buffer
  | DateCell
  | TimeCell
  | DateTimeCell
  | TimestampCell
  | EnumCell
  | SetCell;

export interface DateCell {
  readonly kind: 'date';
  readonly year: number;
  readonly month: number;
  readonly day: number;
}
/** Signed duration in microseconds (MySQL TIME ranges over ±838:59:59). */
export interface TimeCell {
  readonly kind: 'time';
  readonly micros: number;
}
export interface DateTimeCell {
  readonly kind: 'datetime';
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly micros: number;
}
/** Seconds since the epoch (UTC) plus microseconds; 0/0 is the zero timestamp. */
export interface TimestampCell {
  readonly kind: 'timestamp';
  readonly seconds: number;
  readonly micros: number;
}
/** 1-based index into the ENUM's values; 0 is the empty error value. */
export interface EnumCell {
  readonly kind: 'enum';
  readonly index: number;
}
export interface SetCell {
  readonly kind: 'set';
  readonly bits: bigint;
}

export function isKind<K extends string>(c: Cell, kind: K): c is Extract<Cell, { kind: K }> {
  return c !== null && typeof c === 'object' && 'kind' in c && c.kind === kind;
}
