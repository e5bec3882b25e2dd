import 'uplot/dist/uPlot.min.css';
import './style.css';
import { type JSX, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { MetricsView } from '../api-types.js';
import { ApiError, get, onAuthNeeded, setToken, token } from './api.js';
import { ConnectorPage } from './connector.js';
import { bytes, duration } from './format.js';
import { InspectorPage } from './inspector.js';
import { type Expanded, rows } from './model.js';
import { Overview } from './overview.js';
import { Message } from './widgets.js';

const POLL_MS = 2000;

type Route = { page: 'overview' } | { page: 'connector'; name: string } | { page: 'inspect'; name: string };

function route(): Route {
  const m = /^#\/connectors\/([^/]+)(\/inspect)?$/.exec(window.location.hash);
  if (!m) return { page: 'overview' };
  const name = decodeURIComponent(m[1]);
  return m[2] ? { page: 'inspect', name } : { page: 'connector', name };
}

function TokenForm({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="login"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        onDone();
      }}
    >
      <p>This worker needs a bearer token (rest.auth.bearer.token). It is kept for this tab only.</p>
      <input
        type="password"
        aria-label="bearer token"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
  );
}

function App() {
  const [where, setWhere] = useState<Route>(route());
  const [expanded, setExpanded] = useState<Expanded | undefined>();
  const [metrics, setMetrics] = useState<MetricsView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [needToken, setNeedToken] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const onHash = () => setWhere(route());
    window.addEventListener('hashchange', onHash);
    const off = onAuthNeeded((challenge) => {
      if (challenge.toLowerCase().startsWith('bearer')) {
        setToken(null);
        setNeedToken(true);
      }
    });
    return () => {
      window.removeEventListener('hashchange', onHash);
      off();
    };
  }, []);

  useEffect(() => {
    if (needToken) return;
    let alive = true;
    const poll = async () => {
      try {
        const [e, m] = await Promise.all([
          get<Expanded>('/connectors?expand=status&expand=info'),
          get<MetricsView>('/ui/api/metrics'),
        ]);
        if (!alive) return;
        setExpanded(e);
        setMetrics(m);
        setError(undefined);
      } catch (err) {
        if (!alive) return;
        if (
          err instanceof ApiError &&
          err.status === 401 &&
          !token() &&
          !err.challenge?.toLowerCase().startsWith('bearer')
        )
          setError('This worker needs credentials: reload the page and sign in.');
        else if (err instanceof ApiError && err.status === 503) setError('The worker is starting or stopping…');
        else setError(err instanceof Error ? err.message : String(err));
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [needToken, tick]);

  const refresh = () => setTick((n) => n + 1);
  const all = expanded ? rows(expanded, metrics) : [];
  const workerId = metrics?.worker.id ?? '';
  const w = metrics?.worker;
  let body: JSX.Element;
  if (needToken) body = <TokenForm onDone={() => setNeedToken(false)} />;
  else if (!expanded) body = error ? <Message kind="error">{error}</Message> : <div class="muted">Loading…</div>;
  else if (where.page === 'overview') body = <Overview rows={all} workerId={workerId} />;
  else if (where.page === 'connector')
    body = (
      <ConnectorPage
        name={where.name}
        row={all.find((r) => r.name === where.name)}
        workerId={workerId}
        refresh={refresh}
      />
    );
  else
    body = (
      <InspectorPage
        name={where.name}
        row={all.find((r) => r.name === where.name)}
        enabled={metrics?.inspector ?? true}
      />
    );
  return (
    <>
      <header>
        <a href="#/" class="brand">
          sluice
        </a>
        <nav>
          <a href="#/" class={where.page === 'overview' ? 'on' : ''}>
            Connectors
          </a>
        </nav>
        <div class="worker small">
          {w ? (
            <>
              worker <b>{w.id}</b> · v{w.version}
              {w.rssBytes !== undefined ? ` · ${bytes(w.rssBytes)} RSS` : ''}
              {w.startedAt !== undefined && metrics ? ` · up ${duration(metrics.now - w.startedAt)}` : ''}
            </>
          ) : null}
        </div>
      </header>
      <main>
        {error && expanded ? <Message kind="error">{error}</Message> : null}
        {body}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
