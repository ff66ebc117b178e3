// The field app's queue of reports, in IndexedDB, and the sending of it. Nothing here touches the page: the page
// (offline.js) and the service worker (sw.js, on a background sync) both send the queue with it, one at a time
// (a Web Lock), each with its own way to reach the API.
//
// Each entry keeps its idempotency key (made when the report was written), its fields, its photos (as Blobs) and
// the ids of the photos already uploaded, so a retry neither uploads a photo twice nor — the key says so — makes a
// second case. A send that failed after the server may have received it (no answer, a timeout, a 5xx) says nothing
// about whether the report is there, so the entry is kept and sent again with the same key — the server answers a
// retry with the first answer — and is never offered for discarding. Only a definite refusal (a 4xx other than
// 401, 408 and 429, which mean "not now") is: the server made no report of it, and the entry says so.
import { ApiError } from './http.js';

// Long enough for photos over a slow mobile network; a request that hangs longer is retried, not waited on.
const UPLOAD_TIMEOUT_MS = 120000;
const REPORT_TIMEOUT_MS = 60000;
const NOT_NOW = new Set([401, 408, 429]);

/** Whether ``error`` is the server's definite refusal (it made nothing of the request), not a failure to hear. */
export function refused(error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && !NOT_NOW.has(error.status);
}

const DB = 'civicgrid-field';
// Version 1 held the queue alone; 2 adds the device's copy of the signed-in officer (the service worker sends with
// its token). An upgrade only adds stores: a report waiting in an older version's queue is never dropped.
const DB_VERSION = 2;
const QUEUE = 'outbox';
const DEVICE = 'device';
const LOCK = 'civicgrid-outbox';
/** The Background Sync tag under which the service worker sends the queue. */
export const SYNC_TAG = 'civicgrid-outbox';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(QUEUE)) db.createObjectStore(QUEUE, { keyPath: 'idempotency_key' });
      if (!db.objectStoreNames.contains(DEVICE)) db.createObjectStore(DEVICE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const result = work(transaction.objectStore(storeName));
    transaction.oncomplete = () => { db.close(); resolve(result?.result ?? result); };
    transaction.onerror = () => { db.close(); reject(transaction.error); };
  });
}

export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function pending() {
  const items = await tx(QUEUE, 'readonly', (store) => store.getAll());
  return (items || []).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function put(item) { await tx(QUEUE, 'readwrite', (store) => store.put(item)); }

export async function remove(key) { await tx(QUEUE, 'readwrite', (store) => store.delete(key)); }

/** Keep a report on the device. ``photos``: File/Blob list. */
export async function add(payload, photos) {
  const item = { idempotency_key: newKey(), payload: { ...payload }, photos: [...photos].slice(0, 9),
    uploaded: [], created_at: new Date().toISOString(), error: null };
  item.payload.idempotency_key = item.idempotency_key;
  await put(item);
  return item;
}

/** The signed-in officer as kept on the device ({token, user, grids, expires_at}), or null. */
export async function deviceSession() {
  try { return (await tx(DEVICE, 'readonly', (store) => store.get('session'))) || null; } catch { return null; }
}

export async function keepDeviceSession(session) { await tx(DEVICE, 'readwrite', (store) => store.put(session, 'session')); }

export async function forgetDeviceSession() { await tx(DEVICE, 'readwrite', (store) => store.delete('session')); }

async function sendOne(item, api) {
  for (let i = item.uploaded.length; i < item.photos.length; i += 1) {
    const photo = item.photos[i];
    let stored;
    try {
      stored = await api.upload('/api/v1/reports/attachments', photo, photo.name || `photo-${i + 1}.jpg`,
        { timeoutMs: UPLOAD_TIMEOUT_MS });
    } catch (error) {
      if (refused(error)) error.photo = i + 1; // which photo the server would not take
      throw error;
    }
    item.uploaded.push(stored.attachment_id);
    await put(item); // an interrupted send resumes after the photos already up
  }
  try {
    return await api.post('/api/v1/reports', { ...item.payload, attachments: item.uploaded },
      { timeoutMs: REPORT_TIMEOUT_MS });
  } catch (error) {
    error.posted = true; // the report itself may have reached the server
    throw error;
  }
}

function reason(error) {
  return { kind: error instanceof ApiError ? 'server' : 'network', status: error.status || null,
    posted: Boolean(error.posted) };
}

/** One context at a time sends (a page, another tab, the service worker): a photo is never uploaded twice. */
function exclusively(work) {
  return globalThis.navigator?.locks ? navigator.locks.request(LOCK, work) : work();
}

/**
 * Send what waits, oldest first, with ``api`` ({upload, post}: they throw ApiError for a non-2xx); stops at the
 * first failure to hear back. ``onResult({ok, item, accepted|error, retrying?})`` after each entry. Answers what
 * this round settled: the reports accepted and those refused (not one kept for a retry).
 */
export function sendWaiting(api, onResult = () => {}) {
  return exclusively(async () => {
    const results = [];
    for (const item of await pending()) {
      if (item.error) continue; // refused by the server: the person decides (discard)
      item.attempts = (item.attempts || 0) + 1;
      item.last_attempt_at = new Date().toISOString();
      try {
        const accepted = await sendOne(item, api);
        await remove(item.idempotency_key);
        results.push({ ok: true, item, accepted });
        onResult({ ok: true, item, accepted });
      } catch (error) {
        if (refused(error)) {
          // worded when shown, in the person's language then (api.js message)
          item.error = { status: error.status, body: error.body, photo: error.photo || null };
          await put(item);
          results.push({ ok: false, item, error });
          onResult({ ok: false, item, error });
          continue;
        }
        // no answer, a timeout, a 5xx, "sign in again", "too many": the server may hold the report — keep it, and
        // send it again later with the same key
        item.unconfirmed = reason(error);
        await put(item);
        onResult({ ok: false, item, error, retrying: true });
        break;
      }
    }
    return results;
  });
}
