// 信息上报 (field app): category, description, place (GPS or a tap on the map), photos. Every report goes through
// the device's queue (offline.js), so one written without network is sent when the network returns.
import { message } from '../api.js';
import { field, h } from '../dom.js';
import { filePicker } from '../filepicker.js';
import { lang, localName, t } from '../i18n.js';
import { districtMap, pickPoint } from '../map.js';
import { enqueue, flush, onChange, pending, startBackgroundSending } from '../offline.js';
import { queuedEntry } from '../queued.js';
import { categoryList, loadReference } from '../ref.js';
import { session } from '../session.js';
import { alertBox } from '../widgets.js';

function attributeControl(attribute) {
  const label = (lang() === 'en' ? attribute.description : attribute.description_zh) || attribute.description;
  const name = `attr-${attribute.code}`;
  let control;
  if (attribute.datatype.endsWith('valuelist')) {
    control = h('select', { name, required: attribute.required ? true : null, multiple: attribute.datatype === 'multivaluelist' ? true : null },
      attribute.datatype === 'multivaluelist' ? null : h('option', { value: '' }, t('field.choose')),
      attribute.values.map((v) => h('option', { value: v.key }, (lang() === 'en' ? v.name : v.name_zh) || v.name)));
  } else if (attribute.datatype === 'number') {
    control = h('input', { name, type: 'number', required: attribute.required ? true : null });
  } else {
    control = h('input', { name, required: attribute.required ? true : null });
  }
  control.dataset.code = attribute.code;
  control.dataset.datatype = attribute.datatype;
  return field(label, control);
}

function attributeValue(control) {
  if (control.multiple) return [...control.selectedOptions].map((o) => o.value);
  if (control.dataset.datatype === 'number') return control.value === '' ? null : Number(control.value);
  return control.value === '' ? null : control.value;
}

export default async function fieldPage(main) {
  await loadReference();
  startBackgroundSending();
  const category = h('select', { name: 'category', required: true },
    h('option', { value: '' }, t('field.choose')),
    categoryList().map((c) => h('option', { value: c.code }, localName(c, c.code))));
  const attributes = h('div', { class: 'attributes' });
  const description = h('textarea', { name: 'description', rows: 3, required: true, maxlength: 4000 });
  const where = h('p', { class: 'where', id: 'where', 'aria-live': 'polite' }, t('field.location.none'));
  const gps = h('button', { type: 'button', id: 'use-gps' }, t('field.gps'));
  const mapBox = h('div', { class: 'map map-small', id: 'report-map', role: 'region', 'aria-label': t('map.tap') });
  const photos = h('input', { name: 'photos', type: 'file', accept: 'image/*', capture: 'environment', multiple: true });
  const previews = h('ul', { class: 'photos previews' });
  const status = h('div', { id: 'report-status', 'aria-live': 'polite' });
  const queued = h('p', { id: 'queued-count', class: 'queued', role: 'status' });
  const waiting = h('ul', { class: 'waiting' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('field.submit'));
  let point = null;
  let picker = null;

  const setPoint = (p, fromMap = false) => {
    point = { lat: Number(p.lat.toFixed(6)), lon: Number(p.lon.toFixed(6)) };
    where.textContent = t('field.location.set', { lat: point.lat, lon: point.lon });
    if (!fromMap) picker?.place(point);
  };

  category.addEventListener('change', () => {
    const chosen = categoryList().find((c) => c.code === category.value);
    attributes.replaceChildren(...[...(chosen?.attributes || [])].sort((a, b) => a.order - b.order).map(attributeControl));
  });
  gps.addEventListener('click', () => {
    if (!navigator.geolocation) { status.replaceChildren(alertBox(t('field.gps.failed'))); return; }
    navigator.geolocation.getCurrentPosition(
      (position) => setPoint({ lat: position.coords.latitude, lon: position.coords.longitude }),
      () => status.replaceChildren(alertBox(t('field.gps.failed'))), { enableHighAccuracy: true, timeout: 15000 });
  });
  photos.addEventListener('change', () => {
    previews.replaceChildren(...[...photos.files].slice(0, 9).map((file) => h('li', {}, h('img', { src: URL.createObjectURL(file), alt: file.name }))));
  });

  async function showQueue() {
    const items = await pending();
    queued.textContent = t('field.queued', { n: items.length });
    queued.dataset.count = String(items.length);
    waiting.replaceChildren(...items.map(queuedEntry));
  }
  const stop = onChange((result) => {
    showQueue();
    if (result?.ok) status.replaceChildren(alertBox(t('field.sent', { id: result.accepted.case_id }), 'ok'));
  });

  const form = h('form', { class: 'card', id: 'report-form' },
    h('h1', {}, t('field.title')),
    field(t('field.category'), category), attributes,
    field(t('common.description'), description),
    h('fieldset', { class: 'field' }, h('legend', {}, t('field.location')), gps, where, h('p', { class: 'hint' }, t('map.tap')), mapBox),
    field(t('field.photos'), filePicker(photos)), previews, status, submit,
    queued, waiting);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    if (!category.value) { status.append(alertBox(t('field.need_category'))); category.focus(); return; }
    if (!point) { status.append(alertBox(t('field.need_location'))); gps.focus(); return; }
    if (!form.reportValidity()) return;
    const attrs = {};
    attributes.querySelectorAll('[data-code]').forEach((control) => {
      const value = attributeValue(control);
      if (value !== null && !(Array.isArray(value) && !value.length)) attrs[control.dataset.code] = value;
    });
    submit.disabled = true;
    try {
      await enqueue({ category: category.value, description: description.value.trim(), location: point, attributes: attrs },
        [...photos.files]);
      form.reset();
      previews.replaceChildren();
      attributes.replaceChildren();
      const results = await flush();
      if (!results.length) status.replaceChildren(alertBox(t('field.saved_offline'), 'ok'));
    } catch (error) {
      status.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    } finally {
      submit.disabled = false;
      showQueue();
    }
  });
  main.append(form);
  showQueue();
  const grids = session().grids?.length ? session().grids : null;
  let parts = null;
  districtMap(mapBox, { onlyGrids: grids, withNeighbours: true }).then((made) => {
    parts = made;
    picker = pickPoint(made.map, (p) => setPoint(p, true));
    if (point) picker.place(point);
  }).catch(() => { /* no map offline: GPS still works */ });
  return () => { stop(); parts?.map.remove(); };
}
