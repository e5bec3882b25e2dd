import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleSinkTask, displayValue, renderRecord } from '../../../connectors/console/index.js';
import { consoleSinkPlugin } from '../../../connectors/console/index.js';
import { jsonConverterPlugin } from '../../../runtime/converters/json.js';
import { parseConfig } from '../../../runtime/config/parse.js';
import {
  type ChangeRecord,
  Decimal,
  LogicalSchemas,
  Schemas,
  type SinkTaskContext,
} from '../../../runtime/api/index.js';

const row = Schemas.struct(
  [
    ['id', Schemas.int64()],
    ['name', Schemas.string(true)],
    ['balance', LogicalSchemas.decimal(2, 12, true)],
    ['joined', LogicalSchemas.connectDate(true)],
    ['seen', LogicalSchemas.microTimestamp(true)],
    ['photo', Schemas.bytes(true)],
  ],
  true,
  { name: 'demo.public.customers.Value' },
);
const envelope = Schemas.struct(
  [
    ['before', row],
    ['after', row],
    ['op', Schemas.string()],
  ],
  false,
  { name: 'demo.public.customers.Envelope' },
);
const keySchema = Schemas.struct([['id', Schemas.int64()]], false, { name: 'demo.public.customers.Key' });

const ada = {
  id: 9007199254740993n,
  name: 'Ada',
  balance: new Decimal(181512n, 2),
  joined: 19724,
  seen: 1_700_000_000_123_456n,
  photo: Buffer.from([0xca, 0xfe]),
};

function rec(op: string, before: unknown, after: unknown): ChangeRecord {
  return {
    topic: 'demo.public.customers',
    keySchema,
    key: { id: 9007199254740993n },
    valueSchema: envelope,
    value: { before, after, op },
    headers: [],
    sourcePartition: { server: 'demo' },
    sourceOffset: { lsn: 1 },
  };
}

describe('console sink rendering', () => {
  it('shows exact values: int64 beyond 2^53, decimals with their scale, dates, microseconds, bytes', () => {
    expect(displayValue(row, ada)).toBe(
      '{id: 9007199254740993, name: "Ada", balance: 1815.12, joined: 2024-01-02, seen: 2023-11-14T22:13:20.123456Z, photo: 0xcafe}',
    );
  });

  it('names the operation and shows before only where Debezium has it', () => {
    const key = 'key={id: 9007199254740993}';
    expect(renderRecord(rec('r', null, { ...ada, photo: null }))).toMatch(
      new RegExp(`^demo\\.public\\.customers snapshot ${key} after=\\{id: 9007199254740993, name: "Ada"`),
    );
    const upd = renderRecord(rec('u', { ...ada, name: 'A' }, ada));
    expect(upd).toContain(`update ${key} before={id: 9007199254740993, name: "A"`);
    expect(upd).toContain('after={id: 9007199254740993, name: "Ada"');
    const del = renderRecord(rec('d', ada, null));
    expect(del).toContain(`delete ${key} before=`);
    expect(del).not.toContain('after=');
  });

  it('shows tombstones and values that are not envelopes as they are', () => {
    expect(renderRecord({ ...rec('d', null, null), value: null })).toBe(
      'demo.public.customers tombstone key={id: 9007199254740993}',
    );
    expect(renderRecord({ topic: 'lines', key: null, valueSchema: Schemas.string(), value: 'hello' })).toBe(
      'lines value="hello"',
    );
    expect(renderRecord({ topic: 'flat', key: null, valueSchema: row, value: { ...ada, op: undefined } })).toMatch(
      /^flat value=\{id: 9007199254740993/,
    );
  });

  it('microsecond timestamps before 1970 keep their digits', () => {
    expect(displayValue(LogicalSchemas.microTimestamp(), -1n)).toBe('1969-12-31T23:59:59.999999Z');
  });
});

describe('console sink task', () => {
  async function started(format: 'text' | 'json'): Promise<{ task: ConsoleSinkTask; out: () => string }> {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const converter = (isKey: boolean) =>
      jsonConverterPlugin.create(
        parseConfig(jsonConverterPlugin.configSpec, { 'schemas.enable': 'false', 'decimal.format': 'NUMERIC' }).config,
        isKey,
      );
    const ctx = {
      connector: 'c',
      taskId: 0,
      signal: new AbortController().signal,
      log: console as unknown as SinkTaskContext['log'],
      keyConverter: converter(true),
      valueConverter: converter(false),
    } as SinkTaskContext;
    const task = new ConsoleSinkTask(stream);
    await task.start(parseConfig(consoleSinkPlugin.configSpec, { format }).config, ctx);
    return { task, out: () => text };
  }

  it('json: one {"topic","key","value"} line per record, as the converters write them', async () => {
    const { task, out } = await started('json');
    await task.put([rec('c', null, ada), { ...rec('d', null, null), valueSchema: undefined, value: null }]);
    await task.flush();
    const lines = out().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"id":9007199254740993');
    const first = JSON.parse(lines[0]);
    expect(first.topic).toBe('demo.public.customers');
    expect(first.value.op).toBe('c');
    expect(first.value.after.name).toBe('Ada');
    expect(first.value.after.balance).toBe(1815.12);
    expect(first.value.after.photo).toBe('yv4=');
    expect(JSON.parse(lines[1]).value).toBeNull();
  });

  it('text: flush resolves once every line has been written', async () => {
    const { task, out } = await started('text');
    await task.put([rec('c', null, ada)]);
    await task.put([rec('u', ada, ada)]);
    await task.flush();
    expect(
      out()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[1]),
    ).toEqual(['insert', 'update']);
    await task.stop();
  });
});
