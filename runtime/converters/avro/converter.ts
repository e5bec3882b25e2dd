import avro from 'avsc';
import { ByteBuilder, ConnectError, type Converter, type Schema } from '../../api/index.js';
import { JsonConverter } from '../json.js';
import { type AvroDataOptions, type AvroNode, AvroSchemaBuilder, avroSchemaText } from './avro-schema.js';
import { type AvroReader, avroReader } from './decoder.js';
import { AvroWriters, type AvroWriter } from './encoder.js';
import { RegistryError, type SchemaRegistryClient } from './registry.js';

/**
 * Confluent's AvroConverter: Connect data to Confluent's wire format (magic byte 0, the schema's 4-byte registry id
 * big-endian, then the Avro binary value) and back. Records never wait on the registry in fromRecord/toRecord: the
 * Kafka transport awaits prepareFromRecord/prepareToRecord first, which register or fetch what is not cached yet.
 */
export type SubjectNameStrategy = 'TopicNameStrategy' | 'RecordNameStrategy' | 'TopicRecordNameStrategy';

export interface AvroConverterOptions extends AvroDataOptions {
  readonly isKey: boolean;
  readonly autoRegister: boolean;
  readonly useLatestVersion: boolean;
  readonly normalize: boolean;
  readonly subjectStrategy: SubjectNameStrategy;
  /** how long a use.latest.version lookup is trusted (latest.cache.ttl.sec) */
  readonly latestTtlMs: number;
}

/** What writing values of one Connect schema needs, computed once per schema object. */
interface WriteState {
  readonly text: string;
  readonly node: AvroNode;
  readonly writer: AvroWriter;
  /** the Avro full name for Record strategies: a record's name, else the primitive type's name */
  readonly recordName: string;
}

interface LatestState {
  readonly id: number;
  readonly fetchedAt: number;
  /** rewrites bytes written with our schema into the latest schema's layout; undefined when they are the same */
  readonly rewrite?: (bytes: Buffer) => Buffer;
}

export class AvroConverter implements Converter {
  private readonly schemas: AvroSchemaBuilder;
  private readonly writers: AvroWriters;
  private readonly states = new WeakMap<Schema, WriteState>();
  private readonly readers = new Map<number, AvroReader>();
  private readonly latest = new Map<string, LatestState>();
  private scratch = new ByteBuilder(1 << 12);

  constructor(
    readonly registry: SchemaRegistryClient,
    readonly o: AvroConverterOptions,
  ) {
    this.schemas = new AvroSchemaBuilder(o);
    this.writers = new AvroWriters(o.enhancedSchemaSupport);
  }

  private state(schema: Schema): WriteState {
    let s = this.states.get(schema);
    if (s === undefined) {
      const node = this.schemas.fromConnectSchema(schema);
      const text = avroSchemaText(node);
      const named =
        node.kind === 'union' ? node.branches.find((b) => b.kind !== 'primitive' || b.type !== 'null')! : node;
      const recordName =
        named.kind === 'record' || named.kind === 'enum'
          ? named.namespace
            ? `${named.namespace}.${named.name}`
            : named.name
          : named.kind === 'primitive'
            ? named.type
            : named.kind;
      s = { text, node, writer: this.writers.writer(schema, this.o.isKey ? 'key' : 'value'), recordName };
      this.states.set(schema, s);
    }
    return s;
  }

  subject(topic: string, state: WriteState): string {
    switch (this.o.subjectStrategy) {
      case 'TopicNameStrategy':
        return `${topic}-${this.o.isKey ? 'key' : 'value'}`;
      case 'RecordNameStrategy':
        return state.recordName;
      case 'TopicRecordNameStrategy':
        return `${topic}-${state.recordName}`;
    }
  }

  /** The Avro schema text registered for a Connect schema (what Confluent's serializer sends). */
  avroSchema(schema: Schema): string {
    return this.state(schema).text;
  }

  prepareFromRecord(topic: string, schema: Schema | undefined, value: unknown): Promise<void> | undefined {
    if (value === null || value === undefined || schema === undefined) return undefined;
    const state = this.state(schema);
    const subject = this.subject(topic, state);
    if (this.o.useLatestVersion) {
      const l = this.latest.get(subject);
      if (l && Date.now() - l.fetchedAt < this.o.latestTtlMs) return undefined;
      return this.fetchLatest(subject, state);
    }
    if (this.registry.cachedId(subject, state.text) !== undefined) return undefined;
    return this.registry.idFor(subject, state.text, this.o.autoRegister, this.o.normalize).then(
      () => undefined,
      (err) => {
        throw withSubject(err, subject);
      },
    );
  }

  private async fetchLatest(subject: string, state: WriteState): Promise<void> {
    let latest: { id: number; schema: string };
    try {
      latest = await this.registry.latest(subject);
    } catch (err) {
      throw withSubject(err, subject);
    }
    let rewrite: LatestState['rewrite'];
    if (!sameSchema(latest.schema, state.text)) {
      // Avro's schema resolution: read what we wrote as the latest schema (fields by name, defaults for the missing
      // ones), then write it in the latest schema's layout; a schema it cannot resolve is refused here.
      const opts = { wrapUnions: true };
      const ours = avro.Type.forSchema(JSON.parse(state.text), opts);
      const theirs = avro.Type.forSchema(JSON.parse(latest.schema), { wrapUnions: true });
      let resolver: ReturnType<avro.Type['createResolver']>;
      try {
        resolver = theirs.createResolver(ours);
      } catch (err) {
        throw new ConnectError(
          `use.latest.version: the latest schema of subject "${subject}" (id ${latest.id}) cannot read records of the connector's schema: ${(err as Error).message}`,
        );
      }
      rewrite = (bytes) => theirs.toBuffer(theirs.fromBuffer(bytes, resolver));
    }
    this.latest.set(subject, { id: latest.id, fetchedAt: Date.now(), rewrite });
  }

  fromRecord(topic: string, schema: Schema | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) {
      if (schema && !schema.optional && (schema.defaultValue === undefined || schema.defaultValue === null)) {
        throw new ConnectError(
          `Failed to serialize Avro data from topic ${topic}: null value for a non-optional ${this.o.isKey ? 'key' : 'value'} schema`,
        );
      }
      return null;
    }
    if (schema === undefined) {
      throw new ConnectError(
        `Failed to serialize Avro data from topic ${topic}: the ${this.o.isKey ? 'key' : 'value'} has no schema (AvroConverter writes records with a Connect schema)`,
      );
    }
    const state = this.state(schema);
    const subject = this.subject(topic, state);
    let id: number | undefined;
    let rewrite: LatestState['rewrite'];
    if (this.o.useLatestVersion) {
      const l = this.latest.get(subject);
      id = l?.id;
      rewrite = l?.rewrite;
    } else id = this.registry.cachedId(subject, state.text);
    if (id === undefined) {
      throw new ConnectError(
        `AvroConverter: the schema of subject "${subject}" is not registered yet (prepareFromRecord was not awaited)`,
        {
          retriable: true,
        },
      );
    }
    const out = this.scratch;
    out.reset();
    out.pushByte(0);
    out.reserve(4);
    out.buf.writeInt32BE(id, out.length);
    out.length += 4;
    state.writer(value, out);
    let bytes = out.copy();
    if (out.buf.length > 1 << 22) this.scratch = new ByteBuilder(1 << 12);
    if (rewrite) bytes = Buffer.concat([bytes.subarray(0, 5), rewrite(bytes.subarray(5))]);
    return bytes;
  }

  prepareToRecord(_topic: string, bytes: Buffer | null): Promise<void> | undefined {
    if (bytes === null || bytes.length < 5 || bytes[0] !== 0) return undefined;
    const id = bytes.readInt32BE(1);
    if (this.readers.has(id)) return undefined;
    return this.registry.schemaById(id).then((text) => {
      if (!this.readers.has(id))
        this.readers.set(id, avroReader(text, this.o.connectMetaData, this.o.enhancedSchemaSupport));
    });
  }

  toRecord(topic: string, bytes: Buffer | null): { schema?: Schema; value: unknown } {
    if (bytes === null || bytes.length === 0) return { value: null };
    if (bytes.length < 5 || bytes[0] !== 0) {
      throw new ConnectError(`Failed to deserialize data for topic ${topic} to Avro: Unknown magic byte!`);
    }
    const id = bytes.readInt32BE(1);
    const reader = this.readers.get(id);
    if (!reader) {
      throw new ConnectError(
        `AvroConverter: schema id ${id} of topic ${topic} is not loaded yet (prepareToRecord was not awaited)`,
        {
          retriable: true,
        },
      );
    }
    try {
      return { schema: reader.schema, value: reader.read(bytes.subarray(5)) };
    } catch (err) {
      throw new ConnectError(
        `Failed to deserialize data for topic ${topic} to Avro (schema id ${id}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Sinks that write text (file, console, HTTP) write JSON values, as Connect's sinks get deserialized records. */
  textForm(): Converter {
    return new JsonConverter({ schemasEnable: false, decimalFormat: 'NUMERIC' });
  }
}

function sameSchema(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

function withSubject(err: unknown, subject: string): unknown {
  if (err instanceof RegistryError || err instanceof ConnectError) return err;
  return new ConnectError(`Schema registry request for subject "${subject}" failed: ${(err as Error).message}`, {
    retriable: true,
    cause: err,
  });
}
