// 通知: my notifications (unread first) — overdue warnings, 督办, "please verify", returns, rework — each linking to
// its case, marked read one by one or all at once; for department staff also the department's shared inbox.
import { message, post } from '../api.js';
import { h } from '../dom.js';
import { formatTime, lang, t } from '../i18n.js';
import { pageSize, readList } from '../paging.js';
import { departmentName, loadReference } from '../ref.js';
import { hasRole, session } from '../session.js';
import { reloadOnChange } from '../stream.js';
import { unreadChanged } from '../unread.js';
import { alertBox } from '../widgets.js';

/** A title or body held in both languages, in the reader's. */
function inLanguage(texts) {
  if (!texts) return '';
  return texts[lang()] || texts[lang() === 'en' ? 'en' : 'zh-CN'] || texts['zh-CN'] || Object.values(texts)[0] || '';
}

function entry(item, { personal, onRead }) {
  const title = inLanguage(item.title) || t(`kind.${item.kind}`);
  const unread = personal && !item.read;
  return h('li', { class: `inbox-entry${unread ? ' unread' : ''}`, dataset: { notificationId: item.notification_id, kind: item.kind || '' } },
    h('div', { class: 'inbox-head' },
      unread ? h('span', { class: 'badge badge-new' }, t('inbox.unread_tag')) : null,
      h('span', { class: 'badge' }, t(`kind.${item.kind}`)),
      h('time', { datetime: item.created_at, class: 'hint' }, formatTime(item.created_at))),
    item.case_id
      ? h('a', { href: `/cases/${item.case_id}`, 'data-link': true, class: 'inbox-title',
        onclick: () => { if (unread) onRead(item, { quiet: true }); } }, title)
      : h('strong', { class: 'inbox-title' }, title),
    h('p', { class: 'inbox-body' }, inLanguage(item.body)),
    unread ? h('button', { type: 'button', class: 'small', onclick: () => onRead(item) }, t('inbox.read')) : null);
}

export default async function inbox(main) {
  await loadReference();
  const department = hasRole('handler', 'department_head') ? session().user.department : null;
  const problems = h('div', { 'aria-live': 'polite' });
  const mine = h('ol', { class: 'inbox', id: 'inbox-mine' });
  const more = h('button', { type: 'button', id: 'inbox-mine-more', hidden: true }, t('inbox.more'));
  const moreShared = h('button', { type: 'button', id: 'inbox-department-more', hidden: true }, t('inbox.more'));
  const readAll = h('button', { type: 'button', id: 'read-all' }, t('inbox.read_all'));
  const shared = department ? h('ol', { class: 'inbox', id: 'inbox-department' }) : null;
  main.append(...[
    h('div', { class: 'page-head' }, h('h1', {}, t('inbox.title')), readAll),
    problems,
    h('section', { class: 'card', 'aria-labelledby': 'inbox-mine-title' },
      h('h2', { id: 'inbox-mine-title' }, t('inbox.mine')), mine, more),
    shared ? h('section', { class: 'card', 'aria-labelledby': 'inbox-dept-title' },
      h('h2', { id: 'inbox-dept-title' }, t('inbox.department', { dept: departmentName(department) })), shared,
      moreShared) : null,
  ].filter(Boolean));

  // an inbox keeps everything ever sent: it shows a page at a time, and a reload keeps as many pages on screen
  const INBOX_PAGE = 50;
  const shown = { mine: 1, shared: 1 };
  const fail = (error) => problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));

  async function markRead(item, { quiet = false } = {}) {
    try {
      await post(`/api/v1/notifications/${encodeURIComponent(item.notification_id)}/read`, {});
      unreadChanged();
      if (!quiet) await load();
    } catch (error) { fail(error); }
  }

  async function load() {
    try {
      const pages = (n) => ({ limit: Math.min(INBOX_PAGE, pageSize()), pages: n, max: Infinity });
      const { items, next } = await readList('/api/v1/notifications', pages(shown.mine));
      more.hidden = !next;
      mine.replaceChildren(...(items.length ? items.map((item) => entry(item, { personal: true, onRead: markRead }))
        : [h('li', { class: 'empty' }, t('inbox.none'))]));
      readAll.disabled = !items.some((i) => !i.read);
      if (shared) {
        const answer = await readList(`/api/v1/notifications?department=${encodeURIComponent(department)}`,
          pages(shown.shared));
        moreShared.hidden = !answer.next;
        shared.replaceChildren(...(answer.items.length ? answer.items.map((item) => entry(item, { personal: false }))
          : [h('li', { class: 'empty' }, t('inbox.none'))]));
      }
    } catch (error) { fail(error); }
  }

  more.addEventListener('click', () => { shown.mine += 1; load(); });
  moreShared.addEventListener('click', () => { shown.shared += 1; load(); });
  readAll.addEventListener('click', async () => {
    try {
      const answer = await post('/api/v1/notifications/read-all', {});
      problems.replaceChildren(alertBox(t('inbox.marked', { n: answer.marked }), 'ok'));
      unreadChanged();
      await load();
    } catch (error) { fail(error); }
  });
  await load();
  return reloadOnChange(load, 800);
}
