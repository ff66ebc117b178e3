// 我的上报: what I reported and where it stands, and what still waits on this device.
import { message } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { onChange, pending, startBackgroundSending } from '../offline.js';
import { readList, showListEnd } from '../paging.js';
import { queuedEntry } from '../queued.js';
import { loadReference } from '../ref.js';
import { session } from '../session.js';
import { alertBox, caseRow } from '../widgets.js';

export default async function myReports(main) {
  await loadReference();
  startBackgroundSending();
  const waiting = h('ul', { class: 'waiting', id: 'pending-reports' });
  const list = h('ol', { class: 'case-list', id: 'my-reports' });
  const end = h('div', {});
  const problems = h('div', {});
  main.append(h('h1', {}, t('mine.title')), problems,
    h('section', { class: 'card' }, h('h2', {}, t('mine.pending')), waiting),
    h('section', { class: 'card' }, list, end));
  async function load() {
    const items = await pending();
    waiting.replaceChildren(...(items.length ? items.map(queuedEntry) : [h('li', {}, t('common.none'))]));
    try {
      const { items, next } = await readList(`/api/v1/cases?reporter=${encodeURIComponent(session().user.user_id)}`);
      list.replaceChildren(...(items.length ? items.map((item) => caseRow(item)) : [h('li', { class: 'empty' }, t('mine.none'))]));
      showListEnd(end, items.length, next);
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  }
  await load();
  return onChange(() => load());
}
