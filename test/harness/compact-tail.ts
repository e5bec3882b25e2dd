import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The sink file read as it grows, kept small: per event only op, id and v, and the run (worker start) it was
 * written in — 500,000 rows would not fit as parsed objects in the test's heap.
 */
export class CompactTail {
  readonly ops: string[] = [];
  readonly ids: number[] = [];
  readonly vs: number[] = [];
  readonly runs: number[] = [];
  private offset = 0;

  constructor(private readonly file: string) {}

  read(run: number): void {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return;
      this.offset += end + 1;
      for (const line of buf.toString('utf8', 0, end).split('\n')) {
        if (line === '' || line === 'null') continue;
        const e = JSON.parse(line) as { op: string; before: { id: number } | null; after: { id: number; v: number } };
        this.ops.push(e.op);
        this.ids.push(e.op === 'd' ? e.before!.id : e.after.id);
        this.vs.push(e.op === 'd' ? -1 : e.after.v);
        this.runs.push(run);
      }
    } finally {
      closeSync(fd);
    }
  }

  replay(): Map<number, number> {
    const state = new Map<number, number>();
    for (let i = 0; i < this.ops.length; i++) {
      if (this.ops[i] === 'd') state.delete(this.ids[i]);
      else state.set(this.ids[i], this.vs[i]);
    }
    return state;
  }
}
