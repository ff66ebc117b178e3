// 通知设置: how I hear of each kind of notification (inbox, e-mail, SMS, or the platform's default), and what I
// follow: a case, or a grid, community, street or category I watch.
import { del, get, message, post, put } from '../api.js';
import { field, h } from '../dom.js';
import { localName, t } from '../i18n.js';
import { placeNames } from '../places.js';
import { categoryList, categoryName, loadReference } from '../ref.js';
import { alertBox } from '../widgets.js';

const WATCHABLE = ['case', 'grid', 'community', 'street', 'category'];

function preferencesForm(prefs, onSave) {
  const rows = prefs.kinds.map((kind) => {
    const chosen = prefs.channels[kind];
    const custom = h('input', { type: 'checkbox', name: `custom-${kind}`, checked: chosen ? true : null,
      'aria-label': t('settings.custom', { kind: t(`kind.${kind}`) }) });
    const boxes = prefs.available_channels.map((channel) => h('input', { type: 'checkbox', name: `${kind}:${channel}`,
      value: channel, checked: chosen?.includes(channel) ? true : null, disabled: chosen ? null : true,
      'aria-label': `${t(`kind.${kind}`)}: ${t(`channel.${channel}`)}` }));
    custom.addEventListener('change', () => boxes.forEach((box) => { box.disabled = !custom.checked; }));
    return { kind, custom, boxes,
      row: h('tr', { dataset: { kind } }, h('th', { scope: 'row' }, t(`kind.${kind}`)),
        h('td', {}, h('label', { class: 'inline' }, custom, ' ', t('settings.own'))),
        boxes.map((box) => h('td', {}, box))) };
  });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'preferences' },
    h('div', { class: 'table-wrap' }, h('table', { class: 'data prefs' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('settings.kind')), h('th', { scope: 'col' }, ''),
        prefs.available_channels.map((c) => h('th', { scope: 'col' }, t(`channel.${c}`))))),
      h('tbody', {}, rows.map((r) => r.row)))),
    status, h('button', { type: 'submit', class: 'primary' }, t('settings.save')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const channels = {};
    for (const r of rows) if (r.custom.checked) channels[r.kind] = r.boxes.filter((b) => b.checked).map((b) => b.value);
    status.replaceChildren();
    try { await onSave(channels); status.append(alertBox(t('settings.saved'), 'ok')); } catch (error) {
      status.append(alertBox(t('common.error', { msg: message(error) })));
    }
  });
  return form;
}

export default async function settings(main) {
  await loadReference();
  const names = await placeNames().catch(() => null);
  const problems = h('div', { 'aria-live': 'polite' });
  const prefsBox = h('div', {});
  const subsList = h('ul', { class: 'subscriptions', id: 'subscriptions' });
  const kind = h('select', { name: 'kind' }, WATCHABLE.map((k) => h('option', { value: k }, t(`subs.kind.${k}`))));
  const targetBox = h('div', {});
  const subsStatus = h('div', { 'aria-live': 'polite' });
  const subForm = h('form', { class: 'controls', id: 'subscribe' }, field(t('subs.kind'), kind), targetBox,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('subs.add'))));
  main.append(h('h1', {}, t('settings.title')), problems,
    h('section', { class: 'card', 'aria-labelledby': 'prefs-title' }, h('h2', { id: 'prefs-title' }, t('settings.channels')),
      h('p', { class: 'hint' }, t('settings.channels.hint')), prefsBox),
    h('section', { class: 'card', 'aria-labelledby': 'subs-title' }, h('h2', { id: 'subs-title' }, t('subs.title')),
      subsList, subForm, subsStatus));

  const targetName = (k, code) => {
    if (k === 'category') return categoryName(code);
    if (k === 'case') return code;
    return names?.name(code) || code;
  };
  let target = null;
  const drawTarget = () => {
    if (kind.value === 'case') target = h('input', { name: 'target', required: true, pattern: 'C[0-9A-Z]{26}' });
    else if (kind.value === 'category') target = h('select', { name: 'target' }, categoryList().map((c) => h('option', { value: c.code }, localName(c, c.code))));
    else target = h('select', { name: 'target' }, (names?.ofLevel(kind.value) || []).map((p) => h('option', { value: p.code }, p.label)));
    targetBox.replaceChildren(field(t('subs.target'), target));
  };
  kind.addEventListener('change', drawTarget);
  drawTarget();

  async function loadSubscriptions() {
    const answer = await get('/api/v1/notifications/subscriptions');
    subsList.replaceChildren(...(answer.items.length ? answer.items.map((s) => h('li', { dataset: { subscription: s.subscription_id } },
      h('span', { class: 'badge' }, t(`subs.kind.${s.kind}`)), ' ',
      s.kind === 'case' ? h('a', { href: `/cases/${s.target}`, 'data-link': true, class: 'case-id' }, s.target) : targetName(s.kind, s.target), ' ',
      h('button', { type: 'button', class: 'small', onclick: async () => {
        try { await del(`/api/v1/notifications/subscriptions/${encodeURIComponent(s.subscription_id)}`); await loadSubscriptions(); } catch (error) {
          subsStatus.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
        }
      } }, t('subs.remove')))) : [h('li', { class: 'empty' }, t('subs.none'))]));
  }
  subForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    subsStatus.replaceChildren();
    if (!subForm.reportValidity()) return;
    try {
      await post('/api/v1/notifications/subscriptions', { kind: kind.value, target: target.value.trim() });
      await loadSubscriptions();
    } catch (error) { subsStatus.append(alertBox(t('common.error', { msg: message(error) }))); }
  });

  try {
    const prefs = await get('/api/v1/notifications/preferences');
    prefsBox.append(preferencesForm(prefs, (channels) => put('/api/v1/notifications/preferences', { channels })));
    await loadSubscriptions();
  } catch (error) {
    problems.append(alertBox(t('common.error', { msg: message(error) })));
  }
}
