// The page's side of the field app's queue (outbox.js, in IndexedDB): reports are sent on load, on the `online`
// event, every 20 seconds while anything waits, right after one is written — and, where the browser offers
// Background Sync, by the service worker when the network returns even if the app is closed (sw.js). Whoever
// sends, the queue tells the page, which redraws it.
import { post, upload } from './api.js';
import { SYNC_TAG, add, pending, remove, sendWaiting } from './outbox.js';

export { pending, refused } from './outbox.js';

const listeners = new Set();
let flushing = null;

function notify(result) { listeners.forEach((listener) => listener(result)); }

/** Call ``listener(result?)`` whenever the queue changes; answers a function that stops listening. */
export function onChange(listener) { listeners.add(listener); return () => listeners.delete(listener); }

/**
 * Offline, ask the service worker to send the queue when the network returns, even if the app is closed by then
 * (Background Sync, where the browser has it). Online, the page itself tries again every 20 s while it is open.
 */
async function askForSync() {
  if (navigator.onLine) return;
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    await registration?.sync?.register(SYNC_TAG);
  } catch { /* no Background Sync here: the page sends on open, when online and every 20 s */ }
}

export async function discard(key) { await remove(key); notify(); }

/** Keep a report on the device (then try to send it). ``photos``: File/Blob list. */
export async function enqueue(payload, photos) {
  const item = await add(payload, photos);
  notify();
  askForSync();
  return item;
}

/** Send what waits, oldest first; stops at the first network failure. Answers the results of this round. */
export function flush() {
  flushing ||= sendWaiting({ post, upload }, notify)
    .then(async (results) => {
      if ((await pending()).some((item) => !item.error)) askForSync();
      return results;
    })
    .finally(() => { flushing = null; });
  return flushing;
}

// the service worker sent (some of) the queue: redraw it
navigator.serviceWorker?.addEventListener('message', (event) => {
  if (event.data?.type === 'outbox') notify(event.data.result || null);
});

let started = false;
export function startBackgroundSending() {
  if (started) return;
  started = true;
  window.addEventListener('online', () => { flush(); });
  setInterval(() => { if (navigator.onLine) flush(); }, 20000);
  flush();
}
