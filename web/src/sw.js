// The service worker: the app shell kept on the device for an offline start, and the field app's queue sent by a
// background sync when the network returns, even with the app closed. Built into dist/sw.js as one classic script
// (sw-plugin.js), which also writes in __SHELL__, the files of this build, and __VERSION__.
//
// A new version installs its own shell beside the old one and takes over at once (skipWaiting, clients.claim);
// only then is the old shell deleted. The queue lives in IndexedDB, which no version deletes or rewrites
// (outbox.js upgrades only add stores), so a report waiting on the device outlives every update.
/* global __SHELL__, __VERSION__ */
import { answer, request, uploadRequest } from './http.js';
import { SYNC_TAG, deviceSession, pending, sendWaiting } from './outbox.js';

const SHELL_CACHE = `civicgrid-shell-${__VERSION__}`;
const INDEX = '/index.html';
// a page whose server is slower than this opens from the device instead (and the server's answer is dropped)
const NAVIGATION_TIMEOUT_MS = 5000;
const NOT_THE_APP = /^\/(api|docs)(\/|$)|^\/(openapi\.json|healthz|readyz)$/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(__SHELL__)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const old = (await caches.keys()).filter((name) => name.startsWith('civicgrid-shell-') && name !== SHELL_CACHE);
    await Promise.all(old.map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function fromShell(request) {
  return caches.match(request, { cacheName: SHELL_CACHE });
}

/** A page of the app: the server's newest when it answers in time, otherwise the shell kept on the device. */
async function page(request) {
  const network = fetch(request);
  network.catch(() => { /* answered from the device instead */ });
  const late = new Promise((resolve) => { setTimeout(resolve, NAVIGATION_TIMEOUT_MS, null); });
  try {
    const answered = await Promise.race([network, late]);
    if (answered) return answered;
  } catch { /* offline: the shell */ }
  const kept = await caches.match(INDEX, { cacheName: SHELL_CACHE });
  return kept || network;
}

const shellPaths = new Set(__SHELL__);

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && !NOT_THE_APP.test(url.pathname)) {
    event.respondWith(page(request));
  } else if (shellPaths.has(url.pathname)) {
    // hashed files never change under their name: the device's copy first
    event.respondWith(fromShell(request).then((kept) => kept || fetch(request)));
  }
  // anything else (the API, the live stream) goes to the network as if there were no service worker
});

/** The API with the officer's token as kept on the device. */
function apiWith(token) {
  return {
    post: async (path, body, { timeoutMs } = {}) => answer(await request(path, { token, method: 'POST', json: body, timeoutMs })),
    upload: async (path, file, filename, { timeoutMs } = {}) => answer(await uploadRequest(path, file, filename, { token, timeoutMs })),
  };
}

async function tellPages(result) {
  const pages = await self.clients.matchAll({ type: 'window' });
  pages.forEach((client) => client.postMessage({ type: 'outbox', result }));
}

async function sendQueue() {
  const me = await deviceSession();
  if (!me || !(me.expires_at > Date.now())) return; // signed out: the page sends after the next sign-in
  await sendWaiting(apiWith(me.token), (result) => {
    tellPages(result.ok ? { ok: true, accepted: result.accepted } : { ok: false });
  });
  // not all sent (the network failed again): the browser tries the sync again later
  if ((await pending()).some((item) => !item.error)) throw new Error('reports still waiting');
}

self.addEventListener('sync', (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendQueue());
});
