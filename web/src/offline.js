// Reports made on the device wait in IndexedDB until they are sent: each keeps its idempotency key (made when the
// report was written), its fields and its photos (as Blobs), and the ids of photos already uploaded, so a retry
// neither uploads a photo twice nor — the key says so — makes a second case. Sent on load, on the `online`
// event, every 20 seconds while anything waits, and when asked.
import { ApiError, post, upload } from './api.js';

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
    const stored = await upload('/api/v1/reports/attachments', photo, photo.name || `photo-${i + 1}.jpg`);
    item.uploaded.push(stored.attachment_id);
    await put(item); // an interrupted send resumes after the photos already up
  }
  return post('/api/v1/reports', { ...item.payload, attachments: item.uploaded });
}

/** Send what waits, oldest first; stops at the first network failure. Answers the results of this round. */
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    const results = [];
    try {
      for (const item of await pending()) {
        if (item.error) continue; // refused by the server: the person decides (discard)
        try {
          const accepted = await sendOne(item);
          remember({ ...accepted, idempotency_key: item.idempotency_key, description: item.payload.description,
            category: item.payload.category, sent_at: new Date().toISOString() });
          await tx('readwrite', (store) => store.delete(item.idempotency_key));
          results.push({ ok: true, item, accepted });
          notify({ ok: true, item, accepted });
        } catch (error) {
          if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401
              && error.status !== 408 && error.status !== 429) {
            item.error = { status: error.status, body: error.body }; // worded when shown, in the language then
            await put(item);
            results.push({ ok: false, item, error });
            notify({ ok: false, item, error });
            continue;
          }
          break; // offline or the server is down: try again later
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
