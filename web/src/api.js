// Calls to the JSON API with the bearer token; a 401 sends the person back to sign in.
import { ApiError, answer, request, uploadRequest } from './http.js';
import { serverText, t } from './i18n.js';
import { DATA_CACHE, clearSession, session } from './session.js';

export { ApiError };

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

const token = () => session()?.token;

/** The answer's body; a 401 while signed in ends the session and sends the person to sign in. */
async function checked(response) {
  if (response.status === 401 && session()) {
    clearSession();
    onUnauthorized();
  }
  return answer(response);
}

export async function get(path) {
  return checked(await request(path, { token: token(), init: { cache: 'no-store' } }));
}

export async function post(path, body = {}, { timeoutMs } = {}) {
  return checked(await request(path, { token: token(), method: 'POST', json: body, timeoutMs }));
}

export async function put(path, body = {}) {
  return checked(await request(path, { token: token(), method: 'PUT', json: body }));
}

export async function del(path) {
  return checked(await request(path, { token: token(), method: 'DELETE' }));
}

/** Upload one file (multipart, field "file"); answers {attachment_id, …}. */
export async function upload(path, file, filename, { timeoutMs } = {}) {
  return checked(await uploadRequest(path, file, filename, { token: token(), timeoutMs }));
}

/**
 * GET reference data the field app must start with offline (categories, departments, the grid map): read from the
 * server when it answers, and a copy kept on the device (Cache Storage); when the network fails, that copy. A
 * refusal from the server is never covered by the copy.
 */
export async function getKept(path) {
  let response;
  try {
    response = await request(path, { token: token(), init: { cache: 'no-store' } });
  } catch (error) {
    const kept = await globalThis.caches?.match(path, { cacheName: DATA_CACHE }).catch(() => null);
    if (kept) return kept.json();
    throw error;
  }
  if (response.ok && globalThis.caches) {
    const copy = response.clone();
    caches.open(DATA_CACHE).then((cache) => cache.put(path, copy)).catch(() => { /* full or private mode */ });
  }
  return checked(response);
}

/** A protected file (photo, CSV) as a Blob. */
export async function blob(path) {
  const response = await request(path, { token: token() });
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
