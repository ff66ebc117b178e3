// Small pieces every page uses: status and light badges, case rows, messages.
import { h } from './dom.js';
import { formatTime, t } from './i18n.js';
import { lightLabel } from './lights.js';
import { placeName } from './places.js';
import { categoryName, departmentName } from './ref.js';

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, t(`status.${status}`));
}

export function lightBadge(light) {
  const name = light || 'none';
  return h('span', { class: `light light-${name}` }, h('span', { class: 'dot', 'aria-hidden': 'true' }), lightLabel(light));
}

export function alertBox(text, kind = 'error') {
  return h('p', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** One case in a list: a link to it with what matters at a glance. */
export function caseRow(item, extra = []) {
  return h('li', { class: 'case-row', dataset: { caseId: item.case_id, status: item.status } },
    h('a', { href: `/cases/${item.case_id}`, 'data-link': true, class: 'case-link' },
      h('span', { class: 'case-id' }, item.case_id),
      ' ', h('strong', {}, categoryName(item.category))),
    h('div', { class: 'case-meta' }, statusBadge(item.status), lightBadge(item.light),
      item.supervised ? h('span', { class: 'badge badge-supervised' }, t('queue.supervised')) : null,
      ...extra),
    // a list shows the start of a long description (clamped to three lines); the case page shows it all
    item.description ? h('p', { class: 'case-desc', title: item.description }, item.description) : null,
    h('p', { class: 'case-facts' },
      `${placeTrail(item)} · ${t('common.department')} ${departmentName(item.department)} · `
      + `${t('common.deadline')} ${formatTime(item.deadline)}`));
}

/** Where a case is, by name: street · community · grid (codes only where the map does not know them). */
export function placeTrail(item) {
  const names = [item.street, item.community, item.grid].filter(Boolean).map(placeName);
  return names.length ? names.join(' · ') : `${t('common.grid')} —`;
}
