import { useEffect, useState } from 'preact/hooks';
import type { ConfigView } from '../api-types.js';
import { ApiError, call, cpath, get } from './api.js';
import { Chart } from './charts.js';
import { ConfigEditor } from './config-editor.js';
import { bytes, count, duration, rate, time } from './format.js';
import type { Row, TaskStatus } from './model.js';
import { SignalForm } from './signal-form.js';
import { Lag, link, Message, Problems, Progress, State } from './widgets.js';

interface Offsets {
  offsets: Array<{ partition: unknown; offset: unknown }>;
}

function usePolled<T>(
  load: () => Promise<T>,
  everyMs: number,
  deps: unknown[],
): [T | undefined, string | undefined, () => void] {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    const run = () =>
      load().then(
        (v) => {
          if (!alive) return;
          setValue(v);
          setError(undefined);
        },
        (e: Error) => {
          if (alive) setError(e.message);
        },
      );
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return [value, error, () => setTick(tick + 1)];
}

function TaskRow({
  name,
  t,
  row,
  workerId,
  act,
}: {
  name: string;
  t: TaskStatus;
  row: Row;
  workerId: string;
  act: (label: string, fn: () => Promise<unknown>) => void;
}) {
  const m = row.taskMetrics.get(t.id);
  const log = t.log;
  return (
    <tr data-task={t.id}>
      <td>{t.id}</td>
      <td>
        <State state={t.state} />
        {t.retrying ? (
          <div class="warn small" data-field="retrying">
            retrying since {time(t.retrying.since)} (attempt {t.retrying.attempt}): {t.retrying.error}
          </div>
        ) : null}
      </td>
      <td>
        {t.worker_id}
        {t.worker_id === workerId ? <span class="muted small"> (this worker)</span> : null}
      </td>
      <td class="num">
        {m ? (
          <>
            {row.type === 'source' ? `${count(m.values.polled)} read · ` : ''}
            {count(m.values.written)} written
            {m.values.filtered ? ` · ${count(m.values.filtered)} filtered` : ''}
          </>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td class="small">
        {log ? (
          <div class="stack">
            {log.ms_behind_source !== undefined ? <span>{duration(log.ms_behind_source)} behind</span> : null}
            {log.retained_bytes !== undefined ? <span>{bytes(log.retained_bytes)} kept</span> : null}
            {log.position ? <code>{log.position}</code> : null}
          </div>
        ) : m?.values.lagMs !== undefined ? (
          `${duration(m.values.lagMs)} behind`
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td>
        <button
          type="button"
          onClick={() => act(`restart task ${t.id}`, () => call('POST', cpath(name, `/tasks/${t.id}/restart`)))}
        >
          Restart
        </button>
      </td>
    </tr>
  );
}

export function ConnectorPage({
  name,
  row,
  workerId,
  refresh,
}: {
  name: string;
  row: Row | undefined;
  workerId: string;
  refresh: () => void;
}) {
  const [note, setNote] = useState<{ kind: 'error' | 'info'; text: string } | undefined>();
  const [offsets, offsetsError] = usePolled(() => get<Offsets>(cpath(name, '/offsets')), 5000, [name]);
  const [topics] = usePolled(() => get<Record<string, { topics: string[] }>>(cpath(name, '/topics')), 5000, [name]);
  const [chain, , reloadChain] = usePolled(
    () => get<ConfigView>(`/ui/api${cpath(name, '/config')}`).then((v) => v.chain),
    30000,
    [name],
  );

  if (!row) return <Message kind="error">Connector {name} not found on this worker.</Message>;
  const status = row.status;
  const state = status?.connector.state;
  const act = (label: string, fn: () => Promise<unknown>) => {
    setNote(undefined);
    fn().then(
      () => {
        setNote({ kind: 'info', text: `Done: ${label}.` });
        refresh();
      },
      (e: Error) => setNote({ kind: 'error', text: `${label}: ${e instanceof ApiError ? e.message : String(e)}` }),
    );
  };
  const remove = () => {
    if (!window.confirm(`Delete connector ${name}? Its config goes; its offsets stay.`)) return;
    call('DELETE', cpath(name)).then(
      () => {
        window.location.hash = '#/';
        refresh();
      },
      (e: Error) => setNote({ kind: 'error', text: `delete: ${e.message}` }),
    );
  };
  return (
    <div class="connector" data-connector-page={name}>
      <div class="title">
        <h2>{name}</h2>
        <State state={state} />
        <span class="muted">
          {row.type} · {status?.connector.worker_id}
        </span>
        <a class="button" href={link(name, '/inspect')} data-action="inspect">
          Inspect events
        </a>
      </div>
      <div class="actions">
        {state === 'PAUSED' || state === 'STOPPED' ? (
          <button
            type="button"
            data-action="resume"
            onClick={() => act('resume', () => call('PUT', cpath(name, '/resume')))}
          >
            Resume
          </button>
        ) : (
          <button
            type="button"
            data-action="pause"
            onClick={() => act('pause', () => call('PUT', cpath(name, '/pause')))}
          >
            Pause
          </button>
        )}
        <button
          type="button"
          data-action="restart"
          onClick={() =>
            act('restart with tasks', () => call('POST', cpath(name, '/restart?includeTasks=true&onlyFailed=false')))
          }
        >
          Restart (with tasks)
        </button>
        <button
          type="button"
          data-action="stop"
          disabled={state === 'STOPPED'}
          onClick={() => act('stop', () => call('PUT', cpath(name, '/stop')))}
        >
          Stop
        </button>
        <button type="button" class="danger" data-action="delete" onClick={remove}>
          Delete
        </button>
      </div>
      {note ? <Message kind={note.kind}>{note.text}</Message> : null}
      {status?.connector.trace ? (
        <details open class="trace">
          <summary>Connector failure</summary>
          <pre>{status.connector.trace}</pre>
        </details>
      ) : null}

      <section class="cards">
        <div class="card">
          <div class="label">Events in / out</div>
          <div class="big">
            {rate(row.rateIn)} / {rate(row.rateOut)}
          </div>
          <div class="small muted">
            {count(row.totalIn)} in · {count(row.totalOut)} out
            {row.filtered ? ` · ${count(row.filtered)} filtered` : ''}
          </div>
        </div>
        <div class="card">
          <div class="label">Lag</div>
          <Lag row={row} />
        </div>
        <div class="card">
          <div class="label">Errors</div>
          <Problems row={row} />
        </div>
        {row.snapshot ? (
          <div class="card wide">
            <div class="label">Snapshot</div>
            <Progress snapshot={row.snapshot} />
          </div>
        ) : null}
      </section>

      <Chart
        full
        t={row.spark.t}
        width={760}
        height={180}
        series={[
          { label: 'in', values: row.spark.in, color: '#7c8da6' },
          { label: 'out', values: row.spark.out, color: '#1f7a4d' },
        ]}
      />

      <h3>Tasks</h3>
      <table class="tasks-table">
        <thead>
          <tr>
            <th>Task</th>
            <th>State</th>
            <th>Worker</th>
            <th>Records (this worker)</th>
            <th>Log</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(status?.tasks ?? []).map((t) => (
            <TaskRow name={name} t={t} row={row} workerId={workerId} act={act} />
          ))}
        </tbody>
      </table>
      {(status?.tasks ?? [])
        .filter((t) => t.trace)
        .map((t) => (
          <details class="trace" open={t.state === 'FAILED'}>
            <summary>Task {t.id} trace</summary>
            <pre>{t.trace}</pre>
          </details>
        ))}

      {row.type === 'source' ? (
        <>
          <h3>Send a signal</h3>
          <SignalForm name={name} tasks={status?.tasks ?? []} refresh={refresh} />
        </>
      ) : null}

      <h3>Transform chain</h3>
      {chain?.length ? (
        <ol class="chain">
          {chain.map((c) => (
            <li>
              <code>{c.alias}</code> {c.type}
              {c.predicate ? (
                <span class="muted">
                  {' '}
                  when {c.negate ? 'not ' : ''}
                  <code>{c.predicate}</code> ({c.predicateType})
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      ) : (
        <div class="muted">No transforms: records go as the connector makes them.</div>
      )}

      <h3>Topics</h3>
      <div>
        {topics?.[name]?.topics.length ? (
          topics[name].topics.map((t) => <code class="topic">{t}</code>)
        ) : (
          <span class="muted">none yet</span>
        )}
      </div>

      <h3>Offsets</h3>
      {offsetsError ? <Message kind="error">{offsetsError}</Message> : null}
      {offsets?.offsets.length ? (
        <table class="offsets">
          <tbody>
            {offsets.offsets.map((o) => (
              <tr>
                <td>
                  <code>{JSON.stringify(o.partition)}</code>
                </td>
                <td>
                  <code>{JSON.stringify(o.offset)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div class="muted">{row.type === 'sink' ? 'A sink has no source offsets.' : 'None committed yet.'}</div>
      )}

      <h3>Config</h3>
      <ConfigEditor
        name={name}
        onSaved={() => {
          reloadChain();
          refresh();
        }}
      />
    </div>
  );
}
