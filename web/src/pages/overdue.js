// 超期督办: the open cases past their deadline, most overdue first, updated live.
import { message } from '../api.js';
import { clear, h } from '../dom.js';
import { t } from '../i18n.js';
import { readList, showListEnd } from '../paging.js';
import { loadReference } from '../ref.js';
import { reloadOnChange } from '../stream.js';
import { alertBox, caseRow } from '../widgets.js';

export default async function overdue(main) {
  await loadReference();
  const list = h('ol', { class: 'case-list', id: 'overdue-list' });
  const end = h('div', {});
  const problems = h('div', {});
  main.append(h('h1', {}, t('overdue.title')), problems, h('section', { class: 'card' }, list, end));
  async function load() {
    try {
      const { items, next } = await readList('/api/v1/cases?overdue=true&sort=deadline');
      clear(list);
      if (!items.length) list.append(h('li', { class: 'empty' }, t('overdue.none')));
      items.forEach((item) => list.append(caseRow(item)));
      showListEnd(end, items.length, next);
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  }
  await load();
  const stop = reloadOnChange(load, 500);
  const every = setInterval(load, 60000); // lights change with time, not only with events
  return () => { stop(); clearInterval(every); };
}
