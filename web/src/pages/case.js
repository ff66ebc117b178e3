// A case: its facts, photos, possible duplicates, timeline — and a form for each action the person may take now
// (the API's allowed_actions: the cases service decides, the page only shows).
import { ApiError, blob, del, get, message, post, upload } from '../api.js';
import { clear, field, h } from '../dom.js';
import { filePicker } from '../filepicker.js';
import { formatTime, serverText, t } from '../i18n.js';
import { categoryName, departmentList, departmentName, loadReference } from '../ref.js';
import { localName } from '../i18n.js';
import { placeName } from '../places.js';
import { openStream } from '../stream.js';
import { alertBox, lightBadge, statusBadge } from '../widgets.js';

// action: the fields its form asks for, '!' where the body requires one (shared/api/case_actions.py; checked
// against each action's body by tests/unit/test_case_action_table.py)
const FORMS = {
  register: ['note'], reject: ['reason'], merge: ['target', 'note'], dispatch: ['department', 'note'],
  accept: ['note'], return: ['reason'], request_extension: ['reason', 'hours'], approve_extension: ['note'],
  deny_extension: ['note'], suspend: ['reason'], resume: ['note'], resolve: ['note!', 'photos!'],
  verify: ['passed', 'note!', 'photos'], close: ['note'], reopen: ['reason'], cancel: ['reason'],
  supervise: ['note!'], comment: ['text', 'photos'],
};
const PRIMARY = new Set(['register', 'dispatch', 'accept', 'resolve', 'verify', 'close']);

async function photoList(ids) {
  const list = h('ul', { class: 'photos' });
  for (const id of ids || []) {
    const img = h('img', { alt: `${t('common.photos')} ${id}`, loading: 'lazy', 'data-attachment': id });
    list.append(h('li', {}, img));
    blob(`/api/v1/attachments/${id}`).then((b) => { img.src = URL.createObjectURL(b); }).catch(() => { img.alt += ' ✗'; });
  }
  return list;
}

function actionForm(action, item, onDone, onConflict) {
  const inputs = {};
  const controls = [];
  for (const spec of FORMS[action] || ['note']) {
    const name = spec.replace('!', '');
    const required = spec.endsWith('!') || name === 'reason' || name === 'text' || name === 'target' || name === 'department';
    let control;
    if (name === 'department') {
      control = h('select', { name, required: true },
        departmentList().map((d) => h('option', { value: d.code, selected: d.code === (item.suggestion?.department || item.department) ? true : null }, localName(d, d.code))));
      controls.push(field(t('common.department'), control));
    } else if (name === 'target') {
      control = h('input', { name, required: true, pattern: 'C[0-9A-Z]{26}', value: item.possible_duplicates?.[0] || '' });
      controls.push(field(t('merge.target'), control));
    } else if (name === 'hours') {
      control = h('input', { name, type: 'number', min: '0.5', max: '720', step: '0.5', value: '24', required: true });
      controls.push(field(t('common.hours'), control));
    } else if (name === 'passed') {
      const pass = h('input', { type: 'radio', name: `${action}-passed`, value: 'true', id: `${action}-pass`, checked: true });
      const fail = h('input', { type: 'radio', name: `${action}-passed`, value: 'false', id: `${action}-fail` });
      control = { get value() { return pass.checked; } };
      controls.push(h('fieldset', { class: 'field' }, h('legend', {}, t('tasks.result')),
        h('label', { class: 'inline' }, pass, ' ', t('tasks.pass')), h('label', { class: 'inline' }, fail, ' ', t('tasks.fail'))));
    } else if (name === 'photos') {
      control = h('input', { name, type: 'file', accept: 'image/*', capture: 'environment', multiple: true, required: required ? true : null });
      controls.push(field(t('common.photos'), filePicker(control)));
    } else {
      control = h('textarea', { name, rows: 2, required: required ? true : null, maxlength: 2000 });
      controls.push(field(t(name === 'reason' ? 'common.reason' : 'common.note'), control));
    }
    inputs[name] = control;
  }
  const status = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: PRIMARY.has(action) ? 'primary' : '' }, t(`action.${action}`));
  const form = h('form', { class: 'action-form', dataset: { action } }, ...controls, status, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.replaceChildren();
    try {
      const body = { version: item.version };
      for (const [name, control] of Object.entries(inputs)) {
        if (name === 'photos') {
          const ids = [];
          for (const file of control.files) ids.push((await upload(`/api/v1/cases/${item.case_id}/attachments`, file)).attachment_id);
          body.attachments = ids;
        } else if (name === 'target') body.target_case_id = control.value.trim();
        else if (name === 'hours') body.hours = Number(control.value);
        else if (name === 'passed') body.passed = control.value;
        else if (name === 'department') body.department = control.value;
        else if (control.value.trim()) body[name] = control.value.trim();
      }
      const after = await post(`/api/v1/cases/${item.case_id}/${action}`, body);
      onDone(after, t('common.saved', { what: t(`action.${action}`) }));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && onConflict) {
        onConflict(t('case.conflict', { msg: message(error) })); // someone moved the case: show it as it is now
        return;
      }
      status.append(alertBox(t('common.error', { msg: message(error) })));
      submit.disabled = false;
    }
  });
  return form;
}

export default async function casePage(main, { id }, { navigate }) {
  await loadReference();
  let notice = null; // { kind: 'ok' | 'error', text } for the next draw
  let shown = 0; // the version on screen: the stream's echo of our own action redraws nothing
  let drawing = 0; // only the latest draw reaches the screen
  let following = null; // my subscription to this case, if I follow it
  try {
    following = (await get('/api/v1/notifications/subscriptions')).items.find((s) => s.kind === 'case' && s.target === id) || null;
  } catch { /* the button then offers to follow */ }
  const follow = h('button', { type: 'button', class: 'small', id: 'follow-case' });
  const drawFollow = () => { follow.textContent = t(following ? 'case.unfollow' : 'case.follow'); follow.setAttribute('aria-pressed', following ? 'true' : 'false'); };
  follow.addEventListener('click', async () => {
    try {
      if (following) { await del(`/api/v1/notifications/subscriptions/${encodeURIComponent(following.subscription_id)}`); following = null; }
      else following = await post('/api/v1/notifications/subscriptions', { kind: 'case', target: id });
    } catch { /* unchanged: the label still says what holds */ }
    drawFollow();
  });
  drawFollow();

  async function reload(said) {
    try { notice = said; await draw(await get(`/api/v1/cases/${encodeURIComponent(id)}`)); } catch { /* keep what is shown */ }
  }

  async function draw(item) {
    const mine = ++drawing;
    const said = notice; // { kind, text } above the case, once
    notice = null;
    const facts = [
      [t('common.status'), statusBadge(item.status)], [t('common.stage_deadline'), h('span', {}, lightBadge(item.light), ' ', formatTime(item.stage_deadline))],
      [t('common.category'), categoryName(item.category)], [t('common.priority'), t(`priority.${item.priority}`)],
      [t('common.street'), placeName(item.street)], [t('common.community'), placeName(item.community)], [t('common.grid'), placeName(item.grid)],
      [t('common.department'), departmentName(item.department)], [t('common.deadline'), formatTime(item.deadline)],
      [t('common.reported_at'), formatTime(item.reported_at || item.created_at)],
    ];
    const flags = [item.supervised ? h('span', { class: 'badge badge-supervised' }, t('case.supervised')) : null,
      item.suspended ? h('span', { class: 'badge' }, t('case.suspended')) : null,
      item.rework_count ? h('span', { class: 'badge badge-returned' }, t('case.rework', { n: item.rework_count })) : null,
      item.suggestion?.department && !item.department ? h('span', { class: 'badge' }, t('case.suggestion', { dept: departmentName(item.suggestion.department) })) : null];
    const actions = h('div', { class: 'actions' });
    const allowed = item.allowed_actions || [];
    if (!allowed.length) actions.append(h('p', { class: 'hint' }, t('case.actions.none')));
    for (const action of allowed) {
      const details = h('details', { class: 'action', dataset: { action } },
        h('summary', {}, t(`action.${action}`)),
        actionForm(action, item, (after, text) => { notice = { kind: 'ok', text }; draw(after); },
          (text) => reload({ kind: 'error', text })));
      actions.append(details);
    }
    const duplicates = item.possible_duplicates?.length ? h('ul', { class: 'duplicates' }, item.possible_duplicates.map((other) => h('li', {},
      h('a', { href: `/cases/${other}`, 'data-link': true, class: 'case-id' }, other)))) : null;
    const timeline = h('ol', { class: 'timeline' }, (item.history || []).map((entry) => h('li', {},
      h('time', { datetime: entry.at }, formatTime(entry.at)), ' ',
      h('strong', {}, t(`action.${entry.action}`)),
      entry.to ? h('span', {}, ' → ', t(`status.${entry.to}`)) : null,
      entry.rating ? h('span', { class: 'rating', dataset: { rating: entry.rating } }, ' · ', t(`rating.${entry.rating}`)) : null,
      h('span', { class: 'who' }, ' · ', ['system', 'public'].includes(entry.actor?.role) ? t(`role.${entry.actor.role}`) // not an id
        : t('case.by', { who: entry.actor?.name || entry.actor?.user_id || '', role: t(`role.${entry.actor?.role}`) })),
      entry.department ? h('span', {}, ' · ', departmentName(entry.department)) : null,
      entry.note_key ? h('p', { class: 'note' }, serverText(entry.note_key, entry.note_params || {}))
        : entry.note ? h('p', { class: 'note' }, entry.note) : null)));
    const photos = [...(item.attachments || [])];
    // a section with nothing in it is not drawn
    const section = async (title, note, ids) => (note || ids?.length
      ? h('div', {}, h('h2', {}, title), note ? h('p', { class: 'description' }, note) : null, ids?.length ? await photoList(ids) : null) : null);
    const parts = [
      h('div', { class: 'page-head' }, h('h1', { class: 'case-title' }, t('case.title', { id: item.case_id })),
        h('div', { class: 'flags' }, flags, follow)),
      said ? alertBox(said.text, said.kind) : null,
      h('div', { class: 'case-grid' },
        h('section', { class: 'card' },
          h('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
          h('h2', {}, t('common.description')), h('p', { class: 'description' }, item.description || ''),
          await section(t('case.photos'), null, photos),
          item.resolution ? await section(t('case.resolution'), item.resolution.note, item.resolution.attachments) : null,
          item.verification ? await section(t('case.verification'), item.verification.note, item.verification.attachments) : null),
        h('section', { class: 'card', 'aria-labelledby': 'actions-title' }, h('h2', { id: 'actions-title' }, t('case.actions')), actions,
          duplicates ? h('h2', {}, t('case.duplicates')) : null, duplicates),
        h('section', { class: 'card wide' }, h('h2', {}, t('case.timeline')), timeline))];
    if (mine !== drawing) return; // a newer draw started meanwhile
    shown = item.version || 0;
    clear(main).append(...parts.filter(Boolean));
  }

  try {
    await draw(await get(`/api/v1/cases/${encodeURIComponent(id)}`));
  } catch (error) {
    main.append(h('h1', {}, t('case.title', { id })), alertBox(t('common.error', { msg: message(error) })));
    return null;
  }
  // redraw when someone else moves the case (unless a form is open)
  const close = openStream(async (event) => {
    if (event.data?.case?.case_id !== id) return;
    if ((event.data.case.version || 0) <= shown) return;
    if (main.querySelector('details[open]')) return;
    let item;
    try { item = await get(`/api/v1/cases/${encodeURIComponent(id)}`); } catch { return; /* keep what is shown */ }
    // a form opened while the case was fetched: leave it alone (its action answers with the new state)
    if (main.querySelector('details[open]') || (item.version || 0) <= shown) return;
    await draw(item);
  });
  void navigate;
  return close;
}
