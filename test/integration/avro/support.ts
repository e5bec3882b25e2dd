import { Kafka, logLevel } from 'kafkajs';
import { Decimal, Logical, type Schema } from '../../../runtime/api/index.js';
import { JsonConverter } from '../../../runtime/converters/json.js';

/**
 * What the Avro tests compare: values read back from Kafka two ways, put into one canonical form guided by the
 * Connect schema (ints as decimal digits, float32 rounded to float32, Decimal as plain text with its scale, bytes as
 * base64, maps as sorted entries), so that "the same logical value" is a deep equality.
 */

/** A sluice (Connect) value of `schema` in canonical form. */
export function canon(schema: Schema, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return BigInt(v as number | bigint).toString();
    case 'float32':
      return floatText(Math.fround(Number(v)));
    case 'float64':
      return floatText(Number(v));
    case 'boolean':
    case 'string':
      return v;
    case 'bytes':
      if (schema.name === Logical.Decimal) return (v as Decimal).toString();
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'array':
      return (v as unknown[]).map((x) => canon(schema.valueSchema!, x));
    case 'map': {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
      return entries
        .map(([k, x]) => [canon(schema.keySchema!, k), canon(schema.valueSchema!, x)])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    case 'struct': {
      const o = v as Record<string, unknown>;
      return Object.fromEntries((schema.fields ?? []).map((f) => [f.name, canon(f.schema, o[f.name])]));
    }
  }
}

type Tagged = {
  $int?: string;
  $float?: string;
  $bytes?: string;
  $decimal?: string;
  $date?: string;
  $time?: string;
  $timestamp?: string;
};

/** A value decoded by Confluent's Python deserializer (decode-avro.py's tagged JSON) in the same canonical form. */
export function canonPython(schema: Schema, p: unknown): unknown {
  if (p === null || p === undefined) return null;
  const t = p as Tagged;
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      if (typeof p === 'number') return BigInt(p).toString();
      if (t.$int !== undefined) return t.$int;
      if (t.$date !== undefined) return String(Math.round(Date.parse(`${t.$date}T00:00:00Z`) / 86_400_000));
      if (t.$timestamp !== undefined) return String(Date.parse(t.$timestamp));
      if (t.$time !== undefined) return String(Date.parse(`1970-01-01T${t.$time}Z`));
      throw new Error(`not an integer from Python: ${JSON.stringify(p)}`);
    case 'float32':
      return typeof p === 'number' ? floatText(Math.fround(p)) : t.$float;
    case 'float64':
      return typeof p === 'number' ? floatText(p) : t.$float;
    case 'boolean':
    case 'string':
      return p;
    case 'bytes':
      if (schema.name === Logical.Decimal) {
        const scale = Number(schema.parameters?.scale ?? 0);
        return Decimal.parse(t.$decimal!).withScale(scale).toString();
      }
      return t.$bytes;
    case 'array':
      return (p as unknown[]).map((x) => canonPython(schema.valueSchema!, x));
    case 'map': {
      const entries: Array<[unknown, unknown]> = Array.isArray(p)
        ? (p as Array<{ key: unknown; value: unknown }>).map((e) => [e.key, e.value])
        : Object.entries(p as object);
      return entries
        .map(([k, x]) => [
          schema.keySchema!.type === 'string' ? k : canonPython(schema.keySchema!, k),
          canonPython(schema.valueSchema!, x),
        ])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    case 'struct': {
      const o = p as Record<string, unknown>;
      return Object.fromEntries((schema.fields ?? []).map((f) => [f.name, canonPython(f.schema, o[f.name])]));
    }
  }
}

function floatText(n: number): string {
  return Number.isNaN(n)
    ? 'NaN'
    : n === Number.POSITIVE_INFINITY
      ? 'Infinity'
      : n === Number.NEGATIVE_INFINITY
        ? '-Infinity'
        : String(n);
}

export interface RawMessage {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Every message of `topic` from the start, raw, once at least `expected` are there (or the deadline passes). */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  expected: number,
  timeoutMs = 90_000,
): Promise<RawMessage[]> {
  const kafka = new Kafka({ clientId: 'avro-test', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `avro-test-${topic}-${Date.now()}` });
  const out: RawMessage[] = [];
  // The topic is created with its first record: wait for it rather than subscribe to nothing.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} was not created within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: message.offset, key: message.key, value: message.value });
        if (out.length >= expected) done();
      },
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A JSON (schemas.enable=true) message as schema + Connect value, with sluice's own JsonConverter. */
export function fromJson(bytes: Buffer | null): { schema?: Schema; value: unknown } {
  return new JsonConverter({ schemasEnable: true, decimalFormat: 'BASE64' }).toRecord('t', bytes);
}

/** The worker keys of every Avro test: Kafka, offsets in `dir`, fast commits. */
export function workerConfig(bootstrap: string, dir: string): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    // Offsets in a file: these tests are about converters, and a worker reading a fresh offset topic right after
    // the broker started sometimes exits ("Failed to find group coordinator").
    'offset.storage.file.filename': `${dir}/offsets.json`,
    'offset.flush.interval.ms': '500',
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
  };
}

/** Converter keys for Avro keys and values against `registryUrl`. */
export function avroConverters(registryUrl: string): Record<string, string> {
  return {
    'key.converter': 'io.confluent.connect.avro.AvroConverter',
    'key.converter.schema.registry.url': registryUrl,
    'value.converter': 'io.confluent.connect.avro.AvroConverter',
    'value.converter.schema.registry.url': registryUrl,
  };
}
