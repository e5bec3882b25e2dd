import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type TestBrowser } from '../../harness/browser.js';
import { type PostgresServer, startPostgres } from '../../harness/postgres.js';
import { repoRoot, startWorker, type WorkerProcess, waitFor } from '../../harness/worker.js';
import type { ConfigView, MetricsView } from '../../../runtime/ui/api-types.js';
import { call } from '../rest/support.js';

const USER = 'ops';
const PASSWORD = 'dashb0ard-pw-7f3e';
const AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };
/** SLUICE_UI_SCREENSHOTS=1 rewrites docs/images/ui-*.png (README shows them); otherwise they go to the test's dir. */
const SCREENSHOTS = process.env.SLUICE_UI_SCREENSHOTS === '1';

/**
 * The dashboard (issue 20) in Debian's chromium, driven by playwright-core, against a worker process with HTTP basic
 * auth, a PostgreSQL source and a file sink: what an operator sees and does, checked against REST.
 */
describe('dashboard in a real browser', () => {
  let pgs: PostgresServer;
  let dir: string;
  let w: WorkerProcess;
  let browser: TestBrowser;
  let ctx: BrowserContext;
  let page: Page;
  /** errors the page threw or logged: a test fails on any */
  const pageErrors: string[] = [];

  const api = <T = unknown>(method: string, path: string, body?: unknown) =>
    call<T>(w, method, path, { headers: AUTH, ...(body === undefined ? {} : { body }) });
  const state = async (name: string) =>
    (await api<{ connector: { state: string } }>('GET', `/connectors/${name}/status`)).body?.connector?.state;
  const shot = async (name: string, fullPage = false) => {
    const target = SCREENSHOTS ? join(repoRoot, 'docs/images', name) : join(dir, name);
    mkdirSync(join(target, '..'), { recursive: true });
    await page.screenshot({ path: target, fullPage });
  };

  beforeAll(async () => {
    // chromium starts while PostgreSQL does: the two slow starts overlap.
    const started = startBrowser();
    pgs = await startPostgres();
    await pgs.sql(
      `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, api_token text, balance numeric(12,2));
       INSERT INTO customers VALUES (1, 'Ada', 'tok-ada-0001', 10.50), (2, 'Grace', 'tok-grace-0002', 20.25)`,
    );
    dir = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
    writeFileSync(join(dir, 'users.properties'), `${USER}=${PASSWORD}\n`);
    w = await startWorker({
      dir,
      waitReady: false,
      worker: {
        'rest.auth.users.file': join(dir, 'users.properties'),
        'offset.storage.file.filename': join(dir, 'offsets.json'),
        'offset.flush.interval.ms': '500',
      },
    });
    await waitFor(
      async () => (await api('GET', '/health').catch(() => ({ status: 0 }))).status === 200,
      60_000,
      `the worker's REST endpoint\n${w.logs().slice(-2000)}`,
    );
    expect(
      (
        await api('POST', '/connectors', {
          name: 'shop',
          config: {
            'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
            ...pgs.connectorConfig(),
            'topic.prefix': 'shop',
            'slot.name': 'ui_slot',
            'publication.name': 'ui_pub',
            'table.include.list': 'public.customers',
            transforms: 'unwrap',
            'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/connectors', {
          name: 'archive',
          config: {
            'connector.class': 'FileStreamSink',
            file: join(dir, 'out.jsonl'),
            topics: 'shop.public.customers',
            'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
            'value.converter.schemas.enable': 'false',
          },
        })
      ).status,
    ).toBe(201);
    browser = await started;
    ctx = await browser.context({ httpCredentials: { username: USER, password: PASSWORD } });
    page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await w?.stop();
    await pgs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the overview shows both connectors RUNNING, and their counts rise after inserts', async () => {
    await page.goto(`${w.url}/ui`);
    for (const name of ['shop', 'archive'])
      await page
        .locator(`tr[data-connector="${name}"] [data-field="state"]`)
        .filter({ hasText: 'RUNNING' })
        .waitFor({ timeout: 60_000 });
    const out = (name: string) =>
      page.locator(`tr[data-connector="${name}"] [data-field="total-out"]`).getAttribute('data-value');
    // The snapshot's two rows went through both.
    await waitFor(async () => Number(await out('archive')) >= 2, 60_000, 'the snapshot in the sink');
    const before = Number(await out('shop'));
    await pgs.sql(
      `INSERT INTO customers SELECT g, 'customer ' || g, 'tok-' || g, g * 1.5 FROM generate_series(10, 59) g`,
    );
    await waitFor(async () => Number(await out('shop')) >= before + 50, 60_000, 'the source count to rise by 50');
    await waitFor(async () => Number(await out('archive')) >= before + 50, 60_000, 'the sink count to rise by 50');
    // A sparkline of a few rates: samples of the worker's 5-second history besides the current counters.
    await waitFor(
      async () => ((await api<MetricsView>('GET', '/ui/api/metrics')).body?.history.points.length ?? 0) >= 3,
      30_000,
      'three history samples',
    );
    // The sparkline (uPlot) draws the rates of the last minutes: its canvas gets painted pixels.
    await waitFor(
      () =>
        // A string: it runs in the page, whose DOM types this (Node) project does not compile against.
        page.evaluate<boolean>(`(() => {
          const canvas = document.querySelector('tr[data-connector="shop"] .spark canvas');
          const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
          return data ? data.some((v, i) => i % 4 === 3 && v > 0) : false;
        })()`),
      30_000,
      'the sparkline to be drawn',
    );
    // More changes, so that the picture shows a pipeline at work.
    const now = Number(await out('shop'));
    await pgs.sql(
      `INSERT INTO customers SELECT g, 'customer ' || g, 'tok-' || g, g * 1.5 FROM generate_series(100, 299) g`,
    );
    await waitFor(async () => Number(await out('archive')) >= now + 200, 60_000, 'the sink count to rise by 200');
    expect(pageErrors).toEqual([]);
    await shot('ui-overview.png');
  });

  it('the inspector shows an inserted row, with its secret-named field masked', async () => {
    await page.goto(`${w.url}/ui/#/connectors/shop/inspect`);
    // The stream is open when the first statistics arrive (every 2 s).
    await page.locator('[data-field="inspector-stats"]').filter({ hasText: /seen/ }).waitFor({ timeout: 30_000 });
    await pgs.sql(`INSERT INTO customers VALUES (777, 'Inspector Row', 'tok-very-secret-777', 77.70)`);
    const record = page.locator('.record').filter({ hasText: 'Inspector Row' }).first();
    await record.waitFor({ timeout: 30_000 });
    const text = (await record.textContent()) ?? '';
    expect(text).toContain('77.70');
    expect(text).toContain('[hidden]');
    expect(text).not.toContain('tok-very-secret-777');
    // The stream's statistics count it (they come every 2 s).
    await page
      .locator('[data-field="inspector-stats"]')
      .filter({ hasText: /shown [1-9]/ })
      .waitFor({ timeout: 30_000 });
    expect(pageErrors).toEqual([]);
    await shot('ui-inspector.png');
  });

  it('an invalid config edit shows the message beside its key and changes nothing', async () => {
    await page.goto(`${w.url}/ui/#/connectors/shop`);
    const input = page.locator('input[name="snapshot.mode"]');
    if ((await input.count()) === 0) {
      // Not in the stored config: added as a new key.
      await page.getByRole('button', { name: 'Add a key' }).click();
      await page.getByLabel('new key').last().fill('snapshot.mode');
      await page.getByLabel('value of snapshot.mode').fill('sometimes');
    } else await input.fill('sometimes');
    await page.locator('[data-action="save-config"]').click();
    const message = page.locator('[data-error-for="snapshot.mode"]');
    await message.waitFor({ timeout: 30_000 });
    expect((await message.textContent()) ?? '').toMatch(/sometimes|snapshot\.mode|must be one of|Invalid value/i);
    // Beside its key: in the row of that key.
    expect(await page.locator('tr[data-key="snapshot.mode"] [data-error-for="snapshot.mode"]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await shot('ui-connector.png', true);
    const stored = (await api<Record<string, string>>('GET', '/connectors/shop/config')).body;
    expect(stored['snapshot.mode']).toBeUndefined();
  });

  it('pausing from the page makes REST report PAUSED; resuming brings it back', async () => {
    await page.goto(`${w.url}/ui/#/connectors/archive`);
    await page.locator('[data-action="pause"]').click();
    await waitFor(async () => (await state('archive')) === 'PAUSED', 30_000, 'REST to report PAUSED');
    await page.locator('[data-action="resume"]').click();
    await waitFor(async () => (await state('archive')) === 'RUNNING', 30_000, 'REST to report RUNNING');
  });

  it('sends a signal from the connector page: a refusal shows its reason, a blocking snapshot is accepted and its progress shown', async () => {
    await page.goto(`${w.url}/ui/#/connectors/shop`);
    const form = page.locator('form[data-form="signal"]');
    await form.waitFor({ timeout: 30_000 });
    const answer = form.locator('[data-field="signal-answer"]');
    // shop has no signal table: an incremental snapshot is refused (400), the reason shown
    await form.locator('input[name="data-collections"]').fill('public.customers');
    await form.locator('[data-action="send-signal"]').click();
    await answer.filter({ hasText: /Refused \(400\):.*signal\.data\.collection/ }).waitFor({ timeout: 30_000 });
    // a blocking snapshot of a slice needs none
    await form.locator('select[name="snapshot-kind"]').selectOption('blocking');
    await form.locator('input[name="additional-condition"]').fill('id < 3');
    await form.locator('[data-action="send-signal"]').click();
    await answer.filter({ hasText: /Accepted \(202\): signal ui-\w+, snapshot ui-\w+/ }).waitFor({ timeout: 30_000 });
    await form
      .locator('[data-field="signal-snapshot"]')
      .filter({ hasText: /blocking snapshot ui-\w+ · completed · tables 1\/1 · 2 rows/ })
      .waitFor({ timeout: 60_000 });
    const st = await api<{ tasks: Array<{ state: string; snapshot?: Record<string, unknown> }> }>(
      'GET',
      '/connectors/shop/status',
    );
    expect(st.body.tasks[0]).toMatchObject({
      state: 'RUNNING',
      snapshot: { kind: 'blocking', completed: true, rowsScanned: 2 },
    });
    // chromium logs the refused POST's 400 as a console error; that one was asked for
    const expected = (e: string) => /status of 400/.test(e);
    expect(pageErrors.filter((e) => !expected(e))).toEqual([]);
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !expected(e)));
  });

  it('REST side: the page is public, its data needs the same credentials, secrets stay hidden, other sites change nothing', async () => {
    const anonymous = await call(w, 'GET', '/ui/');
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(anonymous.headers.get('x-frame-options')).toBe('DENY');
    expect((await call(w, 'GET', '/ui/app.js')).status).toBe(200);
    // Only the page's own files: nothing else under /ui, and no way out of its folder.
    expect((await call(w, 'GET', '/ui/../package.json')).status).not.toBe(200);
    expect((await call(w, 'GET', '/ui/app.js.map', { headers: AUTH })).status).toBe(404);
    for (const path of [
      '/ui/api/metrics',
      '/ui/api/connectors/shop/config',
      '/ui/api/connectors/shop/inspect',
      '/connectors',
    ])
      expect((await call(w, 'GET', path)).status, path).toBe(401);
    expect((await call(w, 'PUT', '/ui/api/connectors/shop/config/validate', { body: { patch: {} } })).status).toBe(401);

    const view = (await api<ConfigView>('GET', '/ui/api/connectors/shop/config')).body;
    const password = view.config.find((c) => c.key === 'database.password');
    expect(password).toEqual({ key: 'database.password', value: '[hidden]', hidden: true });
    // Other values are shown as stored, even where they contain the plain-text password ("postgres").
    expect(view.config.find((c) => c.key === 'connector.class')?.value).toBe(
      'io.debezium.connector.postgresql.PostgresConnector',
    );
    expect(view.config.find((c) => c.key === 'database.user')?.value).toBe(pgs.user);
    expect(view.chain).toEqual([{ alias: 'unwrap', type: 'io.debezium.transforms.ExtractNewRecordState' }]);

    // A change another site's page makes the browser send (with the browser's credentials) is refused.
    const crossSite = await call(w, 'PUT', '/connectors/archive/pause', {
      headers: { ...AUTH, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await call(w, 'PUT', '/connectors/archive/pause', {
      headers: { ...AUTH, origin: 'http://evil.example' },
    });
    expect(otherOrigin.status).toBe(403);
    expect(await state('archive')).toBe('RUNNING');

    // Hostile validation bodies: 400 naming what is wrong, never a 5xx.
    const validate = (body: unknown) =>
      api<{ message: string }>('PUT', '/ui/api/connectors/shop/config/validate', body);
    expect((await validate({ patch: [1] })).status).toBe(400);
    const nested = await validate({ patch: { 'snapshot.mode': { x: 1 } } });
    expect(nested.status).toBe(400);
    expect(nested.body.message).toContain('snapshot.mode');
    expect((await validate({ patch: { name: 'other' } })).body.message).toContain("doesn't match");
    expect((await validate('text')).status).toBe(400);
    const fine = await api<{ errorCount: number }>('PUT', '/ui/api/connectors/shop/config/validate', {
      patch: { 'snapshot.mode': 'initial' },
    });
    expect(fine).toMatchObject({ status: 200, body: { errorCount: 0 } });

    // Hostile inspector parameters: a clear 400 naming the parameter.
    const bad = await api<{ message: string }>('GET', '/ui/api/connectors/shop/inspect?stage=raw');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/stage/);
    expect((await api('GET', '/ui/api/connectors/shop/inspect?rate=1e9')).status).toBe(400);
    expect((await api('GET', '/ui/api/connectors/nope/inspect')).status).toBe(404);
  });

  it('with a bearer token, the page asks for it and keeps it for the tab; the inspector can be off', async () => {
    const token = 'ui-bearer-t0ken-5b1c';
    const secured = await startWorker({
      dir: join(dir, 'bearer'),
      waitReady: false,
      worker: { 'rest.auth.bearer.token': token, 'ui.inspector.enable': 'false' },
    });
    const other = await browser.context();
    try {
      await waitFor(
        async () =>
          (
            await call(secured, 'GET', '/health', { headers: { authorization: `Bearer ${token}` } }).catch(() => ({
              status: 0,
            }))
          ).status === 200,
        60_000,
        'the second worker',
      );
      const p = await other.newPage();
      await p.goto(`${secured.url}/ui/`);
      await p.getByLabel('bearer token').fill('wrong');
      await p.getByRole('button', { name: 'Sign in' }).click();
      // A wrong token is asked for again.
      await p.getByLabel('bearer token').waitFor({ timeout: 30_000 });
      await p.getByLabel('bearer token').fill(token);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('No connectors yet').waitFor({ timeout: 30_000 });
      // Kept in the tab's session storage, never in a cookie or in local storage.
      expect(await p.evaluate('[localStorage.length, document.cookie]')).toEqual([0, '']);
      // ui.inspector.enable=false: no record content, said plainly.
      const bearer = { authorization: `Bearer ${token}` };
      const inspect = await call<{ message: string }>(secured, 'GET', '/ui/api/connectors/any/inspect', {
        headers: bearer,
      });
      expect(inspect.status).toBe(404);
      expect(inspect.body.message).toContain('ui.inspector.enable=false');
      expect((await call<MetricsView>(secured, 'GET', '/ui/api/metrics', { headers: bearer })).body.inspector).toBe(
        false,
      );
    } finally {
      await other.close();
      await secured.stop();
    }
  });

  it('ui.enable=false: no page and no dashboard endpoints', async () => {
    const off = await startWorker({ dir: join(dir, 'off'), worker: { 'ui.enable': 'false' } });
    try {
      for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/api/metrics'])
        expect((await call(off, 'GET', path)).status, path).toBe(404);
      expect((await call(off, 'GET', '/connectors')).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});
