// Browser tests of the dashboard (web/app.js) against the real `autoglm dashboard` server and the
// `autoglm report` file, in headless Chromium. Fixture studies: tests/dashboard/fixtures.h.
// Run: ctest -L browser (or `node --test --test-concurrency=1 tests/e2e/browser` with the
// AUTOGLM_* variables of helpers.mjs). Screenshots of every view go to $AUTOGLM_ARTIFACTS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  apiGet, assertNoProblems, env, execFileAsync, fixtures, launchBrowser, newPage, plotData, screenshot,
  startDashboard, tableNumbers, tempDir, trace, waitPlot, waitReady, waitTable,
} from './helpers.mjs';

const SINGLE = 'quadratic <b>&amp;</b> "Ünïcødé" 学习率';
const MULTI = 'pareto-two';
const SCRIPT_CHOICE = '<script>alert(1)</script>';
const THREE = 'three-objectives';  // three_objectives.yaml
const HERE = path.dirname(fileURLToPath(import.meta.url));

let dir;
let storageUrl;
let server;
let browser;
const ids = {};

before(async () => {
  dir = tempDir();
  storageUrl = `sqlite:///${path.join(dir, 'dashboard.db')}`;
  await fixtures(storageUrl);
  await fixtures(storageUrl, '--large', 'live', 20);
  await fixtures(storageUrl, '--large', 'empty', 0);
  await execFileAsync(env('AUTOGLM_BIN'), ['tune', path.join(HERE, 'three_objectives.yaml'), '--storage', storageUrl],
    { timeout: 60_000 });
  [server, browser] = await Promise.all([startDashboard(storageUrl), launchBrowser()]);
  const { studies } = await apiGet(server.url, '/api/studies');
  for (const s of studies) ids[s.name] = s.id;
  assert.ok(ids[SINGLE] && ids[MULTI] && ids[THREE] && ids.live && ids.empty, `studies listed: ${Object.keys(ids)}`);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens a route of the app and waits for its first content. */
async function open(route) {
  const page = await newPage(browser);
  await page.goto(`${server.url}${route}`);
  await waitReady(page);
  return page;
}

describe('study list', () => {
  test('lists every study with escaped names and counts by state', async () => {
    const page = await open('#/');
    const { studies } = await apiGet(server.url, '/api/studies');
    const rows = page.locator('#study-table tbody tr[data-study-id]');
    assert.equal(await rows.count(), studies.length);
    const single = page.locator(`#study-table tr[data-study-id="${ids[SINGLE]}"]`);
    assert.equal(await single.locator('td').first().textContent(), SINGLE, 'name shown literally');
    const cells = await single.locator('td').allTextContents();
    for (const n of ['60', '50', '5', '3', '1']) assert.ok(cells.includes(n), `count ${n} in ${cells}`);
    assert.equal(await page.locator('#study-table b').count(), 0, 'no HTML from names');
    await screenshot(page, 'study-list');
    await single.locator('a').click();
    await page.waitForFunction((id) => location.hash === `#/study/${id}`, ids[SINGLE]);
    await waitReady(page);
    assertNoProblems(assert, page);
    await page.close();
  });
});

describe('single-objective study page', () => {
  let page;
  let id;
  before(async () => {
    id = ids[SINGLE];
    page = await open(`#/study/${id}`);
  });
  after(async () => page && page.close());

  test('header shows the name and attrs literally', async () => {
    assert.equal(await page.locator('#study-header h1').textContent(), SINGLE);
    assert.match(await page.locator('#study-header').textContent(), /<i>Zoë<\/i> & "team"/);
    assert.equal(await page.locator('#objective-select').count(), 0, 'no objective select for one objective');
  });

  test('history: 50 COMPLETE points, best-so-far line, 5 pruned, 3 failed', async () => {
    const traces = await waitPlot(page, 'plot-history');
    const history = await apiGet(server.url, `/api/studies/${id}/history`);
    assert.equal(trace(traces, 'Objective value').x.length, 50);
    assert.deepEqual(trace(traces, 'Objective value').x, history.numbers);
    const best = trace(traces, 'Best so far');
    assert.ok(best && best.x.length >= 2, 'best line drawn');
    assert.equal(Math.min(...best.y), Math.min(...history.values));
    assert.equal(trace(traces, 'Pruned').x.length, 5);
    assert.equal(trace(traces, 'Failed').x.length, 3);
  });

  test('intermediate values: one curve per trial, x markers at the pruned steps', async () => {
    const traces = await waitPlot(page, 'plot-intermediate');
    const data = await apiGet(server.url, `/api/studies/${id}/intermediate`);
    assert.equal(traces.filter((t) => t.meta === 'curve').length, data.trials.length);
    assert.equal(data.trials.length, 56, '50 COMPLETE + 5 PRUNED + 1 RUNNING have curves');
    const pruned = trace(traces, 'Pruned at step');
    assert.equal(pruned.x.length, 5);
    assert.deepEqual([...pruned.x].sort((a, b) => a - b), [4, 5, 6, 7, 8], 'stopped at step 3 + k');
  });

  test('importance bars and interaction heatmap', async () => {
    const traces = await waitPlot(page, 'plot-importance', { timeout: 30_000 });
    const data = await apiGet(server.url, `/api/studies/${id}/importance?interactions=1`);
    assert.equal(data.error, null);
    assert.equal(traces[0].type, 'bar');
    assert.equal(traces[0].x.length, data.importances.length);
    assert.equal(traces[0].x.length, 4);
    const heat = await plotData(page, 'plot-interactions');
    assert.equal(heat[0].type, 'heatmap');
  });

  test('parallel coordinates: 4 params + the objective', async () => {
    const traces = await waitPlot(page, 'plot-parcoords');
    assert.equal(traces[0].type, 'parcoords');
    assert.equal(traces[0].dimensions.length, 5);
    assert.ok(traces[0].dimensions.every((d) => d.n === 50), 'one line per COMPLETE trial');
    assert.match(traces[0].dimensions[4].label, /loss/);
  });

  test('slice: one subplot per param; contour of a chosen pair', async () => {
    const slice = await waitPlot(page, 'plot-slice');
    assert.equal(slice.length, 4);
    assert.deepEqual(slice.map((t) => t.name), ['lr', 'opt', 'x', 'y']);
    assert.ok(slice.every((t) => t.x.length === 50));
    let contour = await waitPlot(page, 'plot-contour');
    assert.equal(trace(contour, 'Contour').type, 'contour');
    assert.equal(trace(contour, 'Trials').x.length, 50);
    await page.selectOption('#contour-x', 'x');
    await page.selectOption('#contour-y', 'y');
    contour = await waitPlot(page, 'plot-contour', { min: 3 });
    assert.equal(trace(contour, 'Trials').x.length, 50);
  });

  test('timeline: one bar per trial with a start', async () => {
    const traces = await waitPlot(page, 'plot-timeline');
    const data = await apiGet(server.url, `/api/studies/${id}/timeline`);
    const started = data.trials.filter((t) => t.datetime_start).length;
    assert.equal(started, 59, 'every trial but the WAITING one started');
    assert.equal(traces.reduce((n, t) => n + t.x.length, 0), started);
    assert.ok(traces.every((t) => t.type === 'bar'));
  });

  test('trial table: paging, text filter, state filter, sorting', async () => {
    await page.locator('#trial-table').scrollIntoViewIfNeeded();
    await waitTable(page, 60, 50);
    await page.click('#trial-next');
    await waitTable(page, 60, 10);
    assert.deepEqual(await tableNumbers(page), [...Array(10).keys()].map((k) => 50 + k));

    await page.fill('#trial-filter', 'sgd');
    const sgd = await apiGet(server.url, `/api/studies/${id}/trials?limit=1000&q=sgd`);
    assert.ok(sgd.total > 0 && sgd.total < 60);
    await waitTable(page, sgd.total, sgd.total);
    assert.deepEqual(await tableNumbers(page), sgd.trials.map((t) => t.number));

    await page.fill('#trial-filter', '');
    for (const state of ['COMPLETE', 'FAIL', 'RUNNING', 'WAITING'])
      await page.locator(`#state-filter input[value="${state}"]`).uncheck();
    await waitTable(page, 5, 5);
    assert.deepEqual(await tableNumbers(page), [10, 20, 30, 40, 50]);
    await page.locator('#state-filter input[value="COMPLETE"]').check();
    await waitTable(page, 55, 50);

    const byValue = await apiGet(server.url, `/api/studies/${id}/trials?sort=value&state=COMPLETE,PRUNED`);
    await page.click('#trial-table th[data-sort="value"]');
    await page.waitForFunction((n) => document.querySelector('#trial-table tbody tr')?.dataset.number === String(n),
      byValue.trials[0].number);
    assert.deepEqual(await tableNumbers(page), byValue.trials.map((t) => t.number));
    const desc = await apiGet(server.url, `/api/studies/${id}/trials?sort=value&order=desc&state=COMPLETE,PRUNED`);
    await page.click('#trial-table th[data-sort="value"]');
    await page.waitForFunction((n) => document.querySelector('#trial-table tbody tr')?.dataset.number === String(n),
      desc.trials[0].number);
    assert.deepEqual(await tableNumbers(page), desc.trials.map((t) => t.number));
  });

  test('no console errors; screenshot', async () => {
    await screenshot(page, 'study-single');
    assertNoProblems(assert, page);
  });

  test('a table row opens its trial page', async () => {
    await page.locator('#trial-table tbody tr[data-number]').first().locator('td').nth(1).click();
    await page.waitForFunction(() => document.body.dataset.view === 'trial' && document.body.dataset.ready === '1');
    assert.match(await page.evaluate(() => location.hash), new RegExp(`^#/study/${id}/trial/\\d+$`));
    assertNoProblems(assert, page);
  });
});

describe('trial page', () => {
  test('shows params, values and attrs literally; never runs injected HTML', async () => {
    const id = ids[SINGLE];
    const { trials } = await apiGet(server.url, `/api/studies/${id}/trials?limit=1000&state=COMPLETE`);
    const evil = trials.find((t) => t.params.opt === SCRIPT_CHOICE);
    assert.ok(evil, 'a COMPLETE trial chose the <script> category');
    const page = await open(`#/study/${id}/trial/${evil.number}`);
    const params = await page.locator('#trial-params').textContent();
    assert.ok(params.includes(SCRIPT_CHOICE), 'the <script> choice shown as text');
    for (const name of ['x', 'y', 'lr', 'opt']) assert.ok(params.includes(name));
    const attrs = await page.locator('#trial-user-attrs').textContent();
    assert.ok(attrs.includes(`<img src=x onerror=alert(1)> "trial" #${evil.number} ✓`));
    assert.equal(await page.locator('#app img, #app script, #app b').count(), 0, 'no element from data');
    assert.ok((await page.locator('#trial-values').textContent()).includes('loss'));
    const curve = await waitPlot(page, 'plot-trial-intermediate');
    assert.equal(curve[0].x.length, 10);
    await screenshot(page, 'trial-complete');
    assertNoProblems(assert, page);
    await page.close();
  });

  test('FAIL trial: fail reason and log tail; RUNNING trial: worker and heartbeat', async () => {
    const id = ids[SINGLE];
    let page = await open(`#/study/${id}/trial/15`);
    assert.match(await page.locator('#trial-system-attrs').textContent(), /exit status 1 <stderr>/);
    assert.equal(await page.locator('#trial-log').textContent(), 'Traceback: <boom> & more\n');
    await screenshot(page, 'trial-fail');
    assertNoProblems(assert, page);
    await page.close();

    page = await open(`#/study/${id}/trial/58`);
    const system = await page.locator('#trial-system-attrs').textContent();
    assert.match(system, /node-a/);
    assert.match(system, /heartbeat age/);
    await screenshot(page, 'trial-running');
    assertNoProblems(assert, page);
    await page.close();
  });
});

describe('multi-objective study page', () => {
  test('Pareto front, hypervolume, objective select; no 3-D view for 2 objectives', async () => {
    const id = ids[MULTI];
    const page = await open(`#/study/${id}`);
    const pareto = await apiGet(server.url, `/api/studies/${id}/pareto`);
    let history = await waitPlot(page, 'plot-history');
    assert.equal(trace(history, 'Objective value').x.length, 37);
    const traces = await waitPlot(page, 'plot-pareto');
    assert.equal(trace(traces, 'Pareto front').x.length, pareto.front.length);
    assert.equal(trace(traces, 'Dominated').x.length, pareto.dominated.length);
    assert.equal(pareto.front.length + pareto.dominated.length, 37);
    assert.equal(await page.locator('#plot-pareto3d').count(), 0);
    const hv = await waitPlot(page, 'plot-hypervolume');
    assert.equal(trace(hv, 'Hypervolume').x.length, pareto.hypervolume_history.numbers.length);

    const second = await apiGet(server.url, `/api/studies/${id}/history?objective=1`);
    await page.selectOption('#objective-select', '1');
    history = await waitPlot(page, 'plot-history', { min: 2 });
    assert.deepEqual(trace(history, 'Objective value').y, second.values);
    assert.match(await page.locator('#plot-history').textContent(), /accuracy/);
    await screenshot(page, 'study-multi');
    assertNoProblems(assert, page);
    await page.close();
  });
});

describe('three-objective study page', () => {
  test('2-D Pareto front for a chosen pair and the 3-D view', async () => {
    const id = ids[THREE];
    const page = await open(`#/study/${id}`);
    const pareto = await apiGet(server.url, `/api/studies/${id}/pareto`);
    assert.equal(pareto.front.length + pareto.dominated.length, 16);
    let flat = await waitPlot(page, 'plot-pareto');
    assert.equal(trace(flat, 'Pareto front').x.length, pareto.front.length);
    await page.selectOption('#pareto-x', '2');
    flat = await waitPlot(page, 'plot-pareto', { min: 2 });
    assert.deepEqual([...trace(flat, 'Pareto front').x].sort(), pareto.front.map((t) => t.values[2]).sort());
    const solid = await waitPlot(page, 'plot-pareto3d');
    assert.equal(trace(solid, 'Pareto front').type, 'scatter3d');
    assert.equal(trace(solid, 'Pareto front').x.length, pareto.front.length);
    assert.equal(trace(solid, 'Dominated').x.length, pareto.dominated.length);
    assert.equal(await page.locator('#plot-intermediate').count(), 0, 'no learning curves in this study');
    await screenshot(page, 'study-three-objectives');
    assertNoProblems(assert, page);
    await page.close();
  });
});

describe('empty study and errors', () => {
  test('an empty study shows messages, not errors', async () => {
    const page = await open(`#/study/${ids.empty}`);
    assert.equal(await page.locator('#plot-history').getAttribute('data-empty'), '1');
    assert.match(await page.locator('#sec-history').textContent(), /no trials yet/i);
    await screenshot(page, 'study-empty');
    assertNoProblems(assert, page);
    await page.close();
  });

  test('an unknown study shows the error banner, and no stale study name', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}#/study/${ids[SINGLE]}`);
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    await page.evaluate(() => { location.hash = '#/study/999999'; });
    await page.waitForSelector('#error-banner:not([hidden])');
    assert.match(await page.locator('#error-banner').textContent(), /404/);
    assert.equal(await page.locator('#crumbs').textContent(), 'Studies', 'the previous study is not named');
    await page.evaluate(() => { location.hash = '#/study/abc'; });
    await page.waitForFunction(() => document.body.dataset.view === 'notfound' && document.body.dataset.ready === '1');
    assert.match(await page.locator('#app').textContent(), /No such page/);
    await page.close();
  });
});

describe('live updates', () => {
  test('the open study page redraws when trials are added, without reloading', async () => {
    const id = ids.live;
    const page = await open(`#/study/${id}`);
    await page.evaluate(() => { window.__sameDocument = true; });
    let history = await waitPlot(page, 'plot-history');
    assert.equal(trace(history, 'Objective value').x.length, 20);
    await page.locator('#trial-table').scrollIntoViewIfNeeded();
    await waitTable(page, 20, 20);
    const refreshes = Number(await page.evaluate(() => document.body.dataset.refreshes));
    const list = await open('#/');
    const liveTrials = () => list.locator(`#study-table tr[data-study-id="${id}"] td:nth-child(3)`).textContent();
    assert.equal(await liveTrials(), '20');

    await fixtures(storageUrl, '--append', 'live', 3);
    await page.waitForFunction((n) => Number(document.body.dataset.refreshes) > n, refreshes, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('plot-history').data[0].x.length === 23, null,
      { timeout: 10_000 });
    history = await plotData(page, 'plot-history');
    assert.equal(trace(history, 'Objective value').x.length, 23);
    await waitTable(page, 23, 23);
    assert.match(await page.locator('#study-header').textContent(), /23 trials/);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    assertNoProblems(assert, page);
    await page.close();
    await list.waitForFunction((sel) => document.querySelector(sel)?.textContent === '23',
      `#study-table tr[data-study-id="${id}"] td:nth-child(3)`, { timeout: 10_000 });
    assertNoProblems(assert, list);
    await list.close();
  });
});

describe('report', () => {
  let page;
  let reportUrl;
  const reportFile = () => path.join(dir, 'report.html');

  before(async () => {
    await execFileAsync(env('AUTOGLM_BIN'),
      ['report', '--study', SINGLE, '--storage', storageUrl, '--out', reportFile()], { timeout: 60_000 });
    reportUrl = `file://${reportFile()}`;
    page = await newPage(browser);
    page.blocked = [];
    await page.route(/^https?:/, (route) => {
      page.blocked.push(route.request().url());
      return route.abort();
    });
  });
  after(async () => page && page.close());

  test('opens from disk with no network and draws the study page', async () => {
    const html = fs.readFileSync(reportFile(), 'utf8');
    assert.ok(html.includes('id="autoglm-data"'));
    assert.ok(!html.includes('<script>alert(1)</script>'), 'data escaped in the report');
    await page.goto(reportUrl);
    await waitReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.mode), 'report');
    assert.match(await page.evaluate(() => location.hash), /^#\/study\/\d+$/);
    assert.equal(await page.locator('#study-header h1').textContent(), SINGLE);
    const history = await waitPlot(page, 'plot-history');
    assert.equal(trace(history, 'Objective value').x.length, 50);
    assert.equal(trace((await waitPlot(page, 'plot-intermediate')), 'Pruned at step').x.length, 5);
    assert.equal((await waitPlot(page, 'plot-importance'))[0].x.length, 4);
    assert.equal((await waitPlot(page, 'plot-parcoords'))[0].dimensions.length, 5);
    assert.equal((await waitPlot(page, 'plot-slice')).length, 4);
    assert.ok(trace(await waitPlot(page, 'plot-contour'), 'Contour'));
    assert.equal((await waitPlot(page, 'plot-timeline')).reduce((n, t) => n + t.x.length, 0), 59);
    await screenshot(page, 'report-study');
    assert.deepEqual(page.blocked, [], 'no network request');
    assert.equal(await page.evaluate(() => document.body.dataset.missing), undefined, 'only baked (canonical) paths asked for');
    assertNoProblems(assert, page);
  });

  test('sorts and filters the table in the browser; trial pages work', async () => {
    await page.locator('#trial-table').scrollIntoViewIfNeeded();
    await waitTable(page, 60, 50);
    const sgd = await apiGet(server.url, `/api/studies/${ids[SINGLE]}/trials?limit=1000&q=sgd`);
    await page.fill('#trial-filter', 'sgd');
    await waitTable(page, sgd.total, sgd.total);
    assert.deepEqual(await tableNumbers(page), sgd.trials.map((t) => t.number));
    await page.fill('#trial-filter', '');
    await waitTable(page, 60, 50);
    const byValue = await apiGet(server.url, `/api/studies/${ids[SINGLE]}/trials?sort=value`);
    await page.click('#trial-table th[data-sort="value"]');
    await page.waitForFunction((n) => document.querySelector('#trial-table tbody tr')?.dataset.number === String(n),
      byValue.trials[0].number);
    assert.deepEqual(await tableNumbers(page), byValue.trials.map((t) => t.number));

    await page.evaluate((id) => { location.hash = `#/study/${id}/trial/15`; }, ids[SINGLE]);
    await page.waitForFunction(() => document.body.dataset.view === 'trial' && document.body.dataset.ready === '1');
    assert.equal(await page.locator('#trial-log').textContent(), 'Traceback: <boom> & more\n');
    await screenshot(page, 'report-trial');
    assert.deepEqual(page.blocked, []);
    assert.equal(await page.evaluate(() => document.body.dataset.missing), undefined);
    assertNoProblems(assert, page);
  });

  test('a multi-objective report draws the Pareto front', async () => {
    const file = path.join(dir, 'report-multi.html');
    await execFileAsync(env('AUTOGLM_BIN'), ['report', '--study', MULTI, '--storage', storageUrl, '--out', file],
      { timeout: 60_000 });
    const multi = await newPage(browser);
    const blocked = [];
    await multi.route(/^https?:/, (route) => { blocked.push(route.request().url()); return route.abort(); });
    await multi.goto(`file://${file}`);
    await waitReady(multi);
    const pareto = await apiGet(server.url, `/api/studies/${ids[MULTI]}/pareto`);
    assert.equal(trace(await waitPlot(multi, 'plot-pareto'), 'Pareto front').x.length, pareto.front.length);
    await multi.selectOption('#objective-select', '1');
    const history = await waitPlot(multi, 'plot-history', { min: 2 });
    const second = await apiGet(server.url, `/api/studies/${ids[MULTI]}/history?objective=1`);
    assert.deepEqual(trace(history, 'Objective value').y, second.values);
    assert.equal((await waitPlot(multi, 'plot-importance'))[0].type, 'bar');
    await screenshot(multi, 'report-multi');
    assert.deepEqual(blocked, []);
    assert.equal(await multi.evaluate(() => document.body.dataset.missing), undefined);
    assertNoProblems(assert, multi);
    await multi.close();
  });
});

describe('token', () => {
  test('with --token: ?token= opens the app; a 401 later tells the user to open the URL with ?token=', async () => {
    const guarded = await startDashboard(storageUrl, ['--token', 's3cret-token']);
    try {
      const plain = await fetch(guarded.url);
      assert.equal(plain.status, 401, 'no page without the token');
      const page = await newPage(browser);
      await page.goto(`${guarded.url}?token=s3cret-token#/`);
      await waitReady(page);
      assert.ok(await page.locator('#study-table tbody tr').count() >= 2, 'the cookie carries the token to the API');
      await page.context().clearCookies();  // as if the server restarted with another token
      await page.evaluate((id) => { location.hash = `#/study/${id}`; }, ids[MULTI]);
      await page.waitForSelector('#error-banner:not([hidden])');
      assert.match(await page.locator('#error-banner').textContent(), /401.*\?token=/);
      await page.close();
    } finally {
      await guarded.stop();
    }
  });
});
