// The dashboard's shell: the session (a token traded for an HttpOnly cookie at /ui/login), the page router
// (#/jobs, #/fleet, #/budgets, #/prices, #/jobs/ID) and the live event stream (GET /v1/events, which
// EventSource follows with the cookie and resumes by itself with Last-Event-ID).
import { ApiError, api, logout } from './lib/api.js';
import { clear, h } from './lib/dom.js';
import * as budgets from './pages/budgets.js';
import * as fleet from './pages/fleet.js';
import * as job from './pages/job.js';
import * as jobs from './pages/jobs.js';
import * as loginPage from './pages/login.js';
import * as prices from './pages/prices.js';

const EVENT_TYPES = ['job.transition', 'job.placement', 'node.transition', 'node.notice', 'alert'];

const ROUTES = [
  { match: /^#\/jobs\/([^/?]+)$/, page: job, nav: 'jobs' },
  { match: /^#\/jobs$/, page: jobs, nav: 'jobs' },
  { match: /^#\/fleet$/, page: fleet, nav: 'fleet' },
  { match: /^#\/budgets$/, page: budgets, nav: 'budgets' },
  { match: /^#\/prices(?:\?gpu=([^&]+))?$/, page: prices, nav: 'prices' },
];

const main = document.getElementById('main');
const state = { session: null, view: null, stream: null, renders: 0 };

function setLive(on) {
  const live = document.getElementById('live');
  live.textContent = on ? 'live' : 'offline';
  live.classList.toggle('on', on);
}

function connectEvents() {
  state.stream?.close();
  const stream = new EventSource('/v1/events');
  state.stream = stream;
  stream.addEventListener('open', () => setLive(true));
  stream.addEventListener('error', () => setLive(false));
  stream.addEventListener('hello', () => setLive(true));
  // More was missed than the daemon replays: show the page afresh.
  stream.addEventListener('gap', () => route());
  for (const type of EVENT_TYPES) {
    stream.addEventListener(type, (message) => {
      const event = JSON.parse(message.data);
      try {
        state.view?.onEvent?.(event);
      } catch (err) {
        console.error(err);
      }
    });
  }
}

async function route() {
  if (!state.session) return;
  const hash = location.hash || '#/jobs';
  const found = ROUTES.map((r) => ({ r, m: r.match.exec(hash) })).find((x) => x.m);
  if (!found) {
    location.hash = '#/jobs';
    return;
  }
  state.view?.dispose?.();
  state.view = null;
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', a.dataset.nav === found.r.nav);
  const render = ++state.renders;
  clear(main);
  main.dataset.ready = '';
  main.dataset.page = found.r.nav;
  const root = h('section');
  main.append(root);
  try {
    const params = found.m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
    const view = await found.r.page.render(root, { session: state.session, params });
    if (render !== state.renders) {
      view?.dispose?.();
      return;
    }
    state.view = view ?? null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      showLogin('Your session has ended; log in again.');
      return;
    }
    root.append(h('p', { class: 'error' }, `Could not load this page: ${err.message}`));
  }
  main.dataset.ready = '1';
}

function showLogin(message) {
  state.session = null;
  state.stream?.close();
  setLive(false);
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  clear(main);
  main.dataset.page = 'login';
  main.dataset.ready = '1';
  loginPage.render(main, { message, onLogin: loggedIn });
}

function loggedIn(session) {
  state.session = session;
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = false;
  document.getElementById('who').textContent = session.admin ? 'admin' : `team ${session.team}`;
  connectEvents();
  if (!location.hash) location.hash = '#/jobs';
  else route();
}

async function start() {
  window.addEventListener('hashchange', route);
  document.getElementById('logout').addEventListener('click', async () => {
    await logout();
    showLogin('Logged out.');
  });
  try {
    const session = await api('/ui/session');
    if (session.loggedIn) loggedIn(session);
    else showLogin();
  } catch (err) {
    main.append(h('p', { class: 'error' }, `The daemon did not answer: ${err.message}`));
  }
}

start();
