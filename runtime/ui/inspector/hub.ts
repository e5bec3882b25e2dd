import type { ServerResponse } from 'node:http';
import type { ChangeRecord } from '../../api/index.js';
import { scrub } from '../../rest/secrets.js';
import type { RecordTap } from '../../tasks/tap.js';
import type { RecordConverters } from '../../transport/transport.js';
import type { Herder } from '../../worker/herder.js';
import type { InspectedRecord, InspectStage, InspectStats } from '../api-types.js';
import { inspectRecord, prepareConverted } from './render.js';

/** How much the inspector may take: a tail for a person, never a copy of the stream. */
export const INSPECTOR_LIMITS = {
  /** open streams per worker */
  maxWatchers: 16,
  /** records per second and stream */
  maxRate: 50,
  defaultRate: 5,
  /** a stream ends after this long (the page offers to go on); a forgotten tab does not watch for ever */
  maxStreamMs: 15 * 60_000,
  /** bytes waiting in a stream's socket beyond which samples are dropped rather than queued */
  maxBuffered: 256 * 1024,
  statsEveryMs: 2000,
} as const;

export interface WatchRequest {
  connector: string;
  stage: InspectStage;
  /** only this task's records */
  task?: number;
  /** records per second */
  rate: number;
}

interface Watcher {
  readonly req: WatchRequest;
  readonly out: ServerResponse;
  /** values the connector's config and providers hold: cut out of everything sent */
  readonly secrets: readonly string[];
  tokens: number;
  refilled: number;
  seq: number;
  stats: InspectStats;
  close(reason: string): void;
}

function send(out: ServerResponse, event: string, data: unknown): void {
  // A sample that waited for its converter may come after the stream ended.
  if (out.writableEnded || out.destroyed) return;
  out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The sample with every value its connector's config holds as a secret cut out of its texts. */
function scrubbed(r: InspectedRecord, secrets: readonly string[]): InspectedRecord {
  if (secrets.length === 0) return r;
  const s = (t: string) => scrub(t, secrets);
  return {
    ...r,
    topic: s(r.topic),
    key: s(r.key),
    value: s(r.value),
    headers: r.headers.map((h) => ({ key: s(h.key), value: s(h.value) })),
    sourcePartition: s(r.sourcePartition),
    sourceOffset: s(r.sourceOffset),
  };
}

/**
 * The event inspector: a sampled live tail of a connector's records at one stage, over Server-Sent Events. While a
 * connector has no watcher its tasks have no tap (herder.setTap), so the data path pays nothing; with watchers, each
 * batch costs a token-bucket check per watcher, and only the sampled records (at most `rate` a second) are rendered.
 */
export class Inspector {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private count = 0;

  constructor(
    private readonly herder: Herder,
    private readonly secret: (name: string) => boolean,
  ) {}

  get watching(): number {
    return this.count;
  }

  /** Streams samples to `out` (its headers not yet sent) until the client goes, the connector goes, or time is up. */
  watch(req: WatchRequest, out: ServerResponse, secrets: readonly string[]): void {
    const now = Date.now();
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    const w: Watcher = {
      req,
      out,
      secrets,
      tokens: 1,
      refilled: now,
      seq: 0,
      stats: { seen: 0, shown: 0, dropped: 0 },
      close: (reason) => {
        if (closed) return;
        closed = true;
        for (const t of timers) clearInterval(t);
        this.remove(w);
        if (!out.writableEnded) {
          send(out, 'stats', w.stats);
          send(out, 'end', { reason });
          out.end();
        }
      },
    };
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // A proxy in front (nginx) must pass events on as they come.
      'x-accel-buffering': 'no',
    });
    const here = this.localTasks(req.connector);
    send(out, 'hello', { connector: req.connector, stage: req.stage, rate: req.rate, task: req.task, tasksHere: here });
    this.add(w);
    out.on('close', () => w.close('client'));
    timers.push(
      setInterval(() => {
        if (!this.herder.has(req.connector)) return w.close('deleted');
        send(out, 'stats', w.stats);
      }, INSPECTOR_LIMITS.statsEveryMs),
      setTimeout(() => w.close('time'), INSPECTOR_LIMITS.maxStreamMs),
    );
  }

  /** Ends every stream (the REST server is closing). */
  closeAll(): void {
    for (const set of [...this.watchers.values()]) for (const w of [...set]) w.close('shutdown');
  }

  private localTasks(connector: string): number[] {
    try {
      const status = this.herder.status(connector);
      return status.tasks.filter((t) => t.worker_id === this.herder.workerId).map((t) => t.id);
    } catch {
      return [];
    }
  }

  private add(w: Watcher): void {
    const name = w.req.connector;
    let set = this.watchers.get(name);
    if (!set) {
      set = new Set();
      this.watchers.set(name, set);
      const watchers = set;
      const tap: RecordTap = (taskId, read, transformed, converters) => {
        for (const x of watchers) this.offer(x, taskId, read, transformed, converters);
      };
      this.herder.setTap(name, tap);
    }
    set.add(w);
    this.count++;
  }

  private remove(w: Watcher): void {
    const name = w.req.connector;
    const set = this.watchers.get(name);
    if (!set?.delete(w)) return;
    this.count--;
    if (set.size === 0) {
      this.watchers.delete(name);
      this.herder.setTap(name, undefined);
    }
  }

  /** One batch for one watcher: count it, take what the token bucket allows, spread over the batch. */
  private offer(
    w: Watcher,
    taskId: number,
    read: readonly ChangeRecord[],
    transformed: readonly ChangeRecord[],
    converters: RecordConverters,
  ): void {
    if (w.req.task !== undefined && w.req.task !== taskId) return;
    const list = w.req.stage === 'read' ? read : transformed;
    if (list.length === 0) return;
    w.stats.seen += list.length;
    const now = Date.now();
    w.tokens = Math.min(w.req.rate, w.tokens + ((now - w.refilled) / 1000) * w.req.rate);
    w.refilled = now;
    const take = Math.min(Math.floor(w.tokens), list.length);
    if (take < 1) return;
    w.tokens -= take;
    const step = list.length / take;
    const start = Math.random() * step;
    for (let i = 0; i < take; i++) {
      const r = list[Math.floor(start + i * step)];
      if (w.out.writableLength > INSPECTOR_LIMITS.maxBuffered) {
        w.stats.dropped++;
        continue;
      }
      if (w.req.stage !== 'converted') {
        this.show(w, taskId, r, converters, now);
        continue;
      }
      // A registry-backed converter (Avro) must be ready for the record's schema before it writes it, as the Kafka
      // transport makes it ready: the sample waits for that (the record alone is kept meanwhile, not its batch).
      let pending: Promise<unknown> | undefined;
      try {
        pending = prepareConverted(r, converters, this.secret);
      } catch (err) {
        this.failed(w, taskId, now, err);
        continue;
      }
      if (!pending) this.show(w, taskId, r, converters, now);
      else
        pending.then(
          () => this.show(w, taskId, r, converters, now),
          (err: unknown) => this.failed(w, taskId, now, err),
        );
    }
  }

  /** Renders one sampled record and sends it. */
  private show(w: Watcher, taskId: number, r: ChangeRecord, converters: RecordConverters, now: number): void {
    let sample: InspectedRecord;
    try {
      sample = { seq: ++w.seq, at: now, task: taskId, ...inspectRecord(r, w.req.stage, converters, this.secret) };
    } catch (err) {
      this.failed(w, taskId, now, err);
      return;
    }
    send(w.out, 'record', scrubbed(sample, w.secrets));
    w.stats.shown++;
  }

  /** A record the converter rejects is shown as the failure, not hidden: it is what the pipeline would meet. */
  private failed(w: Watcher, taskId: number, now: number, err: unknown): void {
    send(w.out, 'failure', { seq: ++w.seq, at: now, task: taskId, message: scrub(String(err), w.secrets) });
  }
}
