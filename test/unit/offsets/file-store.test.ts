import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOffsetStore } from '../../../runtime/offsets/file-store.js';

function dir() {
  return mkdtempSync(join(tmpdir(), 'sluice-offsets-'));
}

describe('FileOffsetStore', () => {
  it('keeps offsets across instances, keyed as Kafka Connect keys them', async () => {
    const path = join(dir(), 'offsets.json');
    const a = new FileOffsetStore(path);
    await a.start();
    await a.write([{ connector: 'c1', partition: { filename: '/x' }, offset: { position: 10 } }]);
    await a.write([{ connector: 'c1', partition: { filename: '/x' }, offset: { position: 20 } }]);
    await a.write([{ connector: 'c2', partition: { server: 's' }, offset: { lsn: '9223372036854775807' } }]);
    const b = new FileOffsetStore(path);
    await b.start();
    expect(await b.read('c1')).toEqual([{ partition: { filename: '/x' }, offset: { position: 20 } }]);
    expect(await b.read('c2')).toEqual([{ partition: { server: 's' }, offset: { lsn: '9223372036854775807' } }]);
    expect(JSON.parse(readFileSync(path, 'utf8')).offsets[0].key).toEqual(['c1', { filename: '/x' }]);
  });

  it('a null offset removes the partition', async () => {
    const path = join(dir(), 'offsets.json');
    const a = new FileOffsetStore(path);
    await a.start();
    await a.write([{ connector: 'c', partition: { p: 1 }, offset: { o: 1 } }]);
    await a.write([{ connector: 'c', partition: { p: 1 }, offset: null }]);
    const b = new FileOffsetStore(path);
    await b.start();
    expect(await b.read('c')).toEqual([]);
  });

  it('refuses a torn file, naming it, rather than starting with no offsets', async () => {
    const path = join(dir(), 'offsets.json');
    const a = new FileOffsetStore(path);
    await a.start();
    await a.write([{ connector: 'c', partition: { p: 1 }, offset: { o: 12345 } }]);
    const full = readFileSync(path, 'utf8');
    writeFileSync(path, full.slice(0, full.length - 7));
    const b = new FileOffsetStore(path);
    await expect(b.start()).rejects.toThrow(path);
    await expect(new FileOffsetStore(path).start()).rejects.toThrow(/damaged/);
  });

  it('a missing file is a first start', async () => {
    const s = new FileOffsetStore(join(dir(), 'none.json'));
    await s.start();
    expect(await s.read('c')).toEqual([]);
  });
});
