// People: everyone, filtered by role and department; create a person, change their name, roles, department,
// language and contacts, deactivate or reactivate them, set a new password (a lost phone: it signs them out
// everywhere). A person's grids come from the grid map (its grids' officers and leader), shown here.
import { get, post, put } from '../../api.js';
import { h } from '../../dom.js';
import { localName, t } from '../../i18n.js';
import { gridMap } from '../../places.js';
import { button, checkbox, checked, formCard, IDENTIFIER, input, labelled, select, submit, table, value } from './kit.js';

const ROLES = ['grid_officer', 'grid_leader', 'operator', 'handler', 'department_head', 'supervisor', 'admin'];
const DEPARTMENT_ROLES = ['handler', 'department_head'];
const LANGUAGES = [['zh-CN', '中文'], ['en', 'English']];
// shared/api/directory.py: UserSchema, UserWriteSchema
const USERNAME = '[A-Za-z0-9_.\\-@]{2,64}';

async function gridsOfPeople() {
  const byPerson = new Map();
  const add = (id, code) => { if (!byPerson.has(id)) byPerson.set(id, []); byPerson.get(id).push(code); };
  try {
    for (const f of (await gridMap()).features) {
      const p = f.properties || {};
      if (p.level !== 'grid') continue;
      for (const id of p.officers || []) add(id, p.code);
      if (p.leader) add(p.leader, p.code);
    }
  } catch { /* no map yet: nobody has grids */ }
  return byPerson;
}

function personForm(person, departments, onSaved) {
  const creating = !person;
  const p = person || { roles: [], language: 'zh-CN', active: true };
  const userId = input('user_id', { required: true, pattern: IDENTIFIER, maxlength: 128, value: p.user_id || '',
    readonly: creating ? null : true });
  const username = input('username', { required: true, pattern: USERNAME, value: p.username || '', autocomplete: 'off' });
  const name = input('name', { required: true, maxlength: 100, value: p.name || '' });
  const roleBoxes = ROLES.map((role) => h('input', { type: 'checkbox', name: 'roles', value: role,
    checked: p.roles.includes(role) ? true : null }));
  const roles = h('fieldset', { class: 'field roles' }, h('legend', {}, t('admin.user.roles')),
    roleBoxes.map((box) => h('label', { class: 'inline' }, box, ' ', t(`role.${box.value}`))));
  const department = select('department', departments.map((d) => [d.code, localName(d, d.code)]), p.department || '',
    { blank: t('admin.none') });
  const language = select('language', LANGUAGES, p.language);
  const phone = input('phone', { type: 'tel', maxlength: 40, value: p.phone || '' });
  const email = input('email', { type: 'email', value: p.email || '' });
  const active = checkbox('active', p.active);
  const password = input('password', { type: 'password', minlength: 10, maxlength: 200, required: creating ? true : null,
    autocomplete: 'new-password' });
  const { form, status, card } = formCard(creating ? 'person-new' : 'person-edit',
    creating ? t('admin.user.new') : t('admin.user.edit', { name: p.name }), [
      labelled('admin.user.id', userId, creating ? t('admin.user.id.hint') : null),
      labelled('admin.user.username', username), labelled('admin.user.name', name), roles,
      labelled('common.department', department, t('admin.user.department.hint')),
      labelled('admin.user.language', language), labelled('admin.user.phone', phone), labelled('admin.user.email', email),
      checked('admin.active', active),
      creating ? labelled('admin.user.password', password, t('admin.password.hint')) : null,
    ], creating ? t('admin.create') : t('admin.save'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = roleBoxes.filter((b) => b.checked).map((b) => b.value);
    roleBoxes[0].setCustomValidity(chosen.length ? '' : t('admin.user.roles.need'));
    department.setCustomValidity(chosen.some((r) => DEPARTMENT_ROLES.includes(r)) && !department.value
      ? t('admin.user.department.need') : '');
    const body = { username: username.value.trim(), name: name.value.trim(), roles: chosen,
      department: value(department), language: language.value, phone: value(phone), email: value(email),
      active: active.checked };
    if (creating) body.password = password.value;
    const ok = await submit(form, status, async () => {
      await put(`/api/v1/directory/users/${encodeURIComponent(userId.value.trim())}`, body);
      return t('admin.saved');
    });
    if (ok) await onSaved();
  });
  return card;
}

function passwordForm(person) {
  const password = input('password', { type: 'password', required: true, minlength: 10, maxlength: 200,
    autocomplete: 'new-password' });
  const { form, status, card } = formCard('person-password', t('admin.user.reset', { name: person.name }),
    [labelled('admin.user.password', password, t('admin.user.reset.hint'))], t('admin.user.reset.submit'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submit(form, status, async () => {
      await post(`/api/v1/directory/users/${encodeURIComponent(person.user_id)}/password`, { password: password.value });
      password.value = '';
      return t('admin.user.reset.done');
    });
  });
  return card;
}

export default async function people(main) {
  const departments = await get('/api/v1/directory/departments');
  const grids = await gridsOfPeople();
  const role = select('role', ROLES.map((r) => [r, t(`role.${r}`)]), '', { blank: t('map.all') });
  const department = select('department', departments.map((d) => [d.code, localName(d, d.code)]), '', { blank: t('map.all') });
  const search = input('q', { type: 'search' });
  const listBox = h('div', {});
  const editor = h('div', { id: 'person-editor' });
  const status = h('div', { 'aria-live': 'polite', id: 'people-status' });
  let everyone = [];

  const open = (person) => {
    editor.replaceChildren(personForm(person, departments, load), person ? passwordForm(person) : '');
    editor.querySelector('input:not([readonly])')?.focus();
    editor.scrollIntoView({ block: 'start' });
  };
  const setActive = async (person, active) => {
    await submit(h('form'), status, async () => {
      const { revision, ...record } = person; // eslint-disable-line no-unused-vars
      await put(`/api/v1/directory/users/${encodeURIComponent(person.user_id)}`, { ...record, active });
      await load();
      return t(active ? 'admin.user.reactivated' : 'admin.user.deactivated', { name: person.name });
    });
  };
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const shown = everyone.filter((u) => !q || u.username.toLowerCase().includes(q) || u.name.toLowerCase().includes(q)
      || u.user_id.toLowerCase().includes(q));
    const rows = shown.slice(0, 50).map((u) => [
      h('span', { class: 'code' }, u.username), u.name, u.roles.map((r) => t(`role.${r}`)).join(t('error.list_separator')),
      u.department ? localName(departments.find((d) => d.code === u.department), u.department) : '—',
      (grids.get(u.user_id) || []).join(' '),
      u.active ? t('admin.active') : h('span', { class: 'badge badge-inactive' }, t('admin.inactive')),
      h('span', { class: 'row-actions' }, button(t('admin.edit'), () => open(u), { 'aria-label': `${t('admin.edit')} ${u.username}` }),
        button(u.active ? t('admin.user.deactivate') : t('admin.user.reactivate'), () => setActive(u, !u.active),
          { 'aria-label': `${u.active ? t('admin.user.deactivate') : t('admin.user.reactivate')} ${u.username}` })),
    ]);
    listBox.replaceChildren(h('p', { class: 'hint' }, t('admin.shown', { n: Math.min(shown.length, 50), total: shown.length })),
      table(['admin.user.username', 'admin.user.name', 'admin.user.roles', 'common.department', 'admin.user.grids',
        'common.status', ''], rows, { id: 'people' }));
  };
  async function load() {
    const query = new URLSearchParams();
    if (role.value) query.set('role', role.value);
    if (department.value) query.set('department', department.value);
    everyone = await get(`/api/v1/directory/users?${query}`);
    draw();
  }
  role.addEventListener('change', load);
  department.addEventListener('change', load);
  search.addEventListener('input', draw);
  main.append(editor, h('section', { class: 'card' },
    h('div', { class: 'controls' }, labelled('admin.user.roles', role), labelled('common.department', department),
      labelled('admin.search', search), h('div', { class: 'buttons' }, button(t('admin.user.new'), () => open(null), { id: 'new-person' }))),
    h('p', { class: 'hint' }, t('admin.user.grids.hint')), status, listBox), editor);
  await load();
}
