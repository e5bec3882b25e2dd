import { Chart } from './charts.js';
import { count, rate } from './format.js';
import type { Row } from './model.js';
import { Lag, link, Problems, Progress, State } from './widgets.js';

function Tasks({ row }: { row: Row }) {
  const tasks = row.status?.tasks ?? [];
  if (tasks.length === 0) return <span class="muted">no tasks</span>;
  return (
    <div class="tasks">
      {tasks.map((t) => (
        <span class={`chip state-${t.state.toLowerCase()}`} title={`task ${t.id} on ${t.worker_id || 'no worker'}`}>
          {t.id}: {t.state}
          {t.retrying ? ' (retrying)' : ''}
          <span class="worker">{t.worker_id}</span>
        </span>
      ))}
    </div>
  );
}

export function Overview({ rows, workerId }: { rows: Row[]; workerId: string }) {
  if (rows.length === 0)
    return (
      <div class="empty">
        No connectors yet. Create one with <code>POST /connectors</code> (see docs/rest.md) or name connector files on
        the command line.
      </div>
    );
  return (
    <table class="overview">
      <thead>
        <tr>
          <th>Connector</th>
          <th>State</th>
          <th>Tasks (worker)</th>
          <th title="in: polled by a source, handed to a sink; out: acknowledged by the transport (sources), put into the task (sinks)">
            Events in / out
          </th>
          <th>Last minutes</th>
          <th>Lag</th>
          <th>Errors</th>
          <th>Snapshot</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const local = (r.status?.tasks ?? []).some((t) => t.worker_id === workerId);
          return (
            <tr data-connector={r.name}>
              <td>
                <a href={link(r.name)} class="name">
                  {r.name}
                </a>
                <div class="small muted">{r.type}</div>
              </td>
              <td data-field="state">
                <State state={r.status?.connector.state} />
              </td>
              <td>
                <Tasks row={r} />
              </td>
              <td class="num">
                <div>
                  <span data-field="rate-in">{rate(r.rateIn)}</span> /{' '}
                  <span data-field="rate-out">{rate(r.rateOut)}</span>
                </div>
                <div class="small muted">
                  <span data-field="total-in">{count(r.totalIn)}</span> in ·{' '}
                  <span data-field="total-out" data-value={r.totalOut}>
                    {count(r.totalOut)}
                  </span>{' '}
                  out
                </div>
                {!local && (r.status?.tasks.length ?? 0) > 0 ? (
                  <div class="small muted">tasks on other workers</div>
                ) : null}
              </td>
              <td>
                <Chart
                  t={r.spark.t}
                  width={140}
                  height={32}
                  series={[
                    { label: 'in', values: r.spark.in, color: '#7c8da6' },
                    { label: 'out', values: r.spark.out, color: '#1f7a4d' },
                  ]}
                />
              </td>
              <td>
                <Lag row={r} />
              </td>
              <td>
                <Problems row={r} />
              </td>
              <td>{r.snapshot ? <Progress snapshot={r.snapshot} /> : <span class="muted">–</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
