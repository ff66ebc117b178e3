// The signed-in person: the bearer token from POST /api/v1/auth/token, kept for this tab (sessionStorage). A grid
// officer's or leader's is also kept on the device until it expires or they sign out (localStorage, and IndexedDB
// for the service worker, which sends their queued reports with it): the field app must open in a basement after
// the phone closed the tab, where nobody can sign in.
import { forgetDeviceSession, keepDeviceSession } from './outbox.js';

const KEY = 'cg.session';
const FIELD_ROLES = ['grid_officer', 'grid_leader'];

/** The Cache Storage cache of the reference data the field app starts offline with (api.js getKept). */
export const DATA_CACHE = 'civicgrid-data';

function read(storage) {
  try { return JSON.parse(storage.getItem(KEY)) || null; } catch { return null; }
}

export function session() {
  const mine = read(sessionStorage);
  if (mine) return mine;
  const kept = read(localStorage);
  if (!kept) return null;
  if (!(kept.expires_at > Date.now())) { clearSession(); return null; }
  sessionStorage.setItem(KEY, JSON.stringify(kept));
  return kept;
}

export function saveSession(token) {
  const mine = { token: token.access_token, user: token.user, grids: token.grids || [],
    expires_at: Date.now() + (token.expires_in || 0) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(mine));
  if ((mine.user?.roles || []).some((role) => FIELD_ROLES.includes(role))) {
    localStorage.setItem(KEY, JSON.stringify(mine));
    keepDeviceSession(mine).catch(() => { /* no IndexedDB: the page still sends while it is open */ });
  } else { // someone else signed in on this device: the officer kept before is not kept any longer
    localStorage.removeItem(KEY);
    forgetDeviceSession().catch(() => {});
  }
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  forgetDeviceSession().catch(() => {});
  // reference data read while signed in (ref.js) is not left on the device for the next person
  globalThis.caches?.delete(DATA_CACHE).catch(() => {});
}

export function roles() { return new Set(session()?.user?.roles || []); }

export function hasRole(...names) { const mine = roles(); return names.some((n) => mine.has(n)); }

/** The page each role starts on. */
export function landing() {
  if (hasRole('operator', 'supervisor')) return '/command';
  if (hasRole('handler', 'department_head')) return '/worklist';
  if (hasRole('grid_officer', 'grid_leader')) return '/field';
  if (hasRole('admin')) return '/admin';
  return '/login';
}
