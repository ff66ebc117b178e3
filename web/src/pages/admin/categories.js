// Categories (事件类别): names, 部件/事件, owning department, priority, the hours each stage may take (also per
// priority), the clock, the escalation policy, duplicate detection, and the typed extra fields a report of the
// category carries (Open311 attributes: text, number, date and time, one or several of a list).
import { get } from '../../api.js';
import { h } from '../../dom.js';
import { localName, t } from '../../i18n.js';
import { button, checkbox, checked, CODE, formCard, input, labelled, select, submit, value } from './kit.js';
import { itemsSection, saveItem, writable } from './items.js';

const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
const STAGES = ['dispatch', 'sign_for', 'disposal', 'verification'];
// shared/api/directory.py: DATATYPES, AttributeSchema, AttributeValueSchema
const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'];
const ATTRIBUTE_CODE = '[A-Za-z][A-Za-z0-9_]{0,63}';
const VALUE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

function limitsFields(prefix, limits) {
  const boxes = STAGES.map((stage) => input(`${prefix}${stage}`, { type: 'number', step: 'any', min: '0.01', required: true,
    value: limits?.[stage] ?? '' }));
  return { boxes, read: () => Object.fromEntries(STAGES.map((s, i) => [s, Number(boxes[i].value)])),
    nodes: boxes.map((box, i) => labelled(`admin.cat.stage.${STAGES[i]}`, box)) };
}

/** One extra field; its list values as lines "key = English name = 中文名". */
function attributeRow(attr) {
  const a = attr || { code: '', description: '', description_zh: '', datatype: 'string', required: false, order: 0, values: [] };
  const code = input('attributes.code', { required: true, pattern: ATTRIBUTE_CODE, value: a.code });
  const description = input('attributes.description', { required: true, maxlength: 500, value: a.description });
  const descriptionZh = input('attributes.description_zh', { maxlength: 500, value: a.description_zh || '' });
  const datatype = select('attributes.datatype', DATATYPES.map((d) => [d, t(`admin.cat.type.${d}`)]), a.datatype);
  const required = checkbox('attributes.required', a.required);
  const order = input('attributes.order', { type: 'number', step: '1', value: a.order ?? 0 });
  const values = h('textarea', { name: 'attributes.values', rows: 3 },
    (a.values || []).map((v) => [v.key, v.name, v.name_zh].filter((x) => x !== null && x !== undefined).join(' = ')).join('\n'));
  const valuesField = labelled('admin.cat.attr.values', values, t('admin.cat.attr.values.hint'));
  valuesField.classList.add('wide');
  const showValues = () => { valuesField.hidden = !datatype.value.endsWith('valuelist'); };
  datatype.addEventListener('change', showValues);
  showValues();
  const row = h('fieldset', { class: 'sub-row attribute' }, h('legend', {}, t('admin.cat.attr')),
    labelled('admin.cat.attr.code', code), labelled('admin.cat.attr.description', description),
    labelled('admin.cat.attr.description_zh', descriptionZh), labelled('admin.cat.attr.datatype', datatype),
    labelled('admin.cat.attr.order', order), checked('admin.cat.attr.required', required), valuesField,
    button(t('admin.cat.attr.remove'), () => row.remove()));
  row.read = () => {
    const list = datatype.value.endsWith('valuelist') ? values.value.split('\n').map((l) => l.trim()).filter(Boolean)
      .map((line) => { const [key, name, nameZh] = line.split('=').map((x) => x.trim()); return { key, name: name || key, name_zh: nameZh || null }; }) : [];
    const bad = list.find((v) => !VALUE_KEY.test(v.key));
    values.setCustomValidity(datatype.value.endsWith('valuelist') && !list.length ? t('admin.cat.attr.values.need')
      : bad ? t('admin.cat.attr.values.bad', { key: bad.key }) : '');
    return { code: code.value.trim(), description: description.value.trim(), description_zh: value(descriptionZh),
      datatype: datatype.value, required: required.checked, order: Number(order.value || 0), values: list };
  };
  return row;
}

export default async function categories(main) {
  // read afresh, not from the page load's reference: a department made a moment ago on the next tab is listed
  const [policies, departmentList] = await Promise.all([get('/api/v1/escalation-policies').catch(() => []),
    get('/api/v1/directory/departments')]);
  const departments = departmentList.map((d) => [d.code, localName(d, d.code)]);

  function editor(item, done) {
    const c = item || { kind: 'event', priority: 'normal', clock: 'working', escalation_policy: 'default',
      duplicate_radius_m: 50, duplicate_window_hours: 72, active: true, public: false, attributes: [], keywords: [],
      limits_by_priority: {}, limits_hours: {} };
    const code = input('code', { required: true, pattern: CODE, value: c.code || '', readonly: item ? true : null });
    const nameZh = input('name_zh', { required: true, maxlength: 100, value: c.name_zh || '' });
    const nameEn = input('name_en', { required: true, maxlength: 100, value: c.name_en || '' });
    const kind = select('kind', [['event', t('admin.cat.kind.event')], ['component', t('admin.cat.kind.component')]], c.kind);
    const department = select('department', departments, c.department);
    const priority = select('priority', PRIORITIES.map((p) => [p, t(`priority.${p}`)]), c.priority);
    const clock = select('clock', [['working', t('admin.cat.clock.working')], ['24x7', t('admin.cat.clock.24x7')]], c.clock);
    const policy = select('escalation_policy', policies.map((p) => [p.policy_id, p.name ? `${p.name} (${p.policy_id})` : p.policy_id]),
      c.escalation_policy);
    const limits = limitsFields('limits_hours.', c.limits_hours);
    const byPriority = PRIORITIES.map((p) => {
      const own = checkbox(`limits_by_priority.${p}`, Boolean(c.limits_by_priority?.[p]));
      const fields = limitsFields(`limits_by_priority.${p}.`, c.limits_by_priority?.[p]);
      const box = h('div', { class: 'sub-row', hidden: own.checked ? null : true }, fields.nodes);
      const sync = () => { box.hidden = !own.checked; fields.boxes.forEach((b) => { b.disabled = !own.checked; }); };
      own.addEventListener('change', sync);
      sync();
      return { p, own, fields, node: h('div', {}, checked(`priority.${p}`, own), box) };
    });
    const radius = input('duplicate_radius_m', { type: 'number', step: 'any', min: '0', max: '5000', value: c.duplicate_radius_m });
    const window_ = input('duplicate_window_hours', { type: 'number', step: 'any', min: '0', max: String(24 * 365), value: c.duplicate_window_hours });
    const keywords = input('keywords', { value: (c.keywords || []).join(', ') });
    const groupCode = input('group.code', { pattern: CODE, value: c.group?.code || '' });
    const groupZh = input('group.name_zh', { maxlength: 100, value: c.group?.name_zh || '' });
    const groupEn = input('group.name_en', { maxlength: 100, value: c.group?.name_en || '' });
    const active = checkbox('active', c.active);
    const isPublic = checkbox('public', c.public);
    const attributes = h('div', { class: 'sub-rows', id: 'attributes' }, (c.attributes || []).map(attributeRow));
    const { form, status, card } = formCard('category-form', item ? t('admin.cat.edit', { code: c.code }) : t('admin.cat.new'), [
      labelled('admin.code', code), labelled('admin.name_zh', nameZh), labelled('admin.name_en', nameEn),
      labelled('admin.cat.kind', kind), labelled('common.department', department), labelled('common.priority', priority),
      labelled('admin.cat.clock', clock), labelled('admin.cat.policy', policy),
      h('fieldset', { class: 'field' }, h('legend', {}, t('admin.cat.limits')), limits.nodes),
      h('fieldset', { class: 'field' }, h('legend', {}, t('admin.cat.limits_by_priority')), byPriority.map((b) => b.node)),
      labelled('admin.cat.radius', radius), labelled('admin.cat.window', window_),
      labelled('admin.cat.keywords', keywords, t('admin.cat.keywords.hint')),
      labelled('admin.cat.group_code', groupCode, t('admin.cat.group.hint')), labelled('admin.cat.group_zh', groupZh),
      labelled('admin.cat.group_en', groupEn),
      h('div', { class: 'wide' }, checked('admin.active', active), checked('admin.cat.public', isPublic)),
      h('fieldset', { class: 'field attributes' }, h('legend', {}, t('admin.cat.attrs')), attributes,
        button(t('admin.cat.attr.add'), () => attributes.append(attributeRow(null)), { id: 'add-attribute' })),
    ], item ? t('admin.save') : t('admin.create'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const attrs = [...attributes.children].map((row) => row.read());
      const group = value(groupCode);
      [groupZh, groupEn].forEach((box) => { box.required = Boolean(group); });
      const body = { ...(item ? writable(item) : {}), name_zh: nameZh.value.trim(), name_en: nameEn.value.trim(),
        kind: kind.value, department: department.value, priority: priority.value, clock: clock.value,
        escalation_policy: policy.value, limits_hours: limits.read(),
        limits_by_priority: Object.fromEntries(byPriority.filter((b) => b.own.checked).map((b) => [b.p, b.fields.read()])),
        duplicate_radius_m: Number(radius.value), duplicate_window_hours: Number(window_.value),
        keywords: keywords.value.split(/[,，]/).map((k) => k.trim()).filter(Boolean),
        group: group ? { code: group, name_zh: groupZh.value.trim(), name_en: groupEn.value.trim() } : null,
        active: active.checked, public: isPublic.checked, attributes: attrs };
      if (await submit(form, status, () => saveItem('categories', code.value.trim(), body))) await done();
    });
    return card;
  }

  return itemsSection(main, {
    path: 'categories', id: 'categories', keyOf: (c) => c.code, newLabel: t('admin.cat.new'), editor,
    columns: ['admin.code', 'common.category', 'common.department', 'common.priority', 'admin.cat.limits', 'admin.cat.attrs', 'common.status'],
    cells: (c) => [h('span', { class: 'code' }, c.code), localName(c, c.code),
      localName(departmentList.find((d) => d.code === c.department), c.department), t(`priority.${c.priority}`),
      STAGES.map((s) => `${c.limits_hours[s]}`).join(' / ') + ` ${t('admin.cat.hours')}`,
      (c.attributes || []).map((a) => `${localName({ name_zh: a.description_zh, name_en: a.description }, a.code)} (${t(`admin.cat.type.${a.datatype}`)})`).join(t('error.list_separator')) || '—',
      c.active ? t('admin.active') : h('span', { class: 'badge badge-inactive' }, t('admin.inactive'))],
  });
}
