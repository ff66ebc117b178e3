// Routing rules (派遣规则): category × (street or community, optional) → department, the most specific rule winning;
// automatic ones dispatch without an operator, and with the second box reports from the public too.
import { h } from '../../dom.js';
import { localName, t } from '../../i18n.js';
import { placeNames } from '../../places.js';
import { get } from '../../api.js';
import { checkbox, checked, formCard, IDENTIFIER, input, labelled, select, submit, value } from './kit.js';
import { itemsSection, saveItem, writable } from './items.js';

export default async function routing(main) {
  const places = await placeNames().catch(() => null);
  // read afresh, not from the page load's reference: what was made a moment ago on another tab is listed
  const [categoryList, departmentList] = await Promise.all([get('/api/v1/directory/categories'),
    get('/api/v1/directory/departments')]);
  const placeName = (code) => (code ? places?.name(code) || code : '—');
  const categories = categoryList.map((c) => [c.code, localName(c, c.code)]);
  const departments = departmentList.map((d) => [d.code, localName(d, d.code)]);
  const ofLevel = (level) => (places?.ofLevel(level) || []).map((p) => [p.code, p.label]);

  function editor(item, done) {
    const r = item || { automatic: false, dispatch_public_reports: false };
    const ruleId = input('rule_id', { required: true, pattern: IDENTIFIER, value: r.rule_id || '', readonly: item ? true : null });
    const category = select('category', categories, r.category);
    const street = select('street', ofLevel('street'), r.street || '', { blank: t('admin.route.anywhere') });
    const community = select('community', ofLevel('community'), r.community || '', { blank: t('admin.route.anywhere') });
    const department = select('department', departments, r.department);
    const automatic = checkbox('automatic', r.automatic);
    const publicToo = checkbox('dispatch_public_reports', r.dispatch_public_reports);
    const { form, status, card } = formCard('rule-form', item ? t('admin.route.edit', { id: r.rule_id }) : t('admin.route.new'), [
      labelled('admin.route.id', ruleId), labelled('common.category', category), labelled('common.street', street),
      labelled('common.community', community, t('admin.route.place.hint')), labelled('common.department', department),
      h('div', { class: 'wide' }, checked('admin.route.automatic', automatic), checked('admin.route.public', publicToo)),
    ], item ? t('admin.save') : t('admin.create'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (await submit(form, status, () => saveItem('routing-rules', ruleId.value.trim(), {
        ...(item ? writable(item) : {}), category: category.value, street: value(street), community: value(community),
        department: department.value, automatic: automatic.checked, dispatch_public_reports: publicToo.checked,
      }))) await done();
    });
    return card;
  }

  return itemsSection(main, {
    path: 'routing-rules', id: 'routing-rules', keyOf: (r) => r.rule_id, newLabel: t('admin.route.new'), editor,
    columns: ['admin.route.id', 'common.category', 'admin.route.where', 'common.department', 'admin.route.mode'],
    cells: (r) => [h('span', { class: 'code' }, r.rule_id), localName(categoryList.find((c) => c.code === r.category), r.category),
      r.community ? placeName(r.community) : r.street ? placeName(r.street) : t('admin.route.anywhere'),
      localName(departmentList.find((d) => d.code === r.department), r.department),
      r.automatic ? t(r.dispatch_public_reports ? 'admin.route.auto_public' : 'admin.route.auto') : t('admin.route.operator')],
  });
}
