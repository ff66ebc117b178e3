// 部门工作清单: my department's cases in hand, by deadline, with their lights; open one to act on it.
import { message, post } from '../api.js';
import { clear, h } from '../dom.js';
import { t } from '../i18n.js';
import { readList, showListEnd } from '../paging.js';
import { loadReference } from '../ref.js';
import { session } from '../session.js';
import { reloadOnChange } from '../stream.js';
import { alertBox, caseRow } from '../widgets.js';

export default async function worklist(main) {
  await loadReference();
  const list = h('ol', { class: 'case-list', id: 'worklist' });
  const end = h('div', {});
  const problems = h('div', { 'aria-live': 'polite' });
  main.append(h('h1', {}, t('work.title')), problems, h('section', { class: 'card' }, list, end));
  async function load() {
    try {
      const department = session().user.department;
      const { items, next } = await readList(`/api/v1/cases/worklist${department ? `?department=${department}` : ''}`);
      clear(list);
      if (!items.length) list.append(h('li', { class: 'empty' }, t('work.none')));
      showListEnd(end, items.length, next);
      for (const item of items) {
        const quick = item.status === 'dispatched' ? h('button', { type: 'button', class: 'small', onclick: async () => {
          try { await post(`/api/v1/cases/${item.case_id}/accept`, {}); await load(); } catch (error) {
            problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
          }
        } }, t('action.accept')) : null;
        list.append(caseRow(item, [quick]));
      }
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  }
  await load();
  return reloadOnChange(load);
}
