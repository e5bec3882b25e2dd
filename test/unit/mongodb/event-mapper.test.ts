import { Binary, Double, Int32, Long, ObjectId, Timestamp } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type CaptureMode, FieldExcludes } from '../../../connectors/mongodb/config.js';
import { type MapperContext, mapChangeEvent, mapSnapshotDocument } from '../../../connectors/mongodb/event-mapper.js';
import { FragmentAssembler } from '../../../connectors/mongodb/fragments.js';
import { ConnectError } from '../../../runtime/api/index.js';

/**
 * Change events shaped as MongoDB's change-events reference documents them (decoded with promoteValues: false),
 * for the kinds mongo-java-server cannot produce: pre-images, updateDescription, transactions, DDL, split events.
 */

const oid = new ObjectId('64b7f0c2a1b2c3d4e5f60718');
const token = '8265A5E1A0000000032B022C0100296E5A1004';

function ctx(
  captureMode: CaptureMode = 'change_streams_update_full_with_pre_image',
  extra: Partial<MapperContext> = {},
): MapperContext {
  return {
    topicPrefix: 'fulfillment',
    rs: 'rs0',
    partition: { server_id: 'fulfillment', rs: 'rs0' },
    captureMode,
    tombstonesOnDelete: true,
    fieldExcludes: new FieldExcludes([]),
    now: () => 1_700_000_999_000,
    ...extra,
  };
}

function base(operationType: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: { _data: token },
    operationType,
    clusterTime: new Timestamp({ t: 1_700_000_000, i: 3 }),
    wallTime: new Date(1_700_000_000_123),
    ns: { db: 'inventory', coll: 'customers' },
    documentKey: { _id: oid },
    ...extra,
  };
}

const beforeDoc = { _id: oid, name: 'Anne', phone: '555', tags: ['a', 'b', 'c'], score: new Long(7) };
const afterDoc = {
  _id: oid,
  name: 'Anne',
  email: 'a@x.org',
  address: { city: 'Oslo' },
  tags: ['a', 'b'],
  score: new Long(7),
};

describe('mapChangeEvent', () => {
  it('maps an update with pre- and post-image, updateDescription and transaction fields', () => {
    const lsidId = new Binary(Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 4);
    const m = mapChangeEvent(
      base('update', {
        fullDocument: afterDoc,
        fullDocumentBeforeChange: beforeDoc,
        updateDescription: {
          updatedFields: { email: 'a@x.org', 'address.city': 'Oslo' },
          removedFields: ['phone'],
          truncatedArrays: [{ field: 'tags', newSize: new Int32(2) }],
        },
        lsid: { id: lsidId },
        txnNumber: new Long(12),
      }),
      ctx(),
    );
    expect(m.kind).toBe('data');
    if (m.kind !== 'data') return;
    expect(m.records).toHaveLength(1);
    const r = m.records[0];
    expect(r.topic).toBe('fulfillment.inventory.customers');
    expect(r.key).toEqual({ id: '{"$oid": "64b7f0c2a1b2c3d4e5f60718"}' });
    expect(r.keySchema?.name).toBe('fulfillment.inventory.customers.Key');
    expect(r.valueSchema?.name).toBe('fulfillment.inventory.customers.Envelope');
    const v = r.value as Record<string, unknown>;
    expect(v.op).toBe('u');
    expect(v.before).toBe(
      '{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"},"name": "Anne","phone": "555","tags": ["a","b","c"],"score": {"$numberLong": "7"}}',
    );
    expect(v.after).toBe(
      '{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"},"name": "Anne","email": "a@x.org","address": {"city": "Oslo"},"tags": ["a","b"],"score": {"$numberLong": "7"}}',
    );
    expect(v.updateDescription).toEqual({
      removedFields: ['phone'],
      // BsonDocument.toJson() defaults: RELAXED, not indented, ", " between members.
      updatedFields: '{"email": "a@x.org", "address.city": "Oslo"}',
      truncatedArrays: [{ field: 'tags', size: 2 }],
    });
    expect(v.source).toEqual({
      version: expect.any(String),
      connector: 'mongodb',
      name: 'fulfillment',
      ts_ms: 1_700_000_000_000,
      snapshot: 'false',
      db: 'inventory',
      sequence: null,
      ts_us: 1_700_000_000_000_000,
      ts_ns: 1_700_000_000_000_000_000n,
      collection: 'customers',
      ord: 3,
      lsid: '{"id": {"$binary": "ABEiM0RVZneImaq7zN3u/w==","$type": "04"}}',
      txnNumber: 12n,
      wallTime: 1_700_000_000_123,
    });
    expect(v.ts_ms).toBe(1_700_000_999_000);
    expect(r.sourcePartition).toEqual({ server_id: 'fulfillment', rs: 'rs0' });
    expect(r.sourceOffset).toEqual({
      sec: 1_700_000_000,
      ord: 3,
      resume_token: token,
      lsid: '{"id": {"$binary": "ABEiM0RVZneImaq7zN3u/w==","$type": "04"}}',
      txnNumber: 12,
    });
  });

  it('leaves after null on updates in change_streams mode, whatever fullDocument holds', () => {
    const m = mapChangeEvent(
      base('update', {
        fullDocument: afterDoc,
        updateDescription: { updatedFields: { n: new Int32(1) }, removedFields: [] },
      }),
      ctx('change_streams'),
    );
    if (m.kind !== 'data') throw new Error(m.kind);
    const v = m.records[0].value as Record<string, unknown>;
    expect(v.after).toBeNull();
    expect(v.before).toBeNull();
    expect(v.updateDescription).toEqual({ removedFields: null, updatedFields: '{"n": 1}', truncatedArrays: null });
  });

  it('ignores pre-images unless the capture mode asks for them', () => {
    const m = mapChangeEvent(
      base('delete', { fullDocumentBeforeChange: beforeDoc }),
      ctx('change_streams_update_full'),
    );
    if (m.kind !== 'data') throw new Error(m.kind);
    expect((m.records[0].value as Record<string, unknown>).before).toBeNull();
  });

  it('maps a replace to op u with the new document, and a delete to op d with its pre-image and a tombstone', () => {
    const rep = mapChangeEvent(
      base('replace', { fullDocument: { _id: oid, name: 'Bob' }, fullDocumentBeforeChange: beforeDoc }),
      ctx(),
    );
    if (rep.kind !== 'data') throw new Error(rep.kind);
    const rv = rep.records[0].value as Record<string, unknown>;
    expect(rv.op).toBe('u');
    expect(rv.after).toBe('{"_id": {"$oid": "64b7f0c2a1b2c3d4e5f60718"},"name": "Bob"}');
    expect(rv.before).not.toBeNull();
    expect(rv.updateDescription).toBeNull();

    const del = mapChangeEvent(base('delete', { fullDocumentBeforeChange: beforeDoc }), ctx());
    if (del.kind !== 'data') throw new Error(del.kind);
    expect(del.records).toHaveLength(2);
    const dv = del.records[0].value as Record<string, unknown>;
    expect(dv.op).toBe('d');
    expect(dv.after).toBeNull();
    expect(typeof dv.before).toBe('string');
    expect(del.records[1].value).toBeNull();
    expect(del.records[1].key).toEqual(del.records[0].key);
    expect(del.records[1].sourceOffset).toEqual(del.records[0].sourceOffset);

    const noTomb = mapChangeEvent(base('delete'), ctx('change_streams', { tombstonesOnDelete: false }));
    if (noTomb.kind !== 'data') throw new Error(noTomb.kind);
    expect(noTomb.records).toHaveLength(1);
  });

  it('produces no records for drop, rename and dropDatabase but reports their position', () => {
    for (const ev of [
      base('drop', { documentKey: undefined }),
      base('rename', { documentKey: undefined, to: { db: 'inventory', coll: 'clients' } }),
      { ...base('dropDatabase', { documentKey: undefined }), ns: { db: 'inventory' } },
    ]) {
      const m = mapChangeEvent(ev, ctx());
      expect(m.kind).toBe('skip');
      expect(m.position).toEqual({
        sec: 1_700_000_000,
        ord: 3,
        resumeToken: token,
        lsid: undefined,
        txnNumber: undefined,
      });
    }
  });

  it('reports invalidate so the stream can be reopened after it', () => {
    const m = mapChangeEvent(
      { _id: { _data: token }, operationType: 'invalidate', clusterTime: new Timestamp({ t: 5, i: 1 }) },
      ctx(),
    );
    expect(m.kind).toBe('invalidate');
    expect(m.position.resumeToken).toBe(token);
  });

  it('uses the collection-scoped namespace when the server omits ns, and fails without either', () => {
    const ev = {
      ...base('insert', { fullDocument: { _id: new Int32(5) } }),
      ns: undefined,
      documentKey: { _id: new Int32(5) },
    };
    const scoped = mapChangeEvent(ev, ctx('change_streams', { defaultNs: { db: 'd', coll: 'c' } }));
    if (scoped.kind !== 'data') throw new Error(scoped.kind);
    expect(scoped.records[0].topic).toBe('fulfillment.d.c');
    expect(scoped.records[0].key).toEqual({ id: '5' });
    expect(() => mapChangeEvent(ev, ctx())).toThrow(ConnectError);
  });

  it('drops excluded fields from documents and from the update description', () => {
    const c = ctx('change_streams_update_full_with_pre_image', {
      fieldExcludes: new FieldExcludes(['inventory.customers.phone', 'inventory.cust*.address.city']),
    });
    const m = mapChangeEvent(
      base('update', {
        fullDocument: { _id: new Int32(1), phone: '1', address: { city: 'Oslo', zip: '0150' } },
        fullDocumentBeforeChange: { _id: new Int32(1), phone: '0' },
        updateDescription: {
          updatedFields: { phone: '1', 'address.city': 'Oslo', 'address.zip': '0150' },
          removedFields: ['phone'],
        },
      }),
      c,
    );
    if (m.kind !== 'data') throw new Error(m.kind);
    const v = m.records[0].value as Record<string, unknown>;
    expect(v.after).toBe('{"_id": 1,"address": {"zip": "0150"}}');
    expect(v.before).toBe('{"_id": 1}');
    expect(v.updateDescription).toEqual({
      removedFields: null,
      updatedFields: '{"address.zip": "0150"}',
      truncatedArrays: null,
    });
  });

  it('skips (with a warning flag) an update whose documentKey holds update operators and whose document is gone', () => {
    const m = mapChangeEvent(
      { ...base('update', { fullDocument: null }), documentKey: { $set: { n: new Double(1) } } },
      ctx('change_streams_update_full'),
    );
    expect(m.kind).toBe('skip');
    expect(m.kind === 'skip' && m.warn).toBe(true);
  });
});

describe('split events ($changeStreamSplitLargeEvent)', () => {
  it('reassembles fragments into one event that carries the last fragment token', () => {
    const a = new FragmentAssembler();
    const big = 'x'.repeat(1000);
    const f1 = {
      ...base('update'),
      _id: { _data: `${token}01` },
      splitEvent: { fragment: new Int32(1), of: new Int32(3) },
    };
    delete (f1 as Record<string, unknown>).documentKey;
    const f2 = {
      _id: { _data: `${token}02` },
      splitEvent: { fragment: new Int32(2), of: new Int32(3) },
      fullDocument: { _id: oid, big },
    };
    const f3 = {
      _id: { _data: `${token}03` },
      splitEvent: { fragment: new Int32(3), of: new Int32(3) },
      fullDocumentBeforeChange: { _id: oid, big: 'old' },
      documentKey: { _id: oid },
      updateDescription: { updatedFields: { big }, removedFields: [] },
    };
    expect(a.push(f1)).toBeNull();
    expect(a.push(f2)).toBeNull();
    const whole = a.push(f3);
    expect(whole).not.toBeNull();
    expect(whole!._id).toEqual({ _data: `${token}03` });
    expect(whole!.splitEvent).toBeUndefined();
    const m = mapChangeEvent(whole!, ctx());
    if (m.kind !== 'data') throw new Error(m.kind);
    const v = m.records[0].value as Record<string, unknown>;
    expect(v.after).toContain(big);
    expect(v.before).toContain('"old"');
    expect(m.records[0].sourceOffset.resume_token).toBe(`${token}03`);
    expect(a.pending).toBe(0);
  });

  it('rejects fragments out of order', () => {
    const a = new FragmentAssembler();
    expect(() => a.push({ _id: { _data: 't' }, splitEvent: { fragment: 2, of: 2 } })).toThrow(/out of order/);
    a.push({ _id: { _data: 't1' }, splitEvent: { fragment: 1, of: 2 } });
    expect(() => a.push(base('insert'))).toThrow(/out of order/);
  });
});

describe('mapSnapshotDocument', () => {
  it('builds an op r record whose offset keeps initsync until the last document', () => {
    const pos = { sec: 1_700_000_000, ord: 9, resumeToken: token };
    const r = mapSnapshotDocument(
      {
        doc: { _id: 'k1', n: new Int32(1) },
        db: 'inventory',
        coll: 'customers',
        snapshot: 'true',
        position: pos,
        initsync: true,
      },
      ctx(),
    );
    expect(r.key).toEqual({ id: '"k1"' });
    const v = r.value as Record<string, unknown>;
    expect(v.op).toBe('r');
    expect(v.after).toBe('{"_id": "k1","n": 1}');
    expect((v.source as Record<string, unknown>).snapshot).toBe('true');
    expect(r.sourceOffset).toEqual({ sec: 1_700_000_000, ord: 9, resume_token: token, initsync: true });
    const last = mapSnapshotDocument(
      { doc: { _id: 'k2' }, db: 'inventory', coll: 'customers', snapshot: 'last', position: pos, initsync: false },
      ctx(),
    );
    expect(last.sourceOffset).toEqual({ sec: 1_700_000_000, ord: 9, resume_token: token });
    expect(((last.value as Record<string, unknown>).source as Record<string, unknown>).snapshot).toBe('last');
  });
});
