import { open } from 'node:fs/promises';
import type { Consumer } from 'kafkajs';
import { type Logger, parseSignal, type Signal, type SignalAnswer } from '../api/index.js';
import { kafkaConfig } from '../transport/kafka/client.js';
import { kafkajs } from '../transport/kafka/kafkajs.js';
import { connectionSettings } from '../transport/kafka/settings.js';

/**
 * Debezium's `kafka` and `file` signal channels, read by the runtime for every source task that takes signals, and
 * handed to the task exactly as a REST signal is (SourceTask.signal). A connector thus needs nothing of its own
 * for them; its `source` channel (the signal table, ordered with the log) stays its own.
 *
 * Everything read is untrusted: a line or message that is not a signal is logged with the reason (never its
 * content: the file may be anything the config points at) and skipped; no channel failure stops the task.
 */

export type SignalSink = (signal: Signal, channel: string) => Promise<SignalAnswer>;

export interface SignalChannelOptions {
  /** the task config as given (signal.*, topic.prefix) */
  readonly raw: Readonly<Record<string, string>>;
  readonly connector: string;
  readonly taskId: number;
  readonly log: Logger;
  readonly deliver: SignalSink;
}

export interface SignalChannel {
  close(): Promise<void>;
}

/** A file larger than this is not read (a signal file holds a few lines; this bounds a misconfigured path). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Bytes of the file read per poll; a line longer than this is not a signal. */
const MAX_READ = 1024 * 1024;
const RETRY_MS = 5000;

export function enabledChannels(raw: Readonly<Record<string, string>>): string[] {
  return (raw['signal.enabled.channels'] ?? 'source')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
}

/** Opens the runtime's channels the config enables (none: an empty list). Never throws: problems are logged. */
export function openSignalChannels(o: SignalChannelOptions): SignalChannel[] {
  const out: SignalChannel[] = [];
  const channels = enabledChannels(o.raw);
  if (channels.includes('jmx')) o.log.warn({ channel: 'jmx' }, 'signal.enabled.channels: jmx is not built; ignored');
  try {
    if (channels.includes('file')) out.push(new FileSignalChannel(o));
    if (channels.includes('kafka')) out.push(new KafkaSignalChannel(o));
  } catch (err) {
    o.log.warn({ err: (err as Error).message }, 'signal channel not opened');
  }
  return out;
}

/** Parses one line/message and hands it to the task; the outcome is logged, never thrown. */
async function take(o: SignalChannelOptions, channel: string, text: string, where: string): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the input: say where it failed instead.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    o.log.warn({ channel, where }, `signal skipped: not JSON${at ? ` (at character ${at})` : ''}`);
    return;
  }
  let signal: Signal;
  try {
    signal = parseSignal(raw);
  } catch (err) {
    o.log.warn({ channel, where, reason: (err as Error).message }, 'signal skipped');
    return;
  }
  let answer: SignalAnswer;
  try {
    answer = await o.deliver(signal, channel);
  } catch (err) {
    answer = { accepted: false, reason: (err as Error).message };
  }
  if (answer.accepted) o.log.info({ channel, signal: signal.id, type: signal.type }, 'signal taken');
  else o.log.warn({ channel, signal: signal.id, type: signal.type, reason: answer.reason }, 'signal refused');
}

/**
 * Debezium's FileSignalChannel: every `signal.poll.interval.ms` the file's lines are read, removed from the file, and
 * taken in order. Debezium empties the whole file after reading it; here only the bytes read are removed (lines
 * appended meanwhile stay for the next poll), and a last line without its newline is left until it is complete
 * (it may be mid-write) unless it already is a whole JSON document.
 */
class FileSignalChannel implements SignalChannel {
  private readonly path: string;
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private closed = false;
  private warned = '';
  private line = 0;

  constructor(private readonly o: SignalChannelOptions) {
    this.path = o.raw['signal.file'] || 'file-signals.txt';
    const ms = Number(o.raw['signal.poll.interval.ms'] ?? 5000);
    const every = Number.isFinite(ms) && ms >= 10 ? ms : 5000;
    o.log.info({ channel: 'file', everyMs: every }, 'reading the signal file');
    this.timer = setInterval(() => void this.poll(), every);
    void this.poll();
  }

  private warnOnce(reason: string): void {
    if (this.warned === reason) return;
    this.warned = reason;
    this.o.log.warn({ channel: 'file' }, `signal file not read: ${reason}`);
  }

  async poll(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const lines = await this.read();
      for (const [n, text] of lines) await take(this.o, 'file', text, `line ${n}`);
    } catch (err) {
      this.warnOnce((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    } finally {
      this.busy = false;
    }
  }

  /** The complete lines now in the file, removed from it; numbered as read since the channel opened. */
  private async read(): Promise<Array<[number, string]>> {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return []; // no file: no signals (Debezium's behaviour)
      throw err;
    }
    let head: Buffer;
    let size: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        this.warnOnce('it is not a regular file');
        return [];
      }
      if (st.size > MAX_FILE_BYTES) {
        this.warnOnce(`it is larger than ${MAX_FILE_BYTES} bytes`);
        return [];
      }
      size = st.size;
      if (size === 0) return [];
      head = Buffer.alloc(Math.min(size, MAX_READ));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    this.warned = '';
    let consumed = head.lastIndexOf(0x0a) + 1;
    const texts: string[] = [];
    if (consumed > 0) texts.push(...head.subarray(0, consumed).toString('utf8').split('\n').slice(0, -1));
    if (consumed === 0 && head.length === MAX_READ) {
      // one line longer than anything a signal can be: dropped
      this.o.log.warn({ channel: 'file' }, `signal skipped: a line longer than ${MAX_READ} bytes`);
      consumed = head.length;
    } else if (consumed < head.length && head.length === size) {
      // a last line without its newline: taken when it is a whole JSON document, else left to be finished
      const tail = head.subarray(consumed).toString('utf8');
      if (isJson(tail)) {
        texts.push(tail);
        consumed = head.length;
      }
    }
    if (consumed === 0) return [];
    if (!(await this.remove(head.subarray(0, consumed)))) return [];
    const out: Array<[number, string]> = [];
    for (const t of texts) {
      this.line++;
      if (t.trim() !== '') out.push([this.line, t.replace(/\r$/, '')]);
    }
    return out;
  }

  /** Removes `taken` from the start of the file, keeping what was appended since; false if the file changed under it. */
  private async remove(taken: Buffer): Promise<boolean> {
    const fh = await open(this.path, 'r+');
    try {
      const st = await fh.stat();
      if (st.size < taken.length || st.size > MAX_FILE_BYTES) return false;
      const now = Buffer.alloc(st.size);
      await fh.read(now, 0, now.length, 0);
      if (!now.subarray(0, taken.length).equals(taken)) return false; // rewritten meanwhile: read again next poll
      const rest = now.subarray(taken.length);
      if (rest.length === 0) await fh.truncate(0);
      else {
        await fh.truncate(0);
        await fh.write(rest, 0, rest.length, 0);
      }
      return true;
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Debezium's KafkaSignalChannel: messages of `signal.kafka.topic` whose key is this connector's `topic.prefix` carry
 * a signal as their value; others are skipped. Debezium assigns itself partition 0 and commits to its group; kafkajs
 * only consumes as a group member, so this reads every partition as a member of `signal.kafka.groupId` (default
 * `kafka-signal-<topic.prefix>`, so that connectors sharing a topic do not split it). A message's offset is
 * committed once the task has answered it.
 */
class KafkaSignalChannel implements SignalChannel {
  private consumer?: Consumer;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private readonly topic: string;
  private readonly prefix: string;
  private readonly group: string;

  constructor(private readonly o: SignalChannelOptions) {
    this.prefix = o.raw['topic.prefix'] || o.connector;
    this.topic = o.raw['signal.kafka.topic'] || `${this.prefix}-signal`;
    const consumerProps: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.raw))
      if (k.startsWith('signal.consumer.')) consumerProps[k.slice('signal.consumer.'.length)] = v;
    this.group =
      consumerProps['group.id'] ||
      o.raw['signal.kafka.groupId'] ||
      `kafka-signal-${this.prefix}${o.taskId > 0 ? `-${o.taskId}` : ''}`;
    const conn = connectionSettings(
      {
        'bootstrap.servers': o.raw['signal.kafka.bootstrap.servers'] ?? '',
        'client.id': `sluice-${o.connector}-${o.taskId}-signals`,
        ...consumerProps,
      },
      'consumer',
    );
    const kafka = new (kafkajs().Kafka)(kafkaConfig(conn, o.log));
    const session = Number(consumerProps['session.timeout.ms'] ?? 10000);
    this.consumer = kafka.consumer({
      groupId: this.group,
      sessionTimeout: Number.isFinite(session) && session > 0 ? session : 10000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: Number.MAX_SAFE_INTEGER },
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      const payload = e.payload as { error: Error; restart: boolean };
      if (!payload.restart && !this.closed) this.later(payload.error);
    });
    o.log.info({ channel: 'kafka', topic: this.topic, group: this.group }, 'reading the signal topic');
    void this.start();
  }

  private later(err: Error): void {
    this.o.log.warn(
      { channel: 'kafka', topic: this.topic, err: err.message, retryInMs: RETRY_MS },
      'signal topic not readable; retrying',
    );
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.restart(), RETRY_MS);
  }

  private async restart(): Promise<void> {
    if (this.closed || !this.consumer) return;
    await this.consumer.disconnect().catch(() => {});
    await this.start();
  }

  private async start(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.closed) return;
    try {
      await consumer.connect();
      // Debezium's auto.offset.reset=earliest: a new group reads the signals already on the topic.
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        eachMessage: async ({ message, partition }) => {
          const where = `partition ${partition} offset ${message.offset}`;
          const key = message.key?.toString('utf8');
          if (key !== this.prefix) {
            this.o.log.debug(
              { channel: 'kafka', where },
              'signal message for another connector (its key is not topic.prefix); skipped',
            );
            return;
          }
          if (!message.value || message.value.length === 0) return;
          await take(this.o, 'kafka', message.value.toString('utf8'), where);
        },
      });
    } catch (err) {
      if (!this.closed) this.later(err as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.consumer?.disconnect().catch(() => {});
  }
}
