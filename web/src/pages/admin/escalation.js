// Escalation policies (升级策略): the rungs a late case climbs, each when a share of the stage's limit is used or so
// many working hours after the deadline, telling its targets and perhaps putting the case under supervision (督办).
// Saving makes a new version; cases under way keep theirs.
import { del, get, put } from '../../api.js';
import { h } from '../../dom.js';
import { serverText, t } from '../../i18n.js';
import { alertBox } from '../../widgets.js';
import { button, checkbox, checked, CODE, formCard, input, labelled, select, submit, table } from './kit.js';

// shared/api/cases.py: RungTargetSchema
const TARGETS = ['responsible', 'responsible_head', 'command_centre', 'supervisor', 'department_head',
  'department_handlers', 'grid_officers', 'grid_leader', 'person', 'webhook'];

function rungName(name) { return serverText(`term.rung_name.${name}`) || name; }

function when(at) {
  if (at?.fraction !== undefined && at?.fraction !== null) return t('admin.esc.at_fraction', { pct: Math.round(at.fraction * 100) });
  return t('admin.esc.at_hours', { hours: at?.after_deadline_hours });
}

function rungRow(rung) {
  const r = rung || { name: '', at: { fraction: 0.8 }, targets: [{ kind: 'responsible' }], supervise: false };
  const byFraction = r.at.fraction !== undefined && r.at.fraction !== null;
  const name = input('name', { required: true, maxlength: 100, value: r.name });
  const mode = select('at_mode', [['fraction', t('admin.esc.mode.fraction')], ['hours', t('admin.esc.mode.hours')]],
    byFraction ? 'fraction' : 'hours');
  const amount = input('at', { type: 'number', required: true, step: 'any',
    value: byFraction ? Math.round(r.at.fraction * 1000) / 10 : r.at.after_deadline_hours });
  const limits = () => {
    if (mode.value === 'fraction') { amount.min = '0.1'; amount.max = '100'; } else { amount.min = '-720'; amount.max = '720'; }
  };
  mode.addEventListener('change', limits);
  limits();
  const chosen = new Map((r.targets || []).map((x) => [x.kind, x]));
  const boxes = TARGETS.map((kind) => h('input', { type: 'checkbox', name: 'targets', value: kind, checked: chosen.has(kind) ? true : null }));
  const userId = input('user_id', { value: chosen.get('person')?.user_id || '', placeholder: t('admin.esc.user_id') });
  const url = input('url', { type: 'url', value: chosen.get('webhook')?.url || '', placeholder: 'https://…' });
  const supervise = checkbox('supervise', r.supervise);
  const row = h('fieldset', { class: 'sub-row rung' }, h('legend', {}, t('admin.esc.rung')),
    labelled('admin.esc.name', name, r.name && serverText(`term.rung_name.${r.name}`) ? rungName(r.name) : null),
    labelled('admin.esc.when', mode), labelled('admin.esc.amount', amount),
    h('fieldset', { class: 'field wide' }, h('legend', {}, t('admin.esc.targets')),
      boxes.map((b) => h('label', { class: 'inline' }, b, ' ', t(`admin.esc.target.${b.value}`))),
      labelled('admin.esc.user_id', userId), labelled('admin.esc.url', url)),
    checked('admin.esc.supervise', supervise),
    button(t('admin.esc.remove_rung'), () => row.remove()));
  row.read = () => {
    boxes[0].setCustomValidity(boxes.some((b) => b.checked) ? '' : t('admin.esc.targets.need'));
    userId.required = boxes.find((b) => b.value === 'person').checked;
    url.required = boxes.find((b) => b.value === 'webhook').checked;
    const targets = boxes.filter((b) => b.checked).map((b) => ({ kind: b.value,
      ...(b.value === 'person' ? { user_id: userId.value.trim() } : {}), ...(b.value === 'webhook' ? { url: url.value.trim() } : {}) }));
    const n = Number(amount.value);
    return { name: name.value.trim(), at: mode.value === 'fraction' ? { fraction: n / 100 } : { after_deadline_hours: n },
      targets, supervise: supervise.checked };
  };
  return row;
}

function editor(policy, done) {
  const p = policy || { policy_id: '', name: '', rungs: [null] };
  const policyId = input('policy_id', { required: true, pattern: CODE, value: p.policy_id, readonly: policy ? true : null });
  const name = input('name', { maxlength: 200, value: p.name || '' });
  const rungs = h('div', { class: 'sub-rows wide', id: 'rungs' }, p.rungs.map(rungRow));
  const addRung = button(t('admin.esc.add_rung'), () => rungs.append(rungRow(null)));
  const { form, status, card } = formCard('policy-form', policy ? t('admin.esc.edit', { id: p.policy_id, version: p.version })
    : t('admin.esc.new'), [labelled('admin.esc.id', policyId), labelled('admin.esc.policy_name', name), rungs,
    h('div', { class: 'wide' }, addRung)], policy ? t('admin.esc.save_version') : t('admin.create'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const rows = [...rungs.children];
    const read = rows.map((row) => row.read());
    // as the cases service checks (escalation.check_policy): rungs go in the order they fire
    const position = (at) => ('fraction' in at ? [0, at.fraction] : [1, at.after_deadline_hours]);
    rows.forEach((row, i) => {
      const [a, b] = i ? [position(read[i - 1].at), position(read[i].at)] : [null, null];
      const early = a && (b[0] < a[0] || (b[0] === a[0] && b[1] < a[1]));
      row.querySelector('[name=at]').setCustomValidity(early ? t('admin.esc.order') : '');
    });
    let saved = null;
    await submit(form, status, async () => {
      saved = await put(`/api/v1/escalation-policies/${encodeURIComponent(policyId.value.trim())}`,
        { name: name.value.trim(), rungs: read });
    });
    if (saved) await done(t('admin.esc.saved', { version: saved.version }));
  });
  return card;
}

export default async function escalation(main) {
  const listBox = h('div', {});
  const editorBox = h('div', { id: 'policy-editor' });
  const status = h('div', { 'aria-live': 'polite' });
  // saved: the list shows the new version, the form closes and says so where the list is
  const saved = async (said) => {
    await load();
    editorBox.replaceChildren();
    status.replaceChildren(alertBox(said, 'ok'));
  };
  async function load() {
    const policies = await get('/api/v1/escalation-policies');
    listBox.replaceChildren(table(['admin.esc.id', 'admin.esc.policy_name', 'admin.esc.version', 'admin.esc.rungs', ''],
      policies.map((p) => [h('span', { class: 'code' }, p.policy_id), p.name || '—', String(p.version),
        h('ol', {}, p.rungs.map((r) => h('li', {}, `${rungName(r.name)} · ${when(r.at)} · `
          + r.targets.map((x) => t(`admin.esc.target.${x.kind}`)).join(t('error.list_separator'))
          + (r.supervise ? ` · ${t('admin.esc.supervise')}` : '')))),
        h('span', { class: 'row-actions' },
          button(t('admin.edit'), () => { status.replaceChildren(); editorBox.replaceChildren(editor(p, saved)); }, { 'aria-label': `${t('admin.edit')} ${p.policy_id}` }),
          button(t('admin.delete'), async () => {
            if (!window.confirm(t('admin.delete.confirm', { what: p.policy_id }))) return;
            await submit(h('form'), status, async () => {
              await del(`/api/v1/escalation-policies/${encodeURIComponent(p.policy_id)}`);
              await load();
              return t('admin.deleted', { what: p.policy_id });
            });
          }, { 'aria-label': `${t('admin.delete')} ${p.policy_id}` }))]), { id: 'policies' }));
  }
  main.append(editorBox, h('section', { class: 'card' }, h('p', { class: 'hint' }, t('admin.esc.hint')),
    h('div', { class: 'buttons' }, button(t('admin.esc.new'), () => { status.replaceChildren(); editorBox.replaceChildren(editor(null, saved)); }, { id: 'new-policy' })),
    status, listBox));
  await load();
}
