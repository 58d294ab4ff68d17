// Helpers for the dashboard's browser tests: start the real `autoglm dashboard` on a temporary
// SQLite file, drive Debian's Chromium (headless) through playwright-core, and collect console
// errors, page errors and dialogs (none may ever happen).
//
// Environment (set by ctest, see CMakeLists.txt): AUTOGLM_BIN, AUTOGLM_FIXTURES_BIN,
// AUTOGLM_ARTIFACTS (screenshot folder), AUTOGLM_WEB (web/, for playwright-core).
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the browser tests run under ctest: ctest -L browser)`);
  return value;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-extensions', '--no-first-run'];

export async function launchBrowser() {
  const { chromium } = await import(`${env('AUTOGLM_WEB')}/node_modules/playwright-core/index.mjs`);
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export function tempDir(prefix = 'autoglm-browser-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs the fixtures writer: `dashboard_fixtures URL [args...]`. */
export async function fixtures(storageUrl, ...args) {
  await execFileAsync(env('AUTOGLM_FIXTURES_BIN'), [storageUrl, ...args.map(String)], { timeout: 60_000 });
}

/**
 * Starts `autoglm dashboard` on a free port and resolves once it prints
 * `dashboard: serving http://HOST:PORT/`. Returns {url, stop(), output()}.
 */
export function startDashboard(storageUrl, extraArgs = []) {
  const args = ['dashboard', '--storage', storageUrl, '--host', '127.0.0.1', '--port', '0', ...extraArgs];
  const child = spawn(env('AUTOGLM_BIN'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`dashboard did not start within 15 s:\n${out}`)), 15_000);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk) => {
      out += chunk;
      const m = /dashboard: serving (http:\/\/[^\s]+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          output: () => out,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.on('exit', (code) => fail(new Error(`dashboard exited (${code}) before serving:\n${out}`)));
  });
}

/** GET a JSON API answer straight from the server (the numbers the page must show). */
export async function apiGet(baseUrl, apiPath) {
  const response = await fetch(new URL(apiPath, baseUrl));
  if (!response.ok) throw new Error(`${apiPath}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * A new page that records console errors, page errors and dialogs in `page.problems`.
 * A dialog (alert from injected HTML) is dismissed and recorded: tests assert none happened.
 */
export async function newPage(browser, { viewport = { width: 1400, height: 900 } } = {}) {
  // One context for the suite: plotly.js (4.8 MB, cached for a day) is fetched once.
  if (!browser.sharedContext) browser.sharedContext = await browser.newContext({ viewport });
  const page = await browser.sharedContext.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location() && msg.location().url ? msg.location().url : '';
    // Chromium asks every site for /favicon.ico; the dashboard serves no such route (404).
    if (/\/favicon\.ico$/.test(where)) return;
    page.problems.push(`console error: ${msg.text()} ${where}`);
  });
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    page.problems.push(`dialog (${dialog.type()}): ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return page;
}

export async function waitReady(page, timeout = 15_000) {
  await page.waitForSelector('body[data-ready="1"]', { timeout, state: 'attached' });
}

/** Scrolls a lazily drawn plot into view and waits until it has been drawn at least `min` times. */
export async function waitPlot(page, id, { min = 1, timeout = 15_000 } = {}) {
  const plot = page.locator(`#${id}`);
  await plot.evaluate((node) => node.closest('section').scrollIntoView({ block: 'start' }));
  await page.waitForFunction(([sel, n]) => {
    const node = document.getElementById(sel);
    return node && Number(node.dataset.rendered || 0) >= n;
  }, [id, min], { timeout });
  return plotData(page, id);
}

/** The plotly traces of a plot container (name, type, point counts) or null when it shows a message. */
export function plotData(page, id) {
  return page.evaluate((sel) => {
    const node = document.getElementById(sel);
    if (!node || node.dataset.empty || !node.data) return null;
    return node.data.map((t) => ({
      name: t.name, type: t.type, meta: t.meta, mode: t.mode,
      x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null,
      dimensions: t.dimensions ? t.dimensions.map((d) => ({ label: d.label, n: d.values.length })) : null,
    }));
  }, id);
}

export function trace(traces, name) {
  return traces.find((t) => t.name === name);
}

/** Scrolls through the whole page so every lazy section draws, then saves a full-page screenshot. */
export async function screenshot(page, name) {
  const dir = env('AUTOGLM_ARTIFACTS');
  fs.mkdirSync(dir, { recursive: true });
  const sections = await page.locator('section[data-section]').count();
  for (let i = 0; i < sections; i++)
    await page.locator('section[data-section]').nth(i).scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll('.plot')].every((p) => p.dataset.rendered),
    null, { timeout: 15_000 }).catch(() => {});
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Rows of #trial-table's body (excluding the "No trials match." row). */
export function tableNumbers(page) {
  return page.$$eval('#trial-table tbody tr[data-number]', (rows) => rows.map((r) => Number(r.dataset.number)));
}

/** Waits until the trial table shows `total` in #trial-count and `rows` rows. */
export async function waitTable(page, total, rows) {
  await page.waitForFunction(([t, r]) => {
    const count = document.getElementById('trial-count');
    return count && count.textContent === String(t) &&
      document.querySelectorAll('#trial-table tbody tr[data-number]').length === r;
  }, [total, rows], { timeout: 10_000 });
}

export function assertNoProblems(assert, page) {
  assert.deepEqual(page.problems, [], 'no console errors, page errors or dialogs');
}

export { execFileAsync };
