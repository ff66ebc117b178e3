// Reports made on the device wait in IndexedDB until they are sent: each keeps its idempotency key (made when the
// report was written), its fields and its photos (as Blobs), and the ids of photos already uploaded, so a retry
// neither uploads a photo twice nor — the key says so — makes a second case. Sent on load, on the `online`
// event, every 20 seconds while anything waits, and when asked.
//
// A send that failed after the server may have received it (no answer, a timeout, a 5xx) says nothing about
// whether the report is there, so the entry is kept and sent again with the same key — the server answers a
// retry with the first answer — and is never offered for discarding. Only a definite refusal (a 4xx other than
// 401, 408 and 429, which mean "not now") is: the server made no report of it, and the entry says so.
import { ApiError, post, upload } from './api.js';

// Long enough for photos over a slow mobile network; a request that hangs longer is retried, not waited on.
const UPLOAD_TIMEOUT_MS = 120000;
const REPORT_TIMEOUT_MS = 60000;
const NOT_NOW = new Set([401, 408, 429]);

/** Whether ``error`` is the server's definite refusal (it made nothing of the request), not a failure to hear. */
export function refused(error) {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && !NOT_NOW.has(error.status);
}

const DB = 'civicgrid-field';
const STORE = 'outbox';
const listeners = new Set();
let flushing = null;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'idempotency_key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
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
  const items = await tx('readonly', (store) => store.getAll());
  return (items || []).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function put(item) { await tx('readwrite', (store) => store.put(item)); }

export async function discard(key) { await tx('readwrite', (store) => store.delete(key)); notify(); }

function notify(result) { listeners.forEach((listener) => listener(result)); }

/** Call ``listener(result?)`` whenever the queue changes; answers a function that stops listening. */
export function onChange(listener) { listeners.add(listener); return () => listeners.delete(listener); }

/** Keep a report on the device (then try to send it). ``photos``: File/Blob list. */
export async function enqueue(payload, photos) {
  const item = { idempotency_key: newKey(), payload: { ...payload }, photos: [...photos].slice(0, 9),
    uploaded: [], created_at: new Date().toISOString(), error: null };
  item.payload.idempotency_key = item.idempotency_key;
  await put(item);
  notify();
  return item;
}

const SENT_KEY = 'cg.sent';
export function sentReports() {
  try { return JSON.parse(localStorage.getItem(SENT_KEY)) || []; } catch { return []; }
}
function remember(result) {
  const sent = [result, ...sentReports().filter((r) => r.case_id !== result.case_id)].slice(0, 50);
  localStorage.setItem(SENT_KEY, JSON.stringify(sent));
}

async function sendOne(item) {
  for (let i = item.uploaded.length; i < item.photos.length; i += 1) {
    const photo = item.photos[i];
    let stored;
    try {
      stored = await upload('/api/v1/reports/attachments', photo, photo.name || `photo-${i + 1}.jpg`,
        { timeoutMs: UPLOAD_TIMEOUT_MS });
    } catch (error) {
      if (refused(error)) error.photo = i + 1; // which photo the server would not take
      throw error;
    }
    item.uploaded.push(stored.attachment_id);
    await put(item); // an interrupted send resumes after the photos already up
  }
  try {
    return await post('/api/v1/reports', { ...item.payload, attachments: item.uploaded },
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

/** Send what waits, oldest first; stops at the first network failure. Answers the results of this round. */
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    const results = [];
    try {
      for (const item of await pending()) {
        if (item.error) continue; // refused by the server: the person decides (discard)
        item.attempts = (item.attempts || 0) + 1;
        item.last_attempt_at = new Date().toISOString();
        try {
          const accepted = await sendOne(item);
          remember({ ...accepted, idempotency_key: item.idempotency_key, description: item.payload.description,
            category: item.payload.category, sent_at: new Date().toISOString() });
          await tx('readwrite', (store) => store.delete(item.idempotency_key));
          results.push({ ok: true, item, accepted });
          notify({ ok: true, item, accepted });
        } catch (error) {
          if (refused(error)) {
            // worded when shown, in the person's language then (api.js message)
            item.error = { status: error.status, body: error.body, photo: error.photo || null };
            await put(item);
            results.push({ ok: false, item, error });
            notify({ ok: false, item, error });
            continue;
          }
          // no answer, a timeout, a 5xx, "sign in again", "too many": the server may hold the report — keep it,
          // and send it again later with the same key
          item.unconfirmed = reason(error);
          await put(item);
          notify({ ok: false, item, error, retrying: true });
          break;
        }
      }
    } finally {
      flushing = null;
    }
    return results;
  })();
  return flushing;
}

let started = false;
export function startBackgroundSending() {
  if (started) return;
  started = true;
  window.addEventListener('online', () => { flush(); });
  setInterval(() => { if (navigator.onLine) flush(); }, 20000);
  flush();
}
