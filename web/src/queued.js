// One report waiting on the device, as the field pages show it: what happened to its last send, in words an
// officer can act on. Only a report the server definitely refused offers "Discard"; one whose send may have reached
// the server says it will be sent again by itself, with the same key, and can never become a second case.
import { message } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { discard, flush } from './offline.js';
import { alertBox } from './widgets.js';

function refusal(error) {
  // Worded now, in the person's language (api.js); an entry kept by an earlier version holds its own message.
  const msg = typeof error === 'string' ? error : 'body' in error ? message(error) : error.message;
  return error.photo ? t('field.refused.photo', { n: error.photo, msg }) : t('field.refused', { msg });
}

function unconfirmed(item) {
  const { kind, status, posted } = item.unconfirmed;
  if (!posted) return t('field.unconfirmed.unsent');
  if (kind === 'network') return t('field.unconfirmed.network');
  return t(status >= 500 ? 'field.unconfirmed.server' : 'field.unconfirmed.later', { status });
}

export function queuedEntry(item) {
  const state = item.error ? 'refused' : item.unconfirmed ? 'unconfirmed' : 'waiting';
  return h('li', { 'data-state': state, 'data-key': item.idempotency_key },
    h('span', {}, item.payload.description.slice(0, 40)),
    item.error ? alertBox(refusal(item.error)) : null,
    !item.error && item.unconfirmed ? h('p', { class: 'hint', role: 'status' }, unconfirmed(item)) : null,
    item.error
      ? h('button', { type: 'button', class: 'small', onclick: () => discard(item.idempotency_key) }, t('field.discard'))
      : h('button', { type: 'button', class: 'small', onclick: () => flush() }, t('field.retry')));
}
