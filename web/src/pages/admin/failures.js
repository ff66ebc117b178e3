// What kept failing: dead letters (a message a service could not handle after every retry, per service) and dead
// deliveries (a notification that failed every attempt). Look at each — what, where, why, every attempt — and
// send it back: a letter to the queue it failed in, a delivery due again with fresh attempts.
import { get, post } from '../../api.js';
import { h } from '../../dom.js';
import { formatTime, t } from '../../i18n.js';
import { readList, showListEnd } from '../../paging.js';
import { departmentName } from '../../ref.js';
import { button, submit, table } from './kit.js';

/** A long error in three lines; all of it in the tooltip. */
function errorText(error) {
  return error ? h('span', { class: 'code error-text', title: error }, error) : '—';
}

function details(summary, body) {
  return h('details', {}, h('summary', {}, summary), h('pre', { class: 'message-body' }, JSON.stringify(body, null, 2)));
}

export default async function failures(main) {
  const lettersBox = h('div', { id: 'dead-letters' });
  const deliveriesBox = h('div', { id: 'dead-deliveries' });
  const deliveriesEnd = h('div');
  const status = h('div', { 'aria-live': 'polite' });
  const known = (key, fallback) => (t(key) === key ? fallback : t(key));
  const recipient = (r) => (r?.kind === 'department' ? `${t('common.department')} ${departmentName(r.id)}` : `${r?.kind || ''} ${r?.id || ''}`);
  const replay = (path, what) => submit(h('form'), status, async () => {
    await post(path);
    await load();
    return t('admin.fail.replayed', { what });
  });

  async function load() {
    const [letters, deliveries] = await Promise.all([get('/api/v1/admin/dead-letters'), readList('/api/v1/admin/deliveries/dead')]);
    const rows = Object.entries(letters.items).flatMap(([service, items]) => items.map((l) => [
      service, l.queue || '—', l.event_type || '—', formatTime(l.failed_at), String(l.attempts ?? '—'),
      errorText(l.error), details(t('admin.fail.message'), l.body),
      l.message_id ? button(t('admin.fail.replay'), () => replay(`/api/v1/admin/dead-letters/${encodeURIComponent(service)}/${encodeURIComponent(l.message_id)}/replay`, l.message_id),
        { 'aria-label': `${t('admin.fail.replay')} ${l.message_id}` }) : '—',
    ]));
    lettersBox.replaceChildren(table(['admin.fail.service', 'admin.fail.queue', 'admin.fail.event', 'admin.fail.failed_at',
      'admin.fail.attempts', 'admin.fail.error', '', ''], rows, { empty: t('admin.fail.none') }));
    deliveriesBox.replaceChildren(table(['admin.fail.event', 'admin.fail.recipient', 'admin.fail.channel', 'admin.fail.failed_at',
      'admin.fail.attempts', 'admin.fail.error', '', ''], deliveries.items.map((d) => [
      h('span', {}, known(`kind.${d.event_type}`, d.event_type), d.case_id ? [' ', h('a', { href: `/cases/${d.case_id}`, 'data-link': true, class: 'case-id' }, d.case_id)] : ''),
      recipient(d.recipient), known(`channel.${d.channel}`, d.channel),
      formatTime(d.dead_at), String(d.tries), errorText(d.error || d.attempts?.at(-1)?.error),
      details(t('admin.fail.attempt_list', { n: (d.attempts || []).length }), d.attempts),
      button(t('admin.fail.replay'), () => replay(`/api/v1/admin/deliveries/${encodeURIComponent(d.delivery_id)}/replay`, d.delivery_id),
        { 'aria-label': `${t('admin.fail.replay')} ${d.delivery_id}` }),
    ]), { empty: t('admin.fail.none') }));
    showListEnd(deliveriesEnd, deliveries.items.length, deliveries.next);
  }
  main.append(status,
    h('section', { class: 'card', 'aria-labelledby': 'letters-title' }, h('h2', { id: 'letters-title' }, t('admin.fail.letters')),
      h('p', { class: 'hint' }, t('admin.fail.letters.hint')), lettersBox),
    h('section', { class: 'card', 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title' }, t('admin.fail.deliveries')),
      h('p', { class: 'hint' }, t('admin.fail.deliveries.hint')), deliveriesBox, deliveriesEnd),
    h('div', { class: 'buttons' }, button(t('common.reload'), () => load())));
  await load();
}
