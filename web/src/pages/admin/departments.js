// Departments (职能部门): code, names in both languages, contacts, whether in service.
import { h } from '../../dom.js';
import { t } from '../../i18n.js';
import { checkbox, checked, CODE, formCard, input, labelled, submit, value } from './kit.js';
import { itemsSection, saveItem, writable } from './items.js';

function editor(item, done) {
  const d = item || { active: true };
  const code = input('code', { required: true, pattern: CODE, value: d.code || '', readonly: item ? true : null });
  const nameZh = input('name_zh', { required: true, maxlength: 100, value: d.name_zh || '' });
  const nameEn = input('name_en', { required: true, maxlength: 100, value: d.name_en || '' });
  const phone = input('phone', { type: 'tel', maxlength: 40, value: d.phone || '' });
  const email = input('email', { type: 'email', value: d.email || '' });
  const active = checkbox('active', d.active);
  const { form, status, card } = formCard('department-form', item ? t('admin.dept.edit', { code: d.code }) : t('admin.dept.new'),
    [labelled('admin.code', code, item ? null : t('admin.code.hint')), labelled('admin.name_zh', nameZh),
      labelled('admin.name_en', nameEn), labelled('admin.user.phone', phone), labelled('admin.user.email', email),
      checked('admin.active', active)], item ? t('admin.save') : t('admin.create'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await submit(form, status, () => saveItem('departments', code.value.trim(), {
      ...(item ? writable(item) : {}), name_zh: nameZh.value.trim(), name_en: nameEn.value.trim(), phone: value(phone),
      email: value(email), active: active.checked }))) await done();
  });
  return card;
}

export default function departments(main) {
  return itemsSection(main, {
    path: 'departments', id: 'departments', keyOf: (d) => d.code, newLabel: t('admin.dept.new'), editor,
    columns: ['admin.code', 'admin.name_zh', 'admin.name_en', 'admin.user.phone', 'common.status'],
    cells: (d) => [h('span', { class: 'code' }, d.code), d.name_zh, d.name_en, d.phone || '—',
      d.active ? t('admin.active') : h('span', { class: 'badge badge-inactive' }, t('admin.inactive'))],
  });
}
