import { useEffect, useRef, useState } from 'preact/hooks';
import type { InspectedRecord, InspectStage, InspectStats } from '../api-types.js';
import { ApiError, cpath, streamEvents } from './api.js';
import { time } from './format.js';
import type { Row } from './model.js';
import { link, Message } from './widgets.js';

const KEEP = 200;
const STAGES: Array<{ id: InspectStage; label: string; help: string }> = [
  {
    id: 'read',
    label: 'As read',
    help: 'as the task read them: the source connector’s records, or what a sink was handed',
  },
  {
    id: 'transformed',
    label: 'After transforms',
    help: 'after the connector’s transform chain (filtered records do not appear)',
  },
  { id: 'converted', label: 'As converted', help: 'serialized by the connector’s key/value converters' },
];

function RecordView({ r }: { r: InspectedRecord }) {
  return (
    <div class="record" data-seq={r.seq}>
      <div class="meta">
        <span class="topic">{r.topic}</span>
        <span>task {r.task}</span>
        {r.kafkaPartition !== undefined ? <span>partition {r.kafkaPartition}</span> : null}
        <span>{time(r.timestamp ?? r.at)}</span>
        {r.valueSchema ? <span class="muted">{r.valueSchema}</span> : null}
        {r.masked ? <span class="warn">fields masked</span> : null}
        {r.truncated ? <span class="warn">cut</span> : null}
      </div>
      <div class="kv">
        <div>
          <div class="label">key</div>
          <pre>{r.key}</pre>
        </div>
        <div>
          <div class="label">value</div>
          <pre class="value">{r.value}</pre>
        </div>
      </div>
      {r.headers.length ? (
        <div class="small">
          headers:{' '}
          {r.headers.map((h) => (
            <code>
              {h.key}={h.value}{' '}
            </code>
          ))}
        </div>
      ) : null}
      <div class="small muted">
        source {r.sourcePartition} @ {r.sourceOffset}
      </div>
    </div>
  );
}

/**
 * A live, sampled tail of the connector's records (SSE from the worker). The worker taps the pipeline only while a
 * stream is open and sends at most `rate` records a second, secret-named fields masked; the page keeps the last 200.
 */
export function InspectorPage({ name, row, enabled }: { name: string; row: Row | undefined; enabled: boolean }) {
  const [stage, setStage] = useState<InspectStage>('transformed');
  const [task, setTask] = useState<string>('');
  const [rateLimit, setRateLimit] = useState(5);
  const [running, setRunning] = useState(true);
  const [records, setRecords] = useState<InspectedRecord[]>([]);
  const [stats, setStats] = useState<InspectStats | undefined>();
  const [note, setNote] = useState<string | undefined>();
  const [here, setHere] = useState<number[] | undefined>();
  const buffer = useRef<InspectedRecord[]>([]);
  // Another stage or task starts another sample: the records of the last one would mislead.
  useEffect(() => {
    buffer.current = [];
    setRecords([]);
    setStats(undefined);
  }, [name, stage, task]);

  useEffect(() => {
    if (!running || !enabled) return;
    const abort = new AbortController();
    setNote(undefined);
    const q = new URLSearchParams({ stage, rate: String(rateLimit) });
    if (task !== '') q.set('task', task);
    // Records arrive in bursts; the list is redrawn at most 4 times a second.
    const flush = setInterval(() => {
      if (buffer.current.length === 0) return;
      const fresh = buffer.current.reverse();
      buffer.current = [];
      setRecords((old) => [...fresh, ...old].slice(0, KEEP));
    }, 250);
    streamEvents(`/ui/api${cpath(name, '/inspect')}?${q}`, abort.signal, (event, data) => {
      if (event === 'record') buffer.current.push(data as InspectedRecord);
      else if (event === 'stats') setStats(data as InspectStats);
      else if (event === 'hello') setHere((data as { tasksHere: number[] }).tasksHere);
      else if (event === 'failure') setNote(`A record could not be shown: ${(data as { message: string }).message}`);
      else if (event === 'end') {
        const reason = (data as { reason: string }).reason;
        setNote(
          reason === 'time'
            ? 'The stream ended after 15 minutes; press Resume to go on.'
            : reason === 'deleted'
              ? 'The connector was deleted.'
              : 'The worker closed the stream.',
        );
        setRunning(false);
      }
    }).catch((e: Error) => {
      if (abort.signal.aborted) return;
      setNote(e instanceof ApiError ? e.message : `Stream interrupted: ${e.message}`);
      setRunning(false);
    });
    return () => {
      abort.abort();
      clearInterval(flush);
    };
  }, [name, stage, task, rateLimit, running, enabled]);

  if (!enabled)
    return <Message kind="info">The event inspector is off on this worker (ui.inspector.enable=false).</Message>;
  const tasks = row?.status?.tasks ?? [];
  return (
    <div class="inspector">
      <div class="title">
        <h2>
          <a href={link(name)}>{name}</a> · events
        </h2>
      </div>
      <div class="controls">
        <fieldset class="segmented" aria-label="stage">
          {STAGES.map((s) => (
            <button
              type="button"
              title={s.help}
              class={stage === s.id ? 'on' : ''}
              data-stage={s.id}
              onClick={() => setStage(s.id)}
            >
              {s.label}
            </button>
          ))}
        </fieldset>
        <label>
          task{' '}
          <select value={task} onChange={(e) => setTask((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {tasks.map((t) => (
              <option value={String(t.id)}>{t.id}</option>
            ))}
          </select>
        </label>
        <label>
          at most{' '}
          <select
            value={String(rateLimit)}
            onChange={(e) => setRateLimit(Number((e.target as HTMLSelectElement).value))}
          >
            {[1, 5, 10, 20, 50].map((n) => (
              <option value={String(n)}>{n}</option>
            ))}
          </select>{' '}
          records/s
        </label>
        <button type="button" data-action="toggle-stream" onClick={() => setRunning(!running)}>
          {running ? 'Pause' : 'Resume'}
        </button>
        <button type="button" onClick={() => setRecords([])}>
          Clear
        </button>
        <span class="muted small" data-field="inspector-stats">
          {stats
            ? `seen ${stats.seen} · shown ${stats.shown}${stats.dropped ? ` · dropped ${stats.dropped}` : ''}`
            : running
              ? 'waiting for records…'
              : 'paused'}
        </span>
      </div>
      {here && tasks.length > 0 && here.length < tasks.length ? (
        <Message kind="info">
          {`This worker runs ${here.length ? `task${here.length > 1 ? 's' : ''} ${here.join(', ')}` : 'none of the tasks'}; open the dashboard of the other workers for the rest.`}
        </Message>
      ) : null}
      {note ? <Message kind="info">{note}</Message> : null}
      <div class="records">
        {records.length === 0 ? (
          <div class="empty">No records yet: they appear as the connector moves them.</div>
        ) : null}
        {records.map((r) => (
          <RecordView r={r} key={r.seq} />
        ))}
      </div>
    </div>
  );
}
