// First meaningful paint of the dashboard's study page in headless Chromium (bench/dashboard.sh):
// navigation start -> the history plot drawn (the app's performance mark
// "autoglm:history-drawn", set right after Plotly drew #plot-history), over cold page loads (a
// fresh browser context each time: empty HTTP cache, plotly.js parsed again).
//
// Usage: node bench/dashboard.mjs URL STUDY_ID [RUNS]
// Prints one JSON line: {"runs": [ms...], "median_ms", "dom_content_loaded_ms": [...],
//                        "history_points": N}
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [url, studyId, runsArg] = process.argv.slice(2);
if (!url || !studyId) {
  console.error('usage: node bench/dashboard.mjs URL STUDY_ID [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 5);
const web = process.env.AUTOGLM_WEB || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');
const { chromium } = await import(`${web}/node_modules/playwright-core/index.mjs`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-background-networking', '--disable-extensions', '--no-first-run'],
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const paints = [];
const domReady = [];
let points = 0;
try {
  for (let i = 0; i < runs; i++) {
    // ACCEPT_ENCODING (e.g. "identity") replaces the browser's Accept-Encoding: a diagnostic for
    // servers that compress large assets on every request.
    const headers = process.env.ACCEPT_ENCODING ? { 'Accept-Encoding': process.env.ACCEPT_ENCODING } : undefined;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: headers });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}#/study/${studyId}`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached', timeout: 30_000 });
    const timing = await page.evaluate(() => {
      const mark = performance.getEntriesByName('autoglm:history-drawn')[0];
      const nav = performance.getEntriesByType('navigation')[0];
      const plot = document.getElementById('plot-history');
      return { paint: mark.startTime, dcl: nav.domContentLoadedEventEnd, points: plot.data ? plot.data[0].x.length : 0 };
    });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    paints.push(Math.round(timing.paint));
    domReady.push(Math.round(timing.dcl));
    points = timing.points;
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ runs: paints, median_ms: median(paints), dom_content_loaded_ms: domReady, history_points: points }));
