// The unread count in the top bar: read on sign-in and on every navigation, and again shortly after each event of
// the live stream (a case dispatched to my department, a check asked of me… each comes as a case event), or when a
// page marks something read (the `cg:unread` event).
import { get } from './api.js';
import { t } from './i18n.js';
import { session } from './session.js';
import { openStream } from './stream.js';

let running = null; // { close, user } while a person is signed in
let count = 0;
let timer = null;

function show() {
  const badge = document.getElementById('unread-count');
  const link = document.getElementById('inbox-link');
  if (!badge || !link) return;
  badge.textContent = count > 0 ? String(count) : '';
  badge.dataset.count = String(count);
  link.setAttribute('aria-label', `${t('nav.inbox')}: ${t('inbox.unread', { n: count })}`);
}

async function refresh() {
  if (!session()) return;
  try { count = (await get('/api/v1/notifications/unread-count')).unread || 0; } catch { return; /* keep the last count */ }
  show();
}

function soon(delayMs = 500) { clearTimeout(timer); timer = setTimeout(refresh, delayMs); }

/** Keep the badge live for the signed-in person (idempotent); closes the stream once nobody is signed in. */
export function startUnreadBadge() {
  const me = session();
  if (running && (!me || running.user !== me.user.user_id)) { running.close(); running = null; count = 0; }
  show();
  if (!me) return;
  soon(0);
  if (running) return;
  // the notification is filed by the same consumer that appends the feed entry; wait a moment before counting
  const close = openStream(() => { soon(700); setTimeout(refresh, 3000); }, (state) => { if (state === 'open') soon(0); });
  const every = setInterval(refresh, 60000);
  running = { user: me.user.user_id, close: () => { close(); clearInterval(every); clearTimeout(timer); } };
}

window.addEventListener('cg:unread', () => soon(0));

/** Pages that change what is read say so: the badge recounts at once. */
export function unreadChanged() { window.dispatchEvent(new Event('cg:unread')); }
