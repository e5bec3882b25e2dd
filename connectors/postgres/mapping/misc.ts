import { LogicalSchemas, Schemas } from '../../../runtime/api/index.js';
import { type BinaryMode, type ColumnCodec, type HstoreMode, scalar, textCodec } from './codec.js';

function bytesFromHex(text: string): Buffer {
  // bytea_output=hex (the default since 9.0); the escape format would be ambiguous, so it is not accepted.
  if (!text.startsWith('\\x')) throw new SyntaxError('bytea value not in hex output format; set bytea_output=hex');
  return Buffer.from(text.slice(2), 'hex');
}

/** Bytes per binary.handling.mode; Debezium uses Java's Base64.getUrlEncoder(), which keeps the '=' padding. */
export function encodeBytes(bytes: Buffer, mode: BinaryMode): Buffer | string {
  switch (mode) {
    case 'bytes':
      return bytes;
    case 'base64':
      return bytes.toString('base64');
    case 'base64-url-safe':
      return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    case 'hex':
      return bytes.toString('hex');
  }
}

export function binaryCodec(mode: BinaryMode): ColumnCodec {
  if (mode === 'bytes') {
    return {
      schema: Schemas.bytes(),
      decode: bytesFromHex,
      placeholder: (p) => Buffer.from(p, 'utf8'),
      fallback: Buffer.alloc(0),
    };
  }
  // An unchanged TOASTed bytea: the placeholder text in hex mode, null in the base64 modes (as Debezium writes).
  const codec = textCodec(Schemas.string(), (t) => encodeBytes(bytesFromHex(t), mode), '');
  return mode === 'hex' ? codec : { ...codec, placeholder: () => null };
}

/**
 * A type Debezium has no mapping for, under include.unknown.datatypes=true: the bytes of its text form, per
 * binary.handling.mode (PostgresValueConverter#convertBinary of the value the driver hands over).
 */
export function unknownCodec(mode: BinaryMode): ColumnCodec {
  const schema = mode === 'bytes' ? Schemas.bytes() : Schemas.string();
  return {
    schema,
    decode: (t) => encodeBytes(Buffer.from(t, 'utf8'), mode),
    placeholder: () => null,
    fallback: mode === 'bytes' ? Buffer.alloc(0) : '',
  };
}

/**
 * bit / varbit: boolean for a length of 1, else Debezium's Bits with the declared length (2147483647 for an
 * unconstrained varbit), its value java.util.BitSet#toByteArray: little-endian, no trailing zero bytes.
 */
export function bitCodec(length: number): ColumnCodec {
  if (length === 1) return scalar(Schemas.boolean(), (t) => /1/.test(t), false);
  return scalar(
    LogicalSchemas.bits(length),
    (t) => {
      const bytes = Buffer.alloc(Math.ceil(t.length / 8));
      for (let i = 0; i < t.length; i++) if (t[t.length - 1 - i] === '1') bytes[i >> 3] |= 1 << (i & 7);
      let end = bytes.length;
      while (end > 0 && bytes[end - 1] === 0) end--;
      return bytes.subarray(0, end);
    },
    Buffer.alloc(0),
  );
}

const POINT_SCHEMA = Schemas.struct(
  [
    ['x', Schemas.float64()],
    ['y', Schemas.float64()],
    ['wkb', Schemas.bytes(true)],
    ['srid', Schemas.int32(true)],
  ],
  false,
  { name: 'io.debezium.data.geometry.Point', version: 1, doc: 'Geometry (POINT)' },
);

function pointValue(x: number, y: number): Record<string, unknown> {
  // Well-known binary of a 2-D point: byte order 1 (little endian), type 1, then x and y.
  const wkb = Buffer.alloc(21);
  wkb[0] = 1;
  wkb.writeUInt32LE(1, 1);
  wkb.writeDoubleLE(x, 5);
  wkb.writeDoubleLE(y, 13);
  return { x, y, wkb, srid: null };
}

/** point → Debezium's io.debezium.data.geometry.Point struct {x, y, wkb, srid}. */
export function pointCodec(): ColumnCodec {
  return scalar(
    POINT_SCHEMA,
    (t) => {
      const m = /^\(([^,]+),([^)]+)\)$/.exec(t);
      if (!m) throw new SyntaxError(`not a point: ${t}`);
      return pointValue(Number(m[1]), Number(m[2]));
    },
    pointValue(0, 0),
  );
}

/** `"a"=>"1", "b"=>NULL` → entries in text order (keys and values unescaped). */
export function parseHstore(text: string): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  let i = 0;
  const skip = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === ',')) i++;
  };
  const token = (): string | null => {
    if (text[i] === '"') {
      let v = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        v += text[i++];
      }
      i++;
      return v;
    }
    let j = i;
    while (j < text.length && !/[\s,=]/.test(text[j])) j++;
    const v = text.slice(i, j);
    i = j;
    return v === 'NULL' ? null : v;
  };
  skip();
  while (i < text.length) {
    const k = token();
    while (text[i] === ' ') i++;
    if (text.slice(i, i + 2) !== '=>') throw new SyntaxError(`not an hstore value: ${text}`);
    i += 2;
    while (text[i] === ' ') i++;
    const v = token();
    out.push([k ?? 'NULL', v]);
    skip();
  }
  return out;
}

/** Java's String#hashCode. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Entries in the order a java.util.HashMap filled in this order iterates them (the JDBC driver's HStoreConverter
 * builds one): by bucket at the final table size, insertion order within a bucket. A later duplicate key replaces
 * the value in place.
 */
export function javaHashMapOrder(entries: ReadonlyArray<[string, string | null]>): Array<[string, string | null]> {
  const unique = new Map<string, string | null>();
  for (const [k, v] of entries) unique.set(k, v);
  let capacity = 16;
  while (unique.size > capacity * 0.75) capacity *= 2;
  const keyed = [...unique].map(([k, v], order) => {
    const h = javaStringHash(k);
    return { k, v, order, bucket: (h ^ (h >>> 16)) & (capacity - 1) };
  });
  keyed.sort((a, b) => a.bucket - b.bucket || a.order - b.order);
  return keyed.map((e) => [e.k, e.v]);
}

/** hstore → JSON text (Jackson writes the HashMap) or a map of optional strings, per hstore.handling.mode. */
export function hstoreCodec(mode: HstoreMode): ColumnCodec {
  const entries = (t: string) => javaHashMapOrder(parseHstore(t));
  if (mode === 'map') {
    return {
      schema: Schemas.map(Schemas.string(), Schemas.string(true)),
      decode: (t) => new Map(entries(t)),
      placeholder: (p) => new Map([[p, p]]),
      fallback: new Map(),
    };
  }
  const json = (es: ReadonlyArray<[string, string | null]>) =>
    `{${es.map(([k, v]) => `${JSON.stringify(k)}:${v === null ? 'null' : JSON.stringify(v)}`).join(',')}}`;
  return {
    schema: LogicalSchemas.json(),
    decode: (t) => json(entries(t)),
    placeholder: (p) => json([[p, p]]),
    fallback: '{}',
  };
}
