// Calls to the JSON API with a bearer token, without the page: the service worker sends the field app's queue with
// these too (sw.js), so nothing here may touch the DOM, sessionStorage or localStorage.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** ``timeoutMs``: give up waiting after so long (an AbortError, as a lost network would give). */
function within(timeoutMs) {
  return timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {};
}

function authorised(token, extra = {}) {
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

/** The JSON body of ``response``; an ApiError for anything but a 2xx. */
export async function answer(response) {
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** One request; ``json`` is sent as the JSON body, ``init`` adds to fetch's own options. */
export async function request(path, { token, method = 'GET', json, timeoutMs, init = {} } = {}) {
  const headers = authorised(token, json === undefined ? {} : { 'Content-Type': 'application/json' });
  return fetch(path, { method, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    ...within(timeoutMs), ...init });
}

/** Upload one file (multipart, field "file"). */
export async function uploadRequest(path, file, filename, { token, timeoutMs } = {}) {
  const form = new FormData();
  form.append('file', file, filename || file.name || 'photo.jpg');
  return fetch(path, { method: 'POST', headers: authorised(token), body: form, ...within(timeoutMs) });
}
