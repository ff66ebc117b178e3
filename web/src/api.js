// Calls to the JSON API with the bearer token; a 401 sends the person back to sign in.
import { clearSession, session } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

function headers(extra = {}) {
  const token = session()?.token;
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

async function answer(response) {
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json().catch(() => null) : null;
  if (response.status === 401 && session()) {
    clearSession();
    onUnauthorized();
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: headers(), cache: 'no-store' }));
}

export async function post(path, body = {}) {
  return answer(await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body) }));
}

export async function put(path, body = {}) {
  return answer(await fetch(path, { method: 'PUT', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body) }));
}

export async function del(path) {
  return answer(await fetch(path, { method: 'DELETE', headers: headers() }));
}

/** Upload one file (multipart, field "file"); answers {attachment_id, …}. */
export async function upload(path, file, filename) {
  const form = new FormData();
  form.append('file', file, filename || file.name || 'photo.jpg');
  return answer(await fetch(path, { method: 'POST', headers: headers(), body: form }));
}

/** A protected file (photo, CSV) as a Blob. */
export async function blob(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, null);
  return response.blob();
}

export function message(error) {
  if (error instanceof ApiError) {
    const fields = error.body?.fields ? ` (${Object.entries(error.body.fields).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`).join('; ')})` : '';
    return (error.body?.message || `HTTP ${error.status}`) + fields;
  }
  return String(error?.message || error);
}
