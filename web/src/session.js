// The signed-in person: the bearer token from POST /api/v1/auth/token, kept for this tab (sessionStorage).
const KEY = 'cg.session';

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}

export function saveSession(token) {
  sessionStorage.setItem(KEY, JSON.stringify({ token: token.access_token, user: token.user, grids: token.grids || [] }));
}

export function clearSession() { sessionStorage.removeItem(KEY); }

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
