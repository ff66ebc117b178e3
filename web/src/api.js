// Calls to the JSON API with the bearer token; a 401 sends the person back to sign in.
import { serverText, t } from './i18n.js';
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

/** ``timeoutMs``: give up waiting after so long (an AbortError, as a lost network would give). */
function within(timeoutMs) {
  return timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {};
}

export async function post(path, body = {}, { timeoutMs } = {}) {
  return answer(await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body), ...within(timeoutMs) }));
}

export async function put(path, body = {}) {
  return answer(await fetch(path, { method: 'PUT', headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body) }));
}

export async function del(path) {
  return answer(await fetch(path, { method: 'DELETE', headers: headers() }));
}

/** Upload one file (multipart, field "file"); answers {attachment_id, …}. */
export async function upload(path, file, filename, { timeoutMs } = {}) {
  const form = new FormData();
  form.append('file', file, filename || file.name || 'photo.jpg');
  return answer(await fetch(path, { method: 'POST', headers: headers(), body: form, ...within(timeoutMs) }));
}

/** A protected file (photo, CSV) as a Blob. */
export async function blob(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new ApiError(response.status, null);
  return response.blob();
}

/** What went wrong, in the person's language: the error's own text by its key (`reason`), else its code's
 * generic text; never the server's English message (docs/ui.md). */
export function message(error) {
  if (error instanceof ApiError) return describe(error.status, error.body);
  if (typeof error === 'string') return error; // kept on the device by an earlier version
  if (error && error.status !== undefined && 'body' in error) return describe(error.status, error.body); // kept offline
  return t('error.network');
}

export function describe(status, body) {
  const fields = Object.keys(body?.fields || {}).map(fieldLabel);
  if (fields.length && body.error === 'VALIDATION_ERROR') {
    return t('error.fields', { fields: fields.join(t('error.list_separator')) });
  }
  const own = body?.reason && serverText(body.reason, body.params || {});
  const text = own || (body?.error && t(`error.${body.error}`) !== `error.${body.error}` ? t(`error.${body.error}`)
    : t('error.http', { status }));
  return fields.length ? `${text} ${t('error.fields', { fields: fields.join(t('error.list_separator')) })}` : text;
}

function fieldLabel(name) {
  for (const key of [`field.${name}`, `common.${name}`]) if (t(key) !== key) return t(key);
  return name;
}
