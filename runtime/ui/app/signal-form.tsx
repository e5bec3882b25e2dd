import { useState } from 'preact/hooks';
import { ApiError, call, cpath } from './api.js';
import { count } from './format.js';
import type { TaskStatus } from './model.js';
import { Message } from './widgets.js';

const TYPES = ['execute-snapshot', 'stop-snapshot', 'pause-snapshot', 'resume-snapshot', 'log'] as const;
type SignalType = (typeof TYPES)[number];

/** The signal body Debezium's channels carry, built from the form's fields. */
function body(
  id: string,
  type: SignalType,
  kind: string,
  tables: string,
  filter: string,
  message: string,
): Record<string, unknown> {
  const collections = tables
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const data: Record<string, unknown> = {};
  if (type === 'execute-snapshot') {
    data.type = kind;
    data['data-collections'] = collections;
    if (filter.trim())
      data['additional-conditions'] = collections.map((c) => ({ 'data-collection': c, filter: filter.trim() }));
  } else if (type === 'stop-snapshot' && collections.length) data['data-collections'] = collections;
  else if (type === 'log') data.message = message;
  return { id, type, data };
}

/** What each task's status says of its snapshot (kind, id, state, tables, rows): the answer to "is it done?". */
function SnapshotState({ tasks }: { tasks: TaskStatus[] }) {
  const snaps = tasks.flatMap((t) => (t.snapshot ? [{ task: t.id, s: t.snapshot }] : []));
  if (snaps.length === 0) return <div class="muted small">No snapshot reported by the tasks yet.</div>;
  return (
    <div class="stack" data-field="signal-snapshot">
      {snaps.map(({ task, s }) => (
        <span>
          task {task}: {s.kind} snapshot{s.id ? ` ${s.id}` : ''} ·{' '}
          {s.running ? 'running' : s.paused ? 'paused' : s.completed ? 'completed' : 'stopped'} · tables{' '}
          {s.tablesTotal - s.tablesRemaining}/{s.tablesTotal} · {count(s.rowsScanned)} rows · {s.durationSeconds} s
        </span>
      ))}
    </div>
  );
}

/**
 * Sends a signal to a source connector (`POST /connectors/{name}/signals`) and shows the answer: 202 with the
 * signal's id (and the snapshot it started), or the 400 reason.
 */
export function SignalForm({ name, tasks, refresh }: { name: string; tasks: TaskStatus[]; refresh: () => void }) {
  const [type, setType] = useState<SignalType>('execute-snapshot');
  const [kind, setKind] = useState('incremental');
  const [tables, setTables] = useState('');
  const [filter, setFilter] = useState('');
  const [message, setMessage] = useState('');
  const [answer, setAnswer] = useState<{ kind: 'error' | 'info'; text: string } | undefined>();
  const [sending, setSending] = useState(false);
  const send = (e: Event) => {
    e.preventDefault();
    const id = `ui-${Date.now().toString(36)}`;
    setSending(true);
    setAnswer(undefined);
    call<{ id: string; snapshot_id?: string }>(
      'POST',
      cpath(name, '/signals'),
      body(id, type, kind, tables, filter, message),
    ).then(
      (r) => {
        setSending(false);
        setAnswer({
          kind: 'info',
          text: `Accepted (202): signal ${r.id}${r.snapshot_id ? `, snapshot ${r.snapshot_id}` : ''}.`,
        });
        refresh();
      },
      (err: Error) => {
        setSending(false);
        setAnswer({
          kind: 'error',
          text: err instanceof ApiError ? `Refused (${err.status}): ${err.message}` : `Not sent: ${String(err)}`,
        });
      },
    );
  };
  const snapshot = type === 'execute-snapshot';
  return (
    <form class="signal" data-form="signal" onSubmit={send}>
      <div class="fields">
        <label>
          Signal
          <select
            name="signal-type"
            value={type}
            onChange={(e) => setType((e.target as HTMLSelectElement).value as SignalType)}
          >
            {TYPES.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        {snapshot ? (
          <label>
            Kind
            <select name="snapshot-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
              <option value="incremental">incremental</option>
              <option value="blocking">blocking</option>
            </select>
          </label>
        ) : null}
        {snapshot || type === 'stop-snapshot' ? (
          <label>
            Tables
            <input
              name="data-collections"
              placeholder="public.orders, public.items (names or regular expressions)"
              value={tables}
              onInput={(e) => setTables((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : null}
        {snapshot ? (
          <label>
            Filter
            <input
              name="additional-condition"
              placeholder="optional SQL condition for each table, e.g. created_at > now() - interval '7 days'"
              value={filter}
              onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : null}
        {type === 'log' ? (
          <label>
            Message
            <input
              name="log-message"
              value={message}
              onInput={(e) => setMessage((e.target as HTMLInputElement).value)}
            />
          </label>
        ) : null}
        <button type="submit" data-action="send-signal" disabled={sending}>
          Send
        </button>
      </div>
      {answer ? (
        <div data-field="signal-answer">
          <Message kind={answer.kind}>{answer.text}</Message>
        </div>
      ) : null}
      <SnapshotState tasks={tasks} />
    </form>
  );
}
