// The app: sign-in, a page per role, a router over the History API (the gateway answers every page path with
// index.html).
import './style.css';
import { whenUnauthorized } from './api.js';
import { clear, h } from './dom.js';
import { lang, setLang, t, translateStatic } from './i18n.js';
import { onChange, pending, startBackgroundSending } from './offline.js';
import { clearSession, hasRole, landing, session } from './session.js';
import { startUnreadBadge } from './unread.js';

const OFFICE = ['operator', 'supervisor'];
const DEPARTMENT = ['handler', 'department_head'];
const FIELD = ['grid_officer', 'grid_leader'];
const CASE_READERS = [...OFFICE, ...DEPARTMENT, ...FIELD];
const EVERYONE = [...CASE_READERS, 'admin'];

// path pattern, loader, roles that may open it (none: public)
const ROUTES = [
  ['/login', () => import('./pages/login.js'), null],
  ['/command', () => import('./pages/command.js'), OFFICE],
  ['/overdue', () => import('./pages/overdue.js'), OFFICE],
  ['/dashboard', () => import('./pages/dashboard.js'), [...OFFICE, 'department_head']],
  ['/worklist', () => import('./pages/worklist.js'), DEPARTMENT],
  ['/field', () => import('./pages/field.js'), FIELD],
  ['/field/reports', () => import('./pages/myreports.js'), FIELD],
  ['/field/tasks', () => import('./pages/tasks.js'), FIELD],
  ['/cases/:id', () => import('./pages/case.js'), CASE_READERS],
  ['/admin', () => import('./pages/admin.js'), ['admin']],
  ['/admin/:section', () => import('./pages/admin.js'), ['admin']],
  ['/inbox', () => import('./pages/inbox.js'), EVERYONE],
  ['/settings', () => import('./pages/settings.js'), EVERYONE],
];

const NAV = [
  ['/command', 'nav.command', OFFICE], ['/overdue', 'nav.overdue', OFFICE],
  ['/worklist', 'nav.worklist', DEPARTMENT], ['/dashboard', 'nav.dashboard', [...OFFICE, 'department_head']],
  ['/field', 'nav.field', FIELD], ['/field/reports', 'nav.myreports', FIELD], ['/field/tasks', 'nav.tasks', FIELD],
  ['/admin', 'nav.admin', ['admin']],
  ['/settings', 'nav.settings', EVERYONE],
];

const main = document.getElementById('main');
const RELOADED = 'cg.reloaded'; // the page reloaded once for a file of the version before an update
let cleanup = null;
let rendering = 0; // which render is current: a page that finishes after the person moved on is closed at once

function match(path) {
  for (const [pattern, loader, roles] of ROUTES) {
    const names = [];
    const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}/?$`);
    const found = path.match(regex);
    if (found) return { loader, roles, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])])) };
  }
  return null;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, '', path); else history.pushState({}, '', path);
  render();
}

function drawChrome() {
  const nav = clear(document.getElementById('nav'));
  const me = session();
  if (me) {
    const list = h('ul', {});
    for (const [path, key, roles] of NAV) {
      if (!hasRole(...roles)) continue;
      const current = location.pathname === path || (path === '/admin' && location.pathname.startsWith('/admin/'));
      list.append(h('li', {}, h('a', { href: path, 'data-link': true, 'aria-current': current ? 'page' : null }, t(key))));
    }
    nav.append(list);
  }
  document.getElementById('who').textContent = me ? me.user.name : '';
  document.getElementById('who').title = me ? me.user.name : '';
  document.getElementById('sign-out').hidden = !me;
  const inbox = document.getElementById('inbox-link');
  inbox.hidden = !me;
  inbox.setAttribute('aria-current', location.pathname === '/inbox' ? 'page' : 'false');
  startUnreadBadge(); // one live count per signed-in tab; stops by itself at sign-out
  document.getElementById('lang-switch').value = lang();
  translateStatic();
  updateNetStatus();
}

/** The offline banner: what still works without a network, and how many reports wait on this device. */
async function updateNetStatus() {
  const status = document.getElementById('net-status');
  const offline = !navigator.onLine;
  const waiting = offline && session() && hasRole(...FIELD) ? (await pending().catch(() => [])).length : 0;
  status.replaceChildren(...(offline ? [h('strong', {}, t('net.offline.title')), ' ', t('net.offline'),
    waiting ? h('span', { class: 'net-waiting' }, ` ${t('net.offline.waiting', { n: waiting })}`) : ''] : []));
  status.classList.toggle('shown', offline);
}

async function render() {
  const mine = ++rendering;
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const path = location.pathname;
  if (path === '/' || path === '') { navigate(session() ? landing() : '/login', { replace: true }); return; }
  const route = match(path);
  drawChrome();
  clear(main);
  if (!route) { main.append(h('h1', {}, t('notfound'))); return; }
  if (route.roles && !session()) { navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true }); return; }
  if (route.roles && !hasRole(...route.roles)) { navigate(landing(), { replace: true }); return; }
  if (hasRole(...FIELD)) startBackgroundSending(); // the queue goes out on open, whichever page opens
  main.append(h('p', { class: 'loading' }, t('common.loading')));
  let module;
  try {
    module = await route.loader();
  } catch (error) {
    // a page of the version before an update: its file is gone from the server and the device; the new version's
    // page has it. Once per page, so a file missing for another reason is not loaded forever.
    if (sessionStorage.getItem(RELOADED) !== location.href) {
      sessionStorage.setItem(RELOADED, location.href);
      location.reload();
      return;
    }
    throw error;
  }
  sessionStorage.removeItem(RELOADED);
  if (mine !== rendering) return; // moved on meanwhile
  // each page draws into its own element, so one that finishes late cannot draw over the next
  const view = h('div', { class: 'view' });
  clear(main).append(view);
  const close = (await module.default(view, route.params, { navigate })) || null;
  if (mine !== rendering) { // moved on meanwhile: its live stream must not outlive it
    view.remove();
    if (close) { try { close(); } catch { /* already gone */ } }
    return;
  }
  cleanup = close;
  const heading = main.querySelector('h1');
  if (heading && !main.contains(document.activeElement)) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', render);
window.addEventListener('online', updateNetStatus);
window.addEventListener('offline', updateNetStatus);
onChange(() => updateNetStatus());
document.getElementById('lang-switch').addEventListener('change', (event) => { setLang(event.target.value); render(); });
document.getElementById('sign-out').addEventListener('click', () => { clearSession(); navigate('/login'); });
whenUnauthorized(() => navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true }));

render();

// The app kept on the device for an offline start, and the queue sent by Background Sync (sw.js). Not under
// `vite` (dev), which serves sources, not a build.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => { navigator.serviceWorker.register('/sw.js').catch(() => {}); });
}
