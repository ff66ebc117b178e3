// 核查任务: cases in my grids that a department resolved; I check on site, pass or fail, with photos.
import { message } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { readList, showListEnd } from '../paging.js';
import { loadReference } from '../ref.js';
import { reloadOnChange } from '../stream.js';
import { alertBox, caseRow } from '../widgets.js';

export default async function tasks(main) {
  await loadReference();
  const list = h('ol', { class: 'case-list', id: 'tasks' });
  const end = h('div', {});
  const problems = h('div', {});
  main.append(h('h1', {}, t('tasks.title')), problems, h('section', { class: 'card' }, list, end));
  async function load() {
    try {
      const { items, next } = await readList('/api/v1/cases?status=resolved&sort=deadline');
      const mine = items.filter((item) => !item.handled_on_spot);
      showListEnd(end, items.length, next);
      list.replaceChildren(...(mine.length ? mine.map((item) => caseRow(item, [
        h('a', { href: `/cases/${item.case_id}`, 'data-link': true, class: 'button small' }, t('action.verify'))]))
        : [h('li', { class: 'empty' }, t('tasks.none'))]));
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  }
  await load();
  return reloadOnChange(load);
}
