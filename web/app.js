/*
 * Open-AutoGLM dashboard front end: vanilla ES2020, no build step, plotly.js as the global
 * `Plotly`. Served by `autoglm dashboard` (JSON API, docs/dashboard.md) or inlined into the
 * one-file report of `autoglm report` (report mode: answers baked into #autoglm-data).
 *
 * Safety: study data (names, params, attrs) may hold any text, HTML included. It reaches the
 * DOM only through textContent / createElement, and plotly only after esc() (plotly renders a
 * subset of HTML in labels and hover text).
 *
 * Test hooks (tests/e2e/browser and bench/dashboard.mjs rely on these; keep them stable):
 *   body[data-mode]           "server" | "report"
 *   body[data-view]           "list" | "study" | "trial" (set when a route starts rendering)
 *   body[data-ready="1"]      the view's first content is drawn (study page: the history plot);
 *                             removed on each route change
 *   body[data-refreshes]      number of live refreshes applied so far (increments after each)
 *   body[data-missing]        report mode: the API paths asked for but not baked in (space-separated)
 *   performance mark          "autoglm:history-drawn" when the history plot is first drawn
 *   #error-banner             one-line error (hidden when there is none)
 *   #study-table              study list; tbody tr[data-study-id]
 *   #study-header, #objective-select (multi-objective studies only)
 *   plot containers, each div.plot with data-rendered="N" (N = draws so far) and
 *   data-empty="1" while it shows a message instead of a plot:
 *     #plot-history         traces "Objective value", "Best so far", ["Pruned"], ["Failed"]
 *     #plot-intermediate    one trace per trial (meta "curve"), then "Pruned at step" (x markers)
 *     #plot-parcoords       one parcoords trace: params (sorted by name) + the objective
 *     #plot-slice           one trace per param
 *     #plot-contour         ["Contour"] + "Trials"; selects #contour-x, #contour-y
 *     #plot-importance      one bar trace; select #importance-evaluator (server mode)
 *     #plot-interactions    one heatmap trace
 *     #plot-pareto          "Pareto front", "Dominated"; selects #pareto-x, #pareto-y
 *     #plot-pareto3d        (>= 3 objectives) "Pareto front", "Dominated"
 *     #plot-hypervolume     "Hypervolume"
 *     #plot-timeline        one bar trace per state, one bar per trial with a start
 *     #plot-trial-intermediate (trial page)
 *   Below-the-fold sections render when scrolled into view: section[data-section=KEY].
 *   #trial-table              thead th[data-sort=KEY] (click to sort), tbody tr[data-number]
 *   #trial-filter             text filter; #state-filter: checkboxes input[value=STATE]
 *   #trial-count              total rows after filtering (number as text)
 *   #trial-prev, #trial-next  paging
 *   trial page: #trial-values #trial-params #trial-user-attrs #trial-system-attrs #trial-log
 */
(() => {
  'use strict';

  const STATES = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];
  const STATE_COLORS = {
    COMPLETE: '#2f6fdf', PRUNED: '#e08a1e', FAIL: '#d63a3a', RUNNING: '#1f9d55', WAITING: '#8a94a6',
  };
  const BEST_COLOR = '#d6336c';
  const PLOT_CONFIG = { responsive: true, displaylogo: false };
  const VERSION_POLL_MS = 1000;
  const LIST_POLL_MS = 2000;
  const TABLE_PAGE = 50;
  const REPORT_TRIALS_PATH_LIMIT = 1000;

  // ---------------------------------------------------------------------------------------------
  // Data access: one api(path) for the server and for the report.

  const report = readReport();
  document.body.dataset.mode = report ? 'report' : 'server';
  document.body.dataset.refreshes = '0';

  function readReport() {
    const node = document.getElementById('autoglm-data');
    if (!node) return null;
    const data = JSON.parse(node.textContent);
    return data && data.mode === 'report' ? data : null;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // app.js runs before plotly.js is parsed (index.html loads it first): the first view's data is
  // requested right away and renders once the document (plotly included) is ready.
  const prefetched = new Map();

  function prefetch(route) {
    if (report || route.view === 'list') return;
    const wanted = [paths.study(route.id)];
    if (route.view === 'study') wanted.push(paths.history(route.id, 0));
    else wanted.push(paths.trial(route.id, route.number));
    for (const path of wanted) {
      const promise = fetchJson(path);
      promise.catch(() => {});
      prefetched.set(path, promise);
    }
  }

  /** GET a canonical API path; resolves to the parsed JSON answer or throws ApiError. */
  async function api(path, signal) {
    if (prefetched.has(path)) {
      const promise = prefetched.get(path);
      prefetched.delete(path);
      return promise;
    }
    return fetchJson(path, signal);
  }

  async function fetchJson(path, signal) {
    if (report) {
      if (!Object.prototype.hasOwnProperty.call(report.responses, path)) {
        const missing = new Set((document.body.dataset.missing || '').split(' ').filter(Boolean)).add(path);
        document.body.dataset.missing = [...missing].join(' ');
        throw new ApiError(0, `not included in this report (${path})`);
      }
      return report.responses[path];
    }
    let response;
    try {
      response = await fetch(path, { credentials: 'same-origin', cache: 'no-store', signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, `cannot reach the dashboard server (${e.message})`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      if (response.ok) throw new ApiError(response.status, `bad JSON from ${path}`);
    }
    if (!response.ok) {
      const message = body && body.error ? body.error : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return body;
  }

  /** Canonical path: query parameters in contract order, those equal to their default omitted. */
  function apiPath(base, params = []) {
    const query = params
      .filter(([, value, fallback]) => value !== undefined && value !== null && value !== fallback)
      .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
    return query.length ? `${base}?${query.join('&')}` : base;
  }

  const paths = {
    studies: () => '/api/studies',
    study: (id) => `/api/studies/${id}`,
    version: (id) => `/api/studies/${id}/version`,
    history: (id, k) => apiPath(`/api/studies/${id}/history`, [['objective', k, 0]]),
    intermediate: (id) => `/api/studies/${id}/intermediate`,
    params: (id, k) => apiPath(`/api/studies/${id}/params`, [['objective', k, 0]]),
    importance: (id, evaluator, k) => apiPath(`/api/studies/${id}/importance`,
      [['evaluator', evaluator, 'fanova'], ['objective', k, 0], ['interactions', 1, null]]),
    pareto: (id) => `/api/studies/${id}/pareto`,
    timeline: (id) => `/api/studies/${id}/timeline`,
    trials: (id, o) => apiPath(`/api/studies/${id}/trials`, [['offset', o.offset, 0], ['limit', o.limit, 50],
      ['sort', o.sort, 'number'], ['order', o.order, 'asc'], ['state', o.state, ''], ['q', o.q, '']]),
    reportTrials: (id) => `/api/studies/${id}/trials?limit=${REPORT_TRIALS_PATH_LIMIT}`,
    trial: (id, n) => `/api/studies/${id}/trials/${n}`,
  };

  // ---------------------------------------------------------------------------------------------
  // DOM and formatting helpers.

  /** createElement with attributes/properties and children (strings become text nodes). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value === true ? '' : value);
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** Escapes text for plotly labels and hover text (it renders a subset of HTML). */
  function esc(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  function fmtNum(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e7)) return v.toExponential(3);
    return String(Number(v.toPrecision(6)));
  }

  function fmtValue(v) {
    if (typeof v === 'number') return fmtNum(v);
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return '—';
    return JSON.stringify(v);
  }

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }

  /** Local time as plotly's date format ("YYYY-MM-DD HH:MM:SS.mmm"), like the tables show. */
  function localIso(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:` +
      `${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
  }

  function fmtAgo(iso) {
    if (!iso) return '';
    const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
    if (!(seconds >= 0)) return '';
    if (seconds < 90) return `${Math.round(seconds)} s ago`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} d ago`;
  }

  function timeCell(iso) {
    return el('td', { class: 'time', title: iso || '' }, fmtTime(iso));
  }

  function stateChip(state, count) {
    return el('span', { class: `chip state-${state}`, title: state },
      count === undefined ? state : `${count} ${state.toLowerCase()}`);
  }

  function objectiveLabel(study, k) {
    // `autoglm tune` keeps the names in the study *user* attr objective_names; the API reads the
    // system attr of that name: take either.
    const fromUser = study.user_attrs && Array.isArray(study.user_attrs.objective_names) ? study.user_attrs.objective_names : null;
    const names = study.objective_names || fromUser;
    if (names && names[k] !== undefined && names[k] !== null) return String(names[k]);
    return study.directions.length > 1 ? `objective ${k}` : 'value';
  }

  function directionArrow(direction) {
    return direction === 'maximize' ? '↑' : '↓';
  }

  function distributionText(d) {
    if (!d) return '';
    if (d.type === 'categorical') return `categorical {${d.choices.map(fmtValue).join(', ')}}`;
    let text = `${d.type} [${fmtNum(d.low)}, ${fmtNum(d.high)}]`;
    if (d.log) text += ' log';
    if (d.step !== null && d.step !== undefined && !(d.type === 'int' && d.step === 1)) text += ` step ${fmtNum(d.step)}`;
    return text;
  }

  /** A <table> of key/value rows (values rendered as text). */
  function kvTable(id, rows, emptyText = 'none') {
    if (!rows.length) return el('p', { id, class: 'muted' }, emptyText);
    return el('table', { id, class: 'kv' }, el('tbody', {},
      rows.map(([key, value, extra]) => el('tr', {}, el('th', {}, key), el('td', {}, fmtValue(value)),
        extra === undefined ? null : el('td', { class: 'muted' }, extra)))));
  }

  // ---------------------------------------------------------------------------------------------
  // Banner, live indicator, body hooks.

  const banner = document.getElementById('error-banner');
  const liveIndicator = document.getElementById('live-indicator');

  function showError(error) {
    banner.textContent = errorText(error);
    banner.hidden = false;
  }

  function clearError() {
    banner.hidden = true;
    banner.textContent = '';
  }

  function errorText(error) {
    if (error instanceof ApiError && error.status === 401)
      return 'Unauthorized (401): this dashboard needs its access token. Open it once as ' +
        `${location.origin}/?token=YOUR_TOKEN (the server then sets a cookie).`;
    if (error instanceof ApiError && error.status) return `Error ${error.status}: ${error.message}`;
    return `Error: ${error && error.message ? error.message : error}`;
  }

  function setLive(text, cls) {
    liveIndicator.hidden = !text;
    liveIndicator.textContent = text || '';
    liveIndicator.className = `live ${cls || ''}`;
  }

  function markReady() {
    document.body.dataset.ready = '1';
  }

  function countRefresh() {
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  }

  function setCrumbs(...items) {
    const nav = clear(document.getElementById('crumbs'));
    items.forEach((item, i) => {
      if (i) nav.appendChild(el('span', { class: 'sep' }, '›'));
      nav.appendChild(item.href ? el('a', { href: item.href }, item.text) : el('span', {}, item.text));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Plot helpers.

  function baseLayout(extra = {}) {
    return Object.assign({
      margin: { l: 64, r: 24, t: 16, b: 48 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: '#ffffff',
      font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12, color: '#243042' },
      hovermode: 'closest',
      legend: { orientation: 'h', y: 1.02, yanchor: 'bottom', x: 0 },
    }, extra);
  }

  function axis(title, extra = {}) {
    return Object.assign({ title: { text: esc(title) }, zeroline: false, gridcolor: '#e8ecf2', automargin: true }, extra);
  }

  /** Draws (or redraws in place) a plot and bumps its data-rendered counter. */
  async function drawPlot(container, traces, layout) {
    const note = container.previousElementSibling;
    if (note && note.classList.contains('plot-note')) note.hidden = true;
    container.hidden = false;
    delete container.dataset.empty;
    await Plotly.react(container, traces, layout, PLOT_CONFIG);
    container.dataset.rendered = String(Number(container.dataset.rendered || 0) + 1);
  }

  /** Shows a message instead of a plot (no data yet, not enough data, error). */
  function plotMessage(container, message) {
    if (container.classList.contains('js-plotly-plot')) Plotly.purge(container);
    container.hidden = true;
    container.dataset.empty = '1';
    let note = container.previousElementSibling;
    if (!note || !note.classList.contains('plot-note')) {
      note = el('p', { class: 'plot-note muted' });
      container.parentNode.insertBefore(note, container);
    }
    note.textContent = message;
    note.hidden = false;
    container.dataset.rendered = String(Number(container.dataset.rendered || 0) + 1);
  }

  function plotDiv(id, cls = '') {
    return el('div', { id, class: `plot ${cls}` });
  }

  function purgePlots(root) {
    root.querySelectorAll('.js-plotly-plot').forEach((node) => Plotly.purge(node));
  }

  /** Navigates to a trial page when a point carrying its number in customdata is clicked. */
  function linkPointsToTrials(container, studyId) {
    if (container.dataset.linked) return;
    container.dataset.linked = '1';
    container.on('plotly_click', (event) => {
      const point = event.points && event.points[0];
      const number = point && point.customdata;
      if (Number.isInteger(number)) location.hash = `#/study/${studyId}/trial/${number}`;
    });
  }

  /** Numeric coordinate of a parameter value for plotting (categorical: index of the choice). */
  function paramAxis(param) {
    const d = param.distribution || {};
    if (d.type === 'categorical') {
      const labels = d.choices.map((c) => esc(fmtValue(c)));
      return {
        categorical: true,
        coord: (v) => { const i = d.choices.findIndex((c) => c === v); return i < 0 ? null : i; },
        axis: { type: 'linear', tickvals: labels.map((_, i) => i), ticktext: labels, range: [-0.5, labels.length - 0.5] },
        labels,
      };
    }
    return {
      categorical: false,
      log: !!d.log,
      coord: (v) => (typeof v === 'number' ? v : null),
      axis: { type: d.log ? 'log' : 'linear' },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Router.

  let current = null;  // {stop()} of the view on screen

  function parseRoute(hash) {
    const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    if (parts[0] === 'study' && /^\d+$/.test(parts[1] || '')) {
      if (parts[2] === 'trial' && /^\d+$/.test(parts[3] || ''))
        return { view: 'trial', id: Number(parts[1]), number: Number(parts[3]) };
      return { view: 'study', id: Number(parts[1]) };
    }
    if (parts.length) return { view: 'notfound', hash };
    return { view: 'list' };
  }

  async function renderNotFound(app, route) {
    setCrumbs({ text: 'Studies', href: '#/' });
    append(app, [el('section', { class: 'card' }, el('h1', {}, 'No such page'),
      el('p', { class: 'muted' }, `Nothing lives at ${route.hash}. `, el('a', { href: '#/' }, 'See the studies.')))]);
    markReady();
  }

  function navigate() {
    let route = parseRoute(location.hash);
    if (report && (route.view === 'list' || route.view === 'notfound' || route.id !== report.study_id)) {
      route = { view: 'study', id: report.study_id };
      history.replaceState(null, '', `#/study/${report.study_id}`);
    }
    if (current) current.stop();
    const app = document.getElementById('app');
    purgePlots(app);
    clear(app);
    clearError();
    delete document.body.dataset.ready;
    document.body.dataset.view = route.view;
    setCrumbs({ text: 'Studies', href: '#/' });  // until the view knows more (no stale names on errors)
    window.scrollTo(0, 0);
    const view = { controller: new AbortController(), timers: new Set() };
    view.signal = view.controller.signal;
    view.stop = () => {
      view.controller.abort();
      view.timers.forEach((t) => clearTimeout(t));
      if (view.observer) view.observer.disconnect();
    };
    current = view;
    const render = { list: renderList, study: renderStudy, trial: renderTrial, notfound: renderNotFound }[route.view];
    render(app, route, view).catch((error) => {
      if (error && error.name === 'AbortError') return;
      showError(error);
      if (!app.firstChild) app.appendChild(el('p', { class: 'muted' }, 'Nothing to show.'));
    });
  }

  /** Calls fn every `ms` (after each run finishes) until the view stops; errors go to the banner. */
  function poll(view, ms, fn) {
    const tick = async () => {
      if (view.signal.aborted) return;
      if (!document.hidden) {
        try {
          await fn();
          if (view.pollFailed) clearError();
          view.pollFailed = false;
          setLive('● live', 'ok');
        } catch (error) {
          if (error && error.name === 'AbortError') return;
          view.pollFailed = true;
          showError(error);
          if (error instanceof ApiError && error.status === 404) {  // deleted: nothing left to watch
            setLive('gone', 'bad');
            return;
          }
          setLive('reconnecting…', 'bad');
        }
      }
      if (!view.signal.aborted) view.timers.add(setTimeout(tick, ms));
    };
    view.timers.add(setTimeout(tick, ms));
  }

  // ---------------------------------------------------------------------------------------------
  // Study list (#/).

  async function renderList(app, route, view) {
    setCrumbs({ text: 'Studies' });
    document.title = 'Studies · Open-AutoGLM';
    setLive(report ? 'report' : '● live', report ? '' : 'ok');
    const data = await api(paths.studies(), view.signal);
    const tbody = el('tbody');
    const table = el('table', { id: 'study-table', class: 'data' },
      el('thead', {}, el('tr', {},
        el('th', {}, 'Name'), el('th', {}, 'Directions'), el('th', { class: 'num' }, 'Trials'),
        STATES.map((s) => el('th', { class: `num state-head state-${s}`, title: s }, s.toLowerCase())),
        el('th', {}, 'Best'), el('th', {}, 'Started'), el('th', {}, 'Last update'))),
      tbody);
    const empty = el('p', { class: 'muted empty', hidden: true }, 'No studies in this storage yet.');
    append(app, [el('section', { class: 'card' }, el('h1', {}, 'Studies'), empty, el('div', { class: 'table-wrap' }, table))]);
    let last = '';
    const fill = (studies) => {
      const key = JSON.stringify(studies);
      if (key === last) return false;
      last = key;
      clear(tbody);
      studies.forEach((s) => tbody.appendChild(studyRow(s)));
      empty.hidden = studies.length > 0;
      table.hidden = studies.length === 0;
      return true;
    };
    fill(data.studies);
    markReady();
    if (report) return;
    poll(view, LIST_POLL_MS, async () => {
      const next = await api(paths.studies(), view.signal);
      if (fill(next.studies)) countRefresh();
    });
  }

  function studyRow(s) {
    const href = `#/study/${s.id}`;
    const directions = s.directions.map((d, k) => `${objectiveLabel(s, k)} ${directionArrow(d)}`).join(', ');
    const best = s.directions.length > 1
      ? (s.n_pareto === null || s.n_pareto === undefined ? '—' : `Pareto front: ${s.n_pareto}`)
      : (s.best_values ? s.best_values.map(fmtNum).join(', ') : '—');
    const row = el('tr', { dataset: { studyId: String(s.id) }, class: 'clickable' },
      el('td', {}, el('a', { href }, s.name)),
      el('td', { title: s.directions.join(', ') }, directions),
      el('td', { class: 'num' }, String(s.n_trials)),
      STATES.map((state) => {
        const n = (s.states && s.states[state]) || 0;
        return el('td', { class: `num state-${state} ${n ? '' : 'zero'}` }, String(n));
      }),
      el('td', { class: 'num' }, best),
      timeCell(s.datetime_start),
      el('td', { class: 'time', title: s.last_update || '' }, fmtTime(s.last_update), el('span', { class: 'muted ago' }, ` ${fmtAgo(s.last_update)}`)));
    row.addEventListener('click', (event) => {
      if (event.target.closest('a')) return;
      location.hash = href;
    });
    return row;
  }

  // ---------------------------------------------------------------------------------------------
  // Study page (#/study/{id}).

  async function renderStudy(app, route, view) {
    const id = route.id;
    const objective = 0;
    const [study, history] = await Promise.all([
      api(paths.study(id), view.signal),
      api(paths.history(id, objective), view.signal).catch((e) => ({ error: e })),
    ]);
    const ctx = { id, study, objective, view, cache: new Map(), sections: [], version: study.version };
    document.title = `${study.name} · Open-AutoGLM`;
    setCrumbs(...(report ? [] : [{ text: 'Studies', href: '#/' }]), { text: study.name });
    setLive(report ? 'report (static)' : '● live', report ? '' : 'ok');

    ctx.header = el('section', { id: 'study-header', class: 'card' });
    app.appendChild(ctx.header);
    renderHeader(ctx);
    ctx.sections = studySections(ctx);
    app.appendChild(sectionNav(ctx.sections));
    ctx.sections.forEach((s) => app.appendChild(s.el));

    if (!history.error) ctx.cache.set(paths.history(id, objective), history);  // else the section shows it
    await ctx.sections[0].refresh();
    performance.mark('autoglm:history-drawn');
    markReady();
    observeSections(ctx);
    if (!report) pollStudy(ctx);
  }

  /** Fetches through the per-version cache (sections sharing one answer fetch it once). */
  function cached(ctx, path) {
    if (!ctx.cache.has(path)) {
      const promise = api(path, ctx.view.signal);
      ctx.cache.set(path, promise);
      promise.catch(() => ctx.cache.delete(path));
    }
    return Promise.resolve(ctx.cache.get(path));
  }

  function isMulti(study) {
    return study.directions.length > 1;
  }

  function renderHeader(ctx) {
    const s = ctx.study;
    const header = clear(ctx.header);
    const directions = s.directions.map((d, k) => el('span', { class: 'chip dir' },
      `${objectiveLabel(s, k)} ${directionArrow(d)} ${d}`));
    const states = STATES.filter((state) => s.states && s.states[state])
      .map((state) => stateChip(state, s.states[state]));
    append(header, [
      el('h1', { class: 'study-name' }, s.name),
      el('div', { class: 'chips' }, directions, el('span', { class: 'chip' }, `${s.n_trials} trials`), states),
      el('dl', { class: 'summary' },
        summaryItem('Best', bestSummary(ctx)),
        summaryItem('Started', fmtTime(s.datetime_start)),
        summaryItem('Last update', `${fmtTime(s.last_update)} ${fmtAgo(s.last_update)}`),
        Object.entries(s.user_attrs || {}).map(([k, v]) => summaryItem(k, fmtValue(v)))),
      objectiveSelect(ctx),
    ]);
  }

  function summaryItem(key, value) {
    return el('div', { class: 'summary-item' }, el('dt', {}, key), el('dd', {}, value));
  }

  function bestSummary(ctx) {
    const s = ctx.study;
    if (isMulti(s)) return s.n_pareto ? `${s.n_pareto} trials on the Pareto front` : '—';
    const best = s.best_trial;
    if (!best) return '—';
    const params = Object.entries(best.params || {}).map(([k, v]) => `${k}=${fmtValue(v)}`).join(', ');
    return el('span', {}, el('a', { href: `#/study/${ctx.id}/trial/${best.number}` }, `trial #${best.number}`),
      ` · ${(best.values || []).map(fmtNum).join(', ')}`, params ? el('span', { class: 'muted' }, ` · ${params}`) : null);
  }

  function objectiveSelect(ctx) {
    const s = ctx.study;
    if (!isMulti(s)) return null;
    const select = el('select', { id: 'objective-select' },
      s.directions.map((d, k) => el('option', { value: String(k), selected: k === ctx.objective },
        `${objectiveLabel(s, k)} (${d})`)));
    select.addEventListener('change', () => {
      ctx.objective = Number(select.value);
      ctx.sections.filter((sec) => sec.perObjective && sec.drawn).forEach((sec) => sec.refresh().catch(showError));
      ctx.sections.filter((sec) => sec.perObjective && !sec.drawn).forEach((sec) => { sec.stale = true; });
    });
    return el('label', { class: 'toolbar' }, 'Objective for history, parameter plots and importance: ', select);
  }

  /** The study page's sections, in page order; the first (history) is drawn eagerly. */
  function studySections(ctx) {
    const s = ctx.study;
    const multi = isMulti(s);
    const list = [historySection(ctx)];
    if (s.intermediate) list.push(intermediateSection(ctx));
    if (multi) list.push(paretoSection(ctx));
    list.push(importanceSection(ctx), parcoordsSection(ctx), sliceSection(ctx), contourSection(ctx),
      timelineSection(ctx), trialTableSection(ctx));
    return list;
  }

  /**
   * A card of the study page. `draw` fetches and draws; the section is drawn when it first comes
   * into view and redrawn on live refreshes once drawn.
   */
  function makeSection({ key, title, controls = null, body, draw, perObjective = false }) {
    const busy = el('span', { class: 'busy muted', hidden: true }, 'loading…');
    const section = {
      key, perObjective, drawn: false, stale: false, running: null,
      el: el('section', { class: 'card', id: `sec-${key}`, dataset: { section: key } },
        el('div', { class: 'card-head' }, el('h2', {}, title, busy), controls), body),
    };
    section.title = title;
    section.refresh = async () => {
      if (section.running) {  // coalesce: one redraw after the one in flight
        section.again = true;
        return section.running;
      }
      section.running = (async () => {
        const slow = setTimeout(() => { busy.hidden = false; }, 300);  // only say so when it is slow
        do {
          section.again = false;
          try {
            await draw();
          } catch (error) {
            if (error && error.name === 'AbortError') return;
            section.el.querySelectorAll('.plot').forEach((p) => plotMessage(p, errorText(error)));
            if (!(error instanceof ApiError && error.status === 0 && report)) showError(error);
          }
        } while (section.again);
        clearTimeout(slow);
        busy.hidden = true;
        section.drawn = true;
        section.stale = false;
      })();
      try {
        await section.running;
      } finally {
        section.running = null;
      }
    };
    return section;
  }

  function sectionNav(sections) {
    return el('nav', { class: 'section-nav' }, sections.map((s) => el('button', {
      type: 'button', onclick: () => s.el.scrollIntoView({ behavior: 'smooth', block: 'start' }),
    }, s.title)));
  }

  function observeSections(ctx) {
    const pending = ctx.sections.filter((s) => !s.drawn);
    if (!('IntersectionObserver' in window)) {
      pending.forEach((s) => s.refresh());
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      entries.filter((e) => e.isIntersecting).forEach((entry) => {
        const section = ctx.sections.find((s) => s.el === entry.target);
        if (section && (!section.drawn || section.stale) && !section.running) section.refresh();
      });
    }, { rootMargin: '200px 0px' });
    pending.forEach((s) => observer.observe(s.el));
    ctx.view.observer = observer;
  }

  function pollStudy(ctx) {
    poll(ctx.view, VERSION_POLL_MS, async () => {
      const v = await api(paths.version(ctx.id), ctx.view.signal);
      if (v.version === ctx.version) return;
      await refreshStudy(ctx);
      ctx.version = v.version;
      countRefresh();
    });
  }

  /** Live refresh: new summary, then every drawn section in page order (history first). */
  async function refreshStudy(ctx) {
    ctx.cache = new Map();
    const study = await api(paths.study(ctx.id), ctx.view.signal);
    const hadIntermediate = ctx.study.intermediate;
    ctx.study = study;
    renderHeader(ctx);
    if (!hadIntermediate && study.intermediate) {
      const section = intermediateSection(ctx);
      ctx.sections[0].el.after(section.el);
      ctx.sections.splice(1, 0, section);
      if (ctx.view.observer) ctx.view.observer.observe(section.el);
    }
    for (const section of ctx.sections) {
      if (section.drawn) await section.refresh();
      else section.stale = true;
    }
  }

  // --- Optimization history ---------------------------------------------------------------------

  function historySection(ctx) {
    const plot = plotDiv('plot-history', 'tall');
    const logY = el('input', { type: 'checkbox', id: 'history-log' });
    logY.addEventListener('change', () => {
      if (plot.classList.contains('js-plotly-plot')) Plotly.relayout(plot, { 'yaxis.type': logY.checked ? 'log' : 'linear' });
    });
    return makeSection({
      key: 'history', title: 'Optimization history', perObjective: true,
      controls: el('label', { class: 'control' }, logY, ' log scale'),
      body: plot,
      draw: async () => {
        const h = await cached(ctx, paths.history(ctx.id, ctx.objective));
        await drawHistory(plot, ctx, h, logY.checked);
      },
    });
  }

  async function drawHistory(plot, ctx, h, logY) {
    if (!h.n_complete && !(h.pruned && h.pruned.numbers.length)) {
      plotMessage(plot, ctx.study.n_trials ? 'No COMPLETE trials yet.' : 'This study has no trials yet.');
      return;
    }
    const label = objectiveLabel(ctx.study, ctx.objective);
    const lastNumber = Math.max(...h.numbers, ...(h.pruned ? h.pruned.numbers : []), 0);
    const traces = [{
      type: h.numbers.length > 8000 ? 'scattergl' : 'scatter', mode: 'markers', name: 'Objective value',
      x: h.numbers, y: h.values, customdata: h.numbers,
      marker: { color: STATE_COLORS.COMPLETE, size: 6, opacity: 0.75 },
      hovertemplate: `trial #%{x}<br>${esc(label)} = %{y}<extra></extra>`,
    }, {
      type: 'scatter', mode: 'lines', name: 'Best so far',
      x: h.best.numbers.length ? [...h.best.numbers, lastNumber] : [],
      y: h.best.values.length ? [...h.best.values, h.best.values[h.best.values.length - 1]] : [],
      line: { shape: 'hv', color: BEST_COLOR, width: 2 },
      hovertemplate: `best after trial #%{x}: %{y}<extra></extra>`,
    }];
    if (h.pruned && h.pruned.numbers.length) {
      traces.push({
        type: 'scatter', mode: 'markers', name: 'Pruned', x: h.pruned.numbers, y: h.pruned.values,
        customdata: h.pruned.numbers,
        marker: { color: STATE_COLORS.PRUNED, symbol: 'x', size: 7, opacity: 0.8 },
        hovertemplate: 'trial #%{x} pruned<br>last intermediate value %{y}<extra></extra>',
      });
    }
    if (h.failed_numbers && h.failed_numbers.length) {
      traces.push({
        type: 'scatter', mode: 'markers', name: 'Failed', x: h.failed_numbers, y: h.failed_numbers.map(() => 0.03),
        yaxis: 'y2', customdata: h.failed_numbers,
        marker: { color: STATE_COLORS.FAIL, symbol: 'triangle-up', size: 8 },
        hovertemplate: 'trial #%{x} failed<extra></extra>',
      });
    }
    const thinned = h.numbers.length < h.n_complete ? ` (${h.numbers.length} of ${h.n_complete} shown)` : '';
    await drawPlot(plot, traces, baseLayout({
      xaxis: axis(`Trial${thinned}`),
      yaxis: axis(`${label} ${directionArrow(h.direction)}`, { type: logY ? 'log' : 'linear' }),
      yaxis2: { overlaying: 'y', range: [0, 1], visible: false, fixedrange: true },
    }));
    linkPointsToTrials(plot, ctx.id);
  }

  // --- Intermediate values ----------------------------------------------------------------------

  function intermediateSection(ctx) {
    const plot = plotDiv('plot-intermediate', 'tall');
    const note = el('p', { class: 'muted small' });
    return makeSection({
      key: 'intermediate', title: 'Intermediate values', body: [note, plot],
      draw: async () => {
        const data = await cached(ctx, paths.intermediate(ctx.id));
        note.textContent = data.trials.length < data.n_total
          ? `${data.trials.length} of ${data.n_total} learning curves (best COMPLETE, all RUNNING, recent PRUNED)` : '';
        await drawIntermediate(plot, ctx, data);
      },
    });
  }

  async function drawIntermediate(plot, ctx, data) {
    if (!data.trials.length) {
      plotMessage(plot, 'No trial reported intermediate values yet.');
      return;
    }
    const seen = new Set();
    const traces = data.trials.map((t) => {
      const first = !seen.has(t.state);
      seen.add(t.state);
      return {
        type: 'scatter', mode: 'lines', name: `#${t.number}`, meta: 'curve', legendgroup: t.state,
        showlegend: first, legendgrouptitle: undefined,
        x: t.steps, y: t.values, customdata: t.steps.map(() => t.number),
        line: { color: STATE_COLORS[t.state] || '#888', width: 1.4 }, opacity: t.state === 'COMPLETE' ? 0.55 : 0.8,
        hovertemplate: `trial #${t.number} (${t.state.toLowerCase()})<br>step %{x}: %{y}<extra></extra>`,
      };
    });
    // Name each legend entry after its state rather than the first trial of that state.
    traces.forEach((trace) => { if (trace.showlegend) trace.name = trace.legendgroup.toLowerCase(); });
    const pruned = data.trials.filter((t) => t.state === 'PRUNED' && t.pruned_step !== null && t.pruned_step !== undefined);
    traces.push({
      type: 'scatter', mode: 'markers', name: 'Pruned at step', x: pruned.map((t) => t.pruned_step),
      y: pruned.map((t) => { const i = t.steps.indexOf(t.pruned_step); return t.values[i < 0 ? t.values.length - 1 : i]; }),
      customdata: pruned.map((t) => t.number),
      marker: { symbol: 'x', size: 10, color: STATE_COLORS.PRUNED, line: { width: 1 } },
      hovertemplate: 'trial #%{customdata} pruned at step %{x}<extra></extra>',
    });
    await drawPlot(plot, traces, baseLayout({ xaxis: axis('Step'), yaxis: axis('Intermediate value') }));
    linkPointsToTrials(plot, ctx.id);
  }

  // --- Pareto front and hypervolume --------------------------------------------------------------

  function paretoSection(ctx) {
    const m = ctx.study.directions.length;
    const option = (k) => el('option', { value: String(k) }, objectiveLabel(ctx.study, k));
    const sx = el('select', { id: 'pareto-x' }, ctx.study.directions.map((_, k) => option(k)));
    const sy = el('select', { id: 'pareto-y' }, ctx.study.directions.map((_, k) => option(k)));
    sy.value = '1';
    const plot2d = plotDiv('plot-pareto', 'tall');
    const plot3d = m >= 3 ? plotDiv('plot-pareto3d', 'tall') : null;
    const hv = plotDiv('plot-hypervolume');
    const section = makeSection({
      key: 'pareto', title: 'Pareto front',
      controls: el('span', { class: 'control' }, 'x ', sx, ' y ', sy),
      body: [el('div', { class: 'plot-wrap' }, plot2d),
        plot3d ? el('div', { class: 'plot-wrap' }, el('h3', {}, '3-D (first three objectives)'), plot3d) : null,
        el('div', { class: 'plot-wrap' }, el('h3', {}, 'Hypervolume history'), hv)],
      draw: async () => {
        const data = await cached(ctx, paths.pareto(ctx.id));
        await drawPareto2d(plot2d, ctx, data, Number(sx.value), Number(sy.value));
        if (plot3d) await drawPareto3d(plot3d, ctx, data);
        await drawHypervolume(hv, data);
      },
    });
    const redraw2d = () => cached(ctx, paths.pareto(ctx.id))
      .then((data) => drawPareto2d(plot2d, ctx, data, Number(sx.value), Number(sy.value))).catch(showError);
    sx.addEventListener('change', redraw2d);
    sy.addEventListener('change', redraw2d);
    return section;
  }

  function paretoHover(ctx, keys) {
    return `trial #%{customdata}<br>${keys.map((k, i) => `${esc(objectiveLabel(ctx.study, k))} = %{${'xyz'[i]}}`).join('<br>')}<extra></extra>`;
  }

  async function drawPareto2d(plot, ctx, data, kx, ky) {
    if (!data.front.length) {
      plotMessage(plot, 'No COMPLETE trials yet.');
      return;
    }
    const front = [...data.front].sort((a, b) => a.values[kx] - b.values[kx]);
    const hover = paretoHover(ctx, [kx, ky]);
    const traces = [{
      type: 'scatter', mode: 'markers', name: 'Dominated', x: data.dominated.map((t) => t.values[kx]),
      y: data.dominated.map((t) => t.values[ky]), customdata: data.dominated.map((t) => t.number),
      marker: { color: '#b4bccb', size: 7 }, hovertemplate: hover,
    }, {
      type: 'scatter', mode: 'markers', name: 'Pareto front', x: front.map((t) => t.values[kx]),
      y: front.map((t) => t.values[ky]), customdata: front.map((t) => t.number),
      marker: { color: BEST_COLOR, size: 9, line: { color: '#fff', width: 1 } }, hovertemplate: hover,
    }];
    const dirs = data.directions;
    await drawPlot(plot, traces, baseLayout({
      xaxis: axis(`${objectiveLabel(ctx.study, kx)} ${directionArrow(dirs[kx])}`),
      yaxis: axis(`${objectiveLabel(ctx.study, ky)} ${directionArrow(dirs[ky])}`),
    }));
    linkPointsToTrials(plot, ctx.id);
  }

  async function drawPareto3d(plot, ctx, data) {
    const keys = [0, 1, 2];
    const trace = (name, points, marker) => ({
      type: 'scatter3d', mode: 'markers', name, customdata: points.map((t) => t.number),
      x: points.map((t) => t.values[0]), y: points.map((t) => t.values[1]), z: points.map((t) => t.values[2]),
      marker, hovertemplate: paretoHover(ctx, keys),
    });
    const title = (k) => ({ title: { text: esc(`${objectiveLabel(ctx.study, k)} ${directionArrow(data.directions[k])}`) } });
    await drawPlot(plot, [trace('Dominated', data.dominated, { color: '#b4bccb', size: 3 }),
      trace('Pareto front', data.front, { color: BEST_COLOR, size: 4 })],
    baseLayout({ margin: { l: 0, r: 0, t: 16, b: 0 }, scene: { xaxis: title(0), yaxis: title(1), zaxis: title(2) } }));
  }

  async function drawHypervolume(plot, data) {
    const h = data.hypervolume_history;
    if (!h || !h.numbers.length) {
      plotMessage(plot, 'No hypervolume yet.');
      return;
    }
    const ref = (data.reference_point || []).map(fmtNum).join(', ');
    await drawPlot(plot, [{
      type: 'scatter', mode: 'lines+markers', name: 'Hypervolume', x: h.numbers, y: h.values,
      line: { shape: 'hv', color: STATE_COLORS.COMPLETE }, marker: { size: 4 },
      hovertemplate: 'after trial #%{x}: %{y}<extra></extra>',
    }], baseLayout({ xaxis: axis('Trial'), yaxis: axis(`Hypervolume (reference point ${ref})`), showlegend: false }));
  }

  // --- Parameter importance and interactions ------------------------------------------------------

  function importanceSection(ctx) {
    const evaluator = el('select', { id: 'importance-evaluator', hidden: !!report },
      el('option', { value: 'fanova' }, 'fANOVA'), el('option', { value: 'ped_anova' }, 'PED-ANOVA'));
    const note = el('p', { class: 'muted small' });
    const bars = plotDiv('plot-importance');
    const heat = plotDiv('plot-interactions');
    const section = makeSection({
      key: 'importance', title: 'Parameter importance', perObjective: true,
      controls: el('span', { class: 'control' }, report ? 'fANOVA' : 'evaluator ', evaluator),
      body: [note, el('div', { class: 'grid2' },
        el('div', { class: 'plot-wrap' }, el('h3', {}, 'Importance'), bars),
        el('div', { class: 'plot-wrap' }, el('h3', {}, 'Interactions'), heat))],
      draw: async () => {
        const data = await cached(ctx, paths.importance(ctx.id, evaluator.value, ctx.objective));
        note.textContent = data.error ? '' : `${data.evaluator} on ${data.n_trials} trials, ` +
          `objective: ${objectiveLabel(ctx.study, data.objective)}`;
        await drawImportance(bars, data);
        await drawInteractions(heat, data);
      },
    });
    evaluator.addEventListener('change', () => section.refresh());
    return section;
  }

  async function drawImportance(plot, data) {
    if (data.error || !data.importances.length) {
      plotMessage(plot, data.error || 'No parameters.');
      return;
    }
    const rows = [...data.importances].reverse();
    await drawPlot(plot, [{
      type: 'bar', orientation: 'h', name: 'Importance', x: rows.map((r) => r.importance),
      y: rows.map((r) => esc(r.name)), marker: { color: STATE_COLORS.COMPLETE },
      text: rows.map((r) => `${(100 * r.importance).toFixed(1)}%`), textposition: 'auto',
      hovertemplate: '%{y}: %{x:.3f}<extra></extra>',
    }], baseLayout({
      height: Math.max(220, 60 + 28 * rows.length), showlegend: false,
      xaxis: axis('Importance', { range: [0, Math.max(...rows.map((r) => r.importance), 0.01) * 1.05] }),
      yaxis: { automargin: true, type: 'category' },
    }));
  }

  async function drawInteractions(plot, data) {
    const inter = data.interactions;
    if (data.error || !inter || !inter.params.length) {
      plotMessage(plot, data.error || 'Interaction effects are computed by the fANOVA evaluator only.');
      return;
    }
    const names = inter.params.map(esc);
    await drawPlot(plot, [{
      type: 'heatmap', name: 'Interactions', x: names, y: names, z: inter.matrix, colorscale: 'Blues', reversescale: true,
      hovertemplate: '%{x} × %{y}: %{z:.4f}<extra></extra>',
    }], baseLayout({
      height: Math.max(260, 80 + 34 * names.length),
      xaxis: { type: 'category', automargin: true }, yaxis: { type: 'category', automargin: true, autorange: 'reversed' },
    }));
  }

  // --- Parallel coordinates, slice and contour (all from /params) -------------------------------

  function paramsPath(ctx) {
    return paths.params(ctx.id, ctx.objective);
  }

  function parcoordsSection(ctx) {
    const plot = plotDiv('plot-parcoords', 'tall');
    const note = el('p', { class: 'muted small' });
    return makeSection({
      key: 'parcoords', title: 'Parallel coordinates', perObjective: true, body: [note, plot],
      draw: async () => drawParcoords(plot, note, ctx, await cached(ctx, paramsPath(ctx))),
    });
  }

  function parcoordsDimension(param, rows) {
    const d = param.distribution || {};
    const label = esc(param.name);
    if (d.type === 'categorical') {
      // parcoords writes tick text as plain text (no HTML, no entities): pass the choices as they are.
      const ax = paramAxis(param);
      return { label, values: rows.map((i) => ax.coord(param.values[i])), tickvals: ax.axis.tickvals,
        ticktext: d.choices.map(fmtValue), range: [0, Math.max(d.choices.length - 1, 1)] };
    }
    const values = rows.map((i) => param.values[i]);
    if (d.log && d.low > 0) {
      const lo = Math.floor(Math.log10(d.low));
      const hi = Math.ceil(Math.log10(d.high));
      const tickvals = [];
      for (let e = lo; e <= hi; e++) tickvals.push(e);
      return { label: `${label} (log)`, values: values.map((v) => Math.log10(v)), range: [Math.log10(d.low), Math.log10(d.high)],
        tickvals, ticktext: tickvals.map((e) => `1e${e}`) };
    }
    const range = d.low !== undefined && d.high !== undefined && d.high > d.low ? [d.low, d.high] : undefined;
    return { label, values, range };
  }

  async function drawParcoords(plot, note, ctx, data) {
    if (!data.values.length) {
      plotMessage(plot, 'No COMPLETE trials yet.');
      return;
    }
    // Trials lacking a shown parameter (conditional spaces) cannot be drawn as one line.
    const rows = data.values.map((_, i) => i).filter((i) => data.params.every((p) => p.values[i] !== null));
    const dropped = data.values.length - rows.length;
    const thinned = data.values.length < data.n_complete ? `${data.values.length} of ${data.n_complete} COMPLETE trials (best half + sample). ` : '';
    note.textContent = thinned + (dropped ? `${dropped} trials lack some parameter and are not drawn.` : '');
    const minimize = ctx.study.directions[ctx.objective] !== 'maximize';
    const label = objectiveLabel(ctx.study, ctx.objective);
    const objectiveValues = rows.map((i) => data.values[i]);
    const dimensions = data.params.map((p) => parcoordsDimension(p, rows));
    dimensions.push({ label: esc(label), values: objectiveValues });
    await drawPlot(plot, [{
      type: 'parcoords', dimensions,
      line: { color: objectiveValues, colorscale: 'Viridis', reversescale: minimize, showscale: true,
        colorbar: { title: { text: esc(label) }, x: 1.06 } },
      labelangle: dimensions.length > 8 ? -20 : 0,
    }], baseLayout({ margin: { l: 80, r: 110, t: 60, b: 30 } }));
  }

  function sliceSection(ctx) {
    const plot = plotDiv('plot-slice');
    return makeSection({
      key: 'slice', title: 'Slice plots', perObjective: true, body: plot,
      draw: async () => drawSlice(plot, ctx, await cached(ctx, paramsPath(ctx))),
    });
  }

  async function drawSlice(plot, ctx, data) {
    if (!data.values.length || !data.params.length) {
      plotMessage(plot, data.values.length ? 'No parameters.' : 'No COMPLETE trials yet.');
      return;
    }
    const p = data.params.length;
    const columns = Math.min(p, 3);
    const rowsN = Math.ceil(p / columns);
    const label = objectiveLabel(ctx.study, ctx.objective);
    const layout = baseLayout({
      grid: { rows: rowsN, columns, pattern: 'independent', xgap: 0.12, ygap: 0.28 },
      height: 90 + 250 * rowsN, showlegend: false, margin: { l: 64, r: 24, t: 16, b: 40 },
    });
    const traces = data.params.map((param, j) => {
      const suffix = j ? String(j + 1) : '';
      const ax = paramAxis(param);
      const idx = data.values.map((_, i) => i).filter((i) => param.values[i] !== null);
      layout[`xaxis${suffix}`] = axis(param.name, ax.axis);
      layout[`yaxis${suffix}`] = axis(j % columns === 0 ? label : '');
      return {
        type: 'scatter', mode: 'markers', name: esc(param.name), xaxis: `x${suffix}`, yaxis: `y${suffix}`,
        x: idx.map((i) => ax.coord(param.values[i])), y: idx.map((i) => data.values[i]),
        customdata: idx.map((i) => data.numbers[i]),
        text: idx.map((i) => esc(fmtValue(param.values[i]))),
        marker: { size: 6, color: idx.map((i) => data.numbers[i]), colorscale: 'Blues', opacity: 0.8,
          showscale: j === 0, colorbar: j === 0 ? { title: { text: 'Trial' }, thickness: 12 } : undefined },
        hovertemplate: `trial #%{customdata}<br>${esc(param.name)} = %{text}<br>${esc(label)} = %{y}<extra></extra>`,
      };
    });
    await drawPlot(plot, traces, layout);
    linkPointsToTrials(plot, ctx.id);
  }

  function contourSection(ctx) {
    const names = (ctx.study.params || []).map((p) => p.name);
    const option = (name) => el('option', { value: name }, name);
    const sx = el('select', { id: 'contour-x' }, names.map(option));
    const sy = el('select', { id: 'contour-y' }, names.map(option));
    if (names.length > 1) sy.value = names[1];
    const plot = plotDiv('plot-contour', 'tall');
    const section = makeSection({
      key: 'contour', title: 'Contour', perObjective: true,
      controls: el('span', { class: 'control' }, 'x ', sx, ' y ', sy),
      body: plot,
      draw: async () => drawContour(plot, ctx, await cached(ctx, paramsPath(ctx)), sx.value, sy.value),
    });
    sx.addEventListener('change', () => section.refresh());
    sy.addEventListener('change', () => section.refresh());
    return section;
  }

  /** Inverse-distance-weighted grid over the unit square (coordinates normalized per axis). */
  function idwGrid(xs, ys, zs, size) {
    const grid = [];
    for (let r = 0; r < size; r++) {
      const gy = r / (size - 1);
      const row = [];
      for (let c = 0; c < size; c++) {
        const gx = c / (size - 1);
        let num = 0;
        let den = 0;
        let exact = null;
        for (let i = 0; i < xs.length; i++) {
          const d2 = (xs[i] - gx) ** 2 + (ys[i] - gy) ** 2;
          if (d2 < 1e-12) { exact = zs[i]; break; }
          const w = 1 / (d2 * d2);
          num += w * zs[i];
          den += w;
        }
        row.push(exact !== null ? exact : num / den);
      }
      grid.push(row);
    }
    return grid;
  }

  /** Maps parameter values to [0, 1] (log-spaced for log params) and back to plot coordinates. */
  function normalizer(param, coords) {
    const d = param.distribution || {};
    const ax = paramAxis(param);
    const tf = ax.log && d.low > 0 ? Math.log10 : (v) => v;
    const inv = ax.log && d.low > 0 ? (v) => 10 ** v : (v) => v;
    let lo = Math.min(...coords.map(tf));
    let hi = Math.max(...coords.map(tf));
    if (d.type !== 'categorical' && d.low !== undefined && d.high > d.low) {
      lo = tf(d.low);
      hi = tf(d.high);
    }
    if (hi === lo) hi = lo + 1;
    return { ax, norm: (v) => (tf(v) - lo) / (hi - lo), denorm: (u) => inv(lo + u * (hi - lo)) };
  }

  async function drawContour(plot, ctx, data, nameX, nameY) {
    const px = data.params.find((p) => p.name === nameX);
    const py = data.params.find((p) => p.name === nameY);
    if (!px || !py || nameX === nameY) {
      plotMessage(plot, data.params.length < 2 ? 'The contour plot needs at least two parameters.' : 'Choose two different parameters.');
      return;
    }
    const ax = paramAxis(px);
    const ay = paramAxis(py);
    const idx = data.values.map((_, i) => i)
      .filter((i) => ax.coord(px.values[i]) !== null && ay.coord(py.values[i]) !== null && data.values[i] !== null);
    if (!idx.length) {
      plotMessage(plot, 'No COMPLETE trials with both parameters yet.');
      return;
    }
    const xs = idx.map((i) => ax.coord(px.values[i]));
    const ys = idx.map((i) => ay.coord(py.values[i]));
    const zs = idx.map((i) => data.values[i]);
    const label = objectiveLabel(ctx.study, ctx.objective);
    const minimize = ctx.study.directions[ctx.objective] !== 'maximize';
    const traces = [];
    const enough = idx.length >= 10 && new Set(xs).size >= 2 && new Set(ys).size >= 2;
    if (enough) {
      const size = 40;
      const nx = normalizer(px, xs);
      const ny = normalizer(py, ys);
      const z = idwGrid(xs.map(nx.norm), ys.map(ny.norm), zs, size);
      const steps = [...Array(size).keys()].map((k) => k / (size - 1));
      traces.push({
        type: 'contour', name: 'Contour', x: steps.map(nx.denorm), y: steps.map(ny.denorm), z,
        colorscale: 'Viridis', reversescale: minimize, contours: { coloring: 'heatmap' }, line: { width: 0.5 },
        colorbar: { title: { text: esc(label) } }, hovertemplate: `${esc(label)} ≈ %{z}<extra></extra>`,
      });
    }
    traces.push({
      type: 'scatter', mode: 'markers', name: 'Trials', x: xs, y: ys, customdata: idx.map((i) => data.numbers[i]),
      text: zs.map(fmtNum),
      marker: enough ? { color: '#1b1f27', size: 5, opacity: 0.7 }
        : { color: zs, colorscale: 'Viridis', reversescale: minimize, size: 10, showscale: true,
          colorbar: { title: { text: esc(label) } } },
      hovertemplate: `trial #%{customdata}<br>${esc(label)} = %{text}<extra></extra>`,
    });
    await drawPlot(plot, traces, baseLayout({ xaxis: axis(nameX, ax.axis), yaxis: axis(nameY, ay.axis), showlegend: false }));
    linkPointsToTrials(plot, ctx.id);
  }

  // --- Timeline ---------------------------------------------------------------------------------

  function timelineSection(ctx) {
    const plot = plotDiv('plot-timeline');
    const note = el('p', { class: 'muted small' });
    return makeSection({
      key: 'timeline', title: 'Timeline', body: [note, plot],
      draw: async () => {
        const data = await cached(ctx, paths.timeline(ctx.id));
        note.textContent = data.trials.length < data.n_total ? `Most recent ${data.trials.length} of ${data.n_total} trials.` : '';
        await drawTimeline(plot, ctx, data);
      },
    });
  }

  async function drawTimeline(plot, ctx, data) {
    const started = data.trials.filter((t) => t.datetime_start);
    if (!started.length) {
      plotMessage(plot, 'No trial has started yet.');
      return;
    }
    const lane = (t) => esc(t.worker || 'unknown worker');
    const now = Date.now();
    const traces = STATES.map((state) => {
      const ts = started.filter((t) => t.state === state);
      if (!ts.length) return null;
      return {
        type: 'bar', orientation: 'h', name: state.toLowerCase(), y: ts.map(lane),
        base: ts.map((t) => localIso(Date.parse(t.datetime_start))),
        x: ts.map((t) => {
          const end = t.datetime_complete ? Date.parse(t.datetime_complete) : (state === 'RUNNING' ? now : Date.parse(t.datetime_start));
          return Math.max(end - Date.parse(t.datetime_start), 1);
        }),
        customdata: ts.map((t) => t.number),
        marker: { color: STATE_COLORS[state] },
        text: ts.map((t) => `${fmtTime(t.datetime_start)}, ${t.datetime_complete
          ? fmtDuration((Date.parse(t.datetime_complete) - Date.parse(t.datetime_start)) / 1000) : 'running'}`),
        textposition: 'none',
        hovertemplate: `trial #%{customdata} (${state.toLowerCase()})<br>%{text}<br>%{y}<extra></extra>`,
      };
    }).filter(Boolean);
    const lanes = new Set(started.map(lane)).size;
    await drawPlot(plot, traces, baseLayout({
      barmode: 'overlay', height: Math.max(220, 90 + 34 * lanes), bargap: 0.25,
      xaxis: axis('Time', { type: 'date' }), yaxis: { type: 'category', automargin: true, title: { text: 'Worker' } },
    }));
    linkPointsToTrials(plot, ctx.id);
  }

  // --- Trial table ------------------------------------------------------------------------------

  function trialTableSection(ctx) {
    const t = {
      offset: 0, limit: TABLE_PAGE, sort: 'number', order: 'asc', states: new Set(STATES), q: '',
      filter: el('input', { id: 'trial-filter', type: 'search', placeholder: 'filter: number, state, name=value…', autocomplete: 'off' }),
      stateBoxes: el('fieldset', { id: 'state-filter', class: 'state-filter' }, el('legend', {}, 'States')),
      count: el('span', { id: 'trial-count' }, ''),
      pageLabel: el('span', { class: 'muted' }),
      prev: el('button', { id: 'trial-prev', type: 'button' }, '‹ prev'),
      next: el('button', { id: 'trial-next', type: 'button' }, 'next ›'),
      table: el('table', { id: 'trial-table', class: 'data trials' }),
      note: el('p', { class: 'muted small' }),
    };
    STATES.forEach((state) => {
      const box = el('input', { type: 'checkbox', value: state, checked: true });
      box.addEventListener('change', () => {
        if (box.checked) t.states.add(state); else t.states.delete(state);
        t.offset = 0;
        section.refresh();
      });
      t.stateBoxes.appendChild(el('label', { class: `state-${state}` }, box, ` ${state.toLowerCase()}`));
    });
    let debounce = null;
    t.filter.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        t.q = t.filter.value.trim();
        t.offset = 0;
        section.refresh();
      }, 250);
    });
    t.prev.addEventListener('click', () => { t.offset = Math.max(0, t.offset - t.limit); section.refresh(); });
    t.next.addEventListener('click', () => { t.offset += t.limit; section.refresh(); });
    const section = makeSection({
      key: 'trials', title: 'Trials',
      body: [el('div', { class: 'table-controls' }, t.filter, t.stateBoxes,
        el('span', { class: 'pager' }, el('span', {}, t.count, ' trials '), t.prev, t.pageLabel, t.next)),
      t.note, el('div', { class: 'table-wrap' }, t.table)],
      draw: async () => {
        const page = await fetchTrialPage(ctx, t);
        renderTrialTable(ctx, t, page, section);
      },
    });
    return section;
  }

  function tableQuery(t) {
    const states = STATES.filter((s) => t.states.has(s));
    return {
      offset: t.offset, limit: t.limit, sort: t.sort, order: t.order,
      state: states.length === STATES.length ? '' : (states.length ? states.join(',') : 'NONE'), q: t.q,
    };
  }

  /** A page of trials: from the server (server mode) or filtered/sorted here (report mode). */
  async function fetchTrialPage(ctx, t) {
    const query = tableQuery(t);
    if (!report) {
      if (query.state === 'NONE') return { total: 0, offset: 0, limit: t.limit, trials: [] };
      return api(paths.trials(ctx.id, query), ctx.view.signal);
    }
    const all = await cached(ctx, paths.reportTrials(ctx.id));
    t.note.textContent = all.total > all.trials.length
      ? `This report includes ${all.trials.length} of ${all.total} trials.` : '';
    let rows = all.trials.filter((trial) => t.states.has(trial.state) && matchesQuery(trial, t.q));
    rows = sortTrials(rows, t.sort, t.order);
    return { total: rows.length, offset: t.offset, limit: t.limit, trials: rows.slice(t.offset, t.offset + t.limit) };
  }

  function matchesQuery(trial, q) {
    if (!q) return true;
    const needle = q.toLowerCase();
    const texts = [String(trial.number), trial.state,
      ...Object.entries(trial.params || {}).map(([k, v]) => `${k}=${fmtValue(v)}`),
      ...Object.entries(trial.params || {}).map(([k, v]) => `${k}=${String(v)}`),
      ...Object.entries(trial.user_attrs || {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)];
    return texts.some((s) => s.toLowerCase().includes(needle));
  }

  function sortKey(trial, sort) {
    if (sort === 'number') return trial.number;
    if (sort === 'state') return trial.state;
    if (sort === 'duration') return trial.duration;
    if (sort === 'datetime_start') return trial.datetime_start;
    const value = /^value(\d*)$/.exec(sort);
    if (value) return trial.values ? trial.values[Number(value[1] || 0)] : null;
    if (sort.startsWith('param:')) {
      const v = (trial.params || {})[sort.slice(6)];
      return v === undefined ? null : v;
    }
    return trial.number;
  }

  /** Same order as the server: missing keys last in either direction, ties by number. */
  function sortTrials(rows, sort, order) {
    const sign = order === 'desc' ? -1 : 1;
    const keyed = rows.map((trial) => ({ trial, key: sortKey(trial, sort) }));
    keyed.sort((a, b) => {
      const am = a.key === null || a.key === undefined;
      const bm = b.key === null || b.key === undefined;
      if (am || bm) return am === bm ? a.trial.number - b.trial.number : (am ? 1 : -1);
      if (a.key < b.key) return -sign;
      if (a.key > b.key) return sign;
      return a.trial.number - b.trial.number;
    });
    return keyed.map((k) => k.trial);
  }

  function trialColumns(ctx) {
    const s = ctx.study;
    const values = s.directions.map((d, k) => ({
      key: k ? `value${k}` : 'value', label: `${objectiveLabel(s, k)} ${directionArrow(d)}`, num: true,
      cell: (t) => fmtNum(t.values ? t.values[k] : null),
    }));
    const params = (s.params || []).map((p) => ({
      key: `param:${p.name}`, label: p.name, num: p.distribution && p.distribution.type !== 'categorical',
      cell: (t) => (t.params && p.name in t.params ? fmtValue(t.params[p.name]) : '—'),
    }));
    return [
      { key: 'number', label: '#', num: true, cell: (t) => el('a', { href: `#/study/${ctx.id}/trial/${t.number}` }, String(t.number)) },
      { key: 'state', label: 'State', cell: (t) => stateChip(t.state) },
      ...values,
      { key: 'duration', label: 'Duration', num: true, cell: (t) => fmtDuration(t.duration) },
      { key: 'datetime_start', label: 'Started', cell: (t) => fmtTime(t.datetime_start) },
      ...params,
    ];
  }

  function renderTrialTable(ctx, t, page, section) {
    const columns = trialColumns(ctx);
    const head = el('tr', {}, columns.map((c) => {
      const active = c.key === t.sort;
      const th = el('th', { dataset: { sort: c.key }, class: `sortable ${c.num ? 'num' : ''} ${active ? 'sorted' : ''}`,
        title: `sort by ${c.label}`, 'aria-sort': active ? (t.order === 'asc' ? 'ascending' : 'descending') : null },
      c.label, active ? (t.order === 'asc' ? ' ▲' : ' ▼') : '');
      th.addEventListener('click', () => {
        if (t.sort === c.key) t.order = t.order === 'asc' ? 'desc' : 'asc';
        else { t.sort = c.key; t.order = 'asc'; }
        t.offset = 0;
        section.refresh();
      });
      return th;
    }));
    const body = el('tbody', {}, page.trials.map((trial) => {
      const row = el('tr', { dataset: { number: String(trial.number) }, class: 'clickable' },
        columns.map((c) => el('td', { class: c.num ? 'num' : '' }, c.cell(trial))));
      row.addEventListener('click', (event) => {
        if (!event.target.closest('a')) location.hash = `#/study/${ctx.id}/trial/${trial.number}`;
      });
      return row;
    }));
    if (!page.trials.length)
      body.appendChild(el('tr', {}, el('td', { colspan: String(columns.length), class: 'muted' }, 'No trials match.')));
    clear(t.table);
    append(t.table, [el('thead', {}, head), body]);
    if (t.offset >= page.total && page.total > 0) t.offset = Math.floor((page.total - 1) / t.limit) * t.limit;
    t.count.textContent = String(page.total);
    const last = Math.min(t.offset + page.trials.length, page.total);
    t.pageLabel.textContent = page.total ? ` ${t.offset + 1}–${last} ` : ' ';
    t.prev.disabled = t.offset === 0;
    t.next.disabled = t.offset + t.limit >= page.total;
  }

  // ---------------------------------------------------------------------------------------------
  // Trial page (#/study/{id}/trial/{n}).

  async function renderTrial(app, route, view) {
    const { id, number } = route;
    const [study, trial] = await Promise.all([api(paths.study(id), view.signal), api(paths.trial(id, number), view.signal)]);
    document.title = `Trial #${number} · ${study.name} · Open-AutoGLM`;
    setCrumbs(...(report ? [] : [{ text: 'Studies', href: '#/' }]), { text: study.name, href: `#/study/${id}` },
      { text: `Trial #${number}` });
    setLive(report ? 'report (static)' : '● live', report ? '' : 'ok');
    const page = el('div', { class: 'trial-page' });
    app.appendChild(page);
    const ctx = { id, study, view };
    await drawTrialPage(page, ctx, trial);
    markReady();
    if (report) return;
    let version = study.version;
    let shown = JSON.stringify(trial);
    poll(view, VERSION_POLL_MS, async () => {
      const v = await api(paths.version(id), view.signal);
      if (v.version === version) return;
      const next = await api(paths.trial(id, number), view.signal);
      version = v.version;
      if (JSON.stringify(next) !== shown) {  // the version is study-wide: redraw only on change
        shown = JSON.stringify(next);
        purgePlots(page);
        clear(page);
        await drawTrialPage(page, ctx, next);
      }
      countRefresh();
    });
  }

  async function drawTrialPage(page, ctx, trial) {
    const { id, study } = ctx;
    const values = study.directions.map((d, k) => [`${objectiveLabel(study, k)} ${directionArrow(d)}`,
      trial.values ? trial.values[k] : null]);
    const params = Object.entries(trial.params || {}).map(([name, v]) =>
      [name, v, distributionText((trial.distributions || {})[name])]);
    const system = [
      ['worker', trial.worker], ['gpus', trial.gpus], ['started', fmtTime(trial.datetime_start)],
      ['completed', fmtTime(trial.datetime_complete)], ['duration', fmtDuration(trial.duration)],
      ['last heartbeat', trial.last_heartbeat ? fmtTime(trial.last_heartbeat) : null],
      ['heartbeat age', trial.heartbeat_age === null || trial.heartbeat_age === undefined ? null : fmtDuration(trial.heartbeat_age)],
      ['fail reason', trial.fail_reason], ['retry of', trial.retry_of], ['trial id', trial.trial_id], ['log file', trial.log_path],
    ].filter(([, v]) => v !== null && v !== undefined && v !== '—');
    const shown = new Set(['gpus', 'fail_reason', 'log_tail', 'retry_of']);  // already above / below
    const attrs = Object.entries(trial.system_attrs || {}).filter(([key]) => !shown.has(key))
      .sort(([a], [b]) => a.localeCompare(b));
    const iv = trial.intermediate_values || { steps: [], values: [] };
    const plot = plotDiv('plot-trial-intermediate');
    append(page, [
      el('section', { class: 'card', id: 'trial-header' },
        el('div', { class: 'card-head' },
          el('h1', {}, `Trial #${trial.number} `, stateChip(trial.state)),
          el('span', { class: 'control' },
            trial.number > 0 ? el('a', { href: `#/study/${id}/trial/${trial.number - 1}` }, '‹ previous') : null, ' ',
            trial.number + 1 < study.n_trials ? el('a', { href: `#/study/${id}/trial/${trial.number + 1}` }, 'next ›') : null)),
        el('p', { class: 'muted' }, 'Study: ', el('a', { href: `#/study/${id}` }, study.name)),
        trial.fail_reason ? el('p', { class: 'fail-reason' }, trial.fail_reason) : null),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', {}, 'Values'), kvTable('trial-values', values)),
        el('section', { class: 'card' }, el('h2', {}, 'Parameters'), kvTable('trial-params', params))),
      el('section', { class: 'card' }, el('h2', {}, 'Intermediate values'), plot),
      el('div', { class: 'grid2' },
        el('section', { class: 'card' }, el('h2', {}, 'User attributes'),
          kvTable('trial-user-attrs', Object.entries(trial.user_attrs || {}))),
        el('section', { class: 'card' }, el('h2', {}, 'System'), kvTable('trial-system-attrs', [...system, ...attrs]))),
      el('section', { class: 'card' }, el('h2', {}, 'Log tail'),
        el('pre', { id: 'trial-log', class: 'log' }, trial.log_tail || 'No log recorded for this trial.')),
    ]);
    if (!iv.steps.length) {
      plotMessage(plot, 'This trial reported no intermediate values.');
      return;
    }
    await drawPlot(plot, [{
      type: 'scatter', mode: 'lines+markers', name: 'Intermediate value', x: iv.steps, y: iv.values,
      line: { color: STATE_COLORS[trial.state] || STATE_COLORS.COMPLETE }, marker: { size: 5 },
      hovertemplate: 'step %{x}: %{y}<extra></extra>',
    }], baseLayout({ xaxis: axis('Step'), yaxis: axis('Intermediate value'), showlegend: false }));
  }

  // ---------------------------------------------------------------------------------------------

  prefetch(parseRoute(location.hash));
  function start() {
    if (typeof Plotly === 'undefined') {
      document.getElementById('app').textContent = 'plotly.js did not load.';
      return;
    }
    window.addEventListener('hashchange', navigate);
    navigate();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
