// 指挥中心: the live queue (overdue and returned first), and the district map with every open case.
import { message } from '../api.js';
import { clear, field, h } from '../dom.js';
import { localName, t } from '../i18n.js';
import { caseMarker, caseMarkers, districtMap, heatLayer } from '../map.js';
import { MAX_MAP, readList, showListEnd } from '../paging.js';
import { placeName, placeNames } from '../places.js';
import { categoryList, departmentList, departmentName, loadReference } from '../ref.js';
import { openStream } from '../stream.js';
import { alertBox, caseRow } from '../widgets.js';

const OPEN = ['reported', 'registered', 'dispatched', 'accepted', 'resolved', 'verified'];
const LIGHTS = ['red', 'yellow', 'green', 'none'];

/** The map's filters: street, community, department, category, status, light; ``onChange(test)`` on every change. */
function mapFilters(places, onChange) {
  const option = (value, text) => h('option', { value }, text);
  const all = () => option('', t('map.all'));
  const select = (name, options) => h('select', { name, id: `filter-${name}` }, all(), options);
  const street = select('street', places ? places.ofLevel('street').map((p) => option(p.code, p.name)) : []);
  const community = select('community', []);
  const drawCommunities = () => {
    const list = places ? places.ofLevel('community').filter((p) => !street.value || p.parent === street.value) : [];
    community.replaceChildren(all(), ...list.map((p) => option(p.code, street.value ? p.name : p.label)));
  };
  drawCommunities();
  const department = select('department', departmentList().map((d) => option(d.code, localName(d, d.code))));
  const category = select('category', categoryList().map((c) => option(c.code, localName(c, c.code))));
  const status = select('status', OPEN.map((code) => option(code, t(`status.${code}`))));
  const light = select('light', LIGHTS.map((code) => option(code, t(`light.${code}`))));
  const test = (item) => (!street.value || item.street === street.value)
    && (!community.value || item.community === community.value)
    && (!department.value || item.department === department.value)
    && (!category.value || item.category === category.value)
    && (!status.value || item.status === status.value)
    && (!light.value || (item.light || 'none') === light.value);
  street.addEventListener('change', () => { drawCommunities(); onChange(test); });
  for (const control of [community, department, category, status, light]) control.addEventListener('change', () => onChange(test));
  const box = h('fieldset', { class: 'controls map-filters' }, h('legend', {}, t('map.filters')),
    field(t('common.street'), street), field(t('common.community'), community), field(t('common.department'), department),
    field(t('common.category'), category), field(t('common.status'), status), field(t('map.light'), light));
  return { box, test };
}
function rank(item) {
  if (item.light === 'red') return 0;
  if (item.returned) return 1;
  return 2;
}

export default async function command(main, _params, { navigate }) {
  await loadReference();
  const live = h('p', { class: 'live', role: 'status', 'aria-live': 'polite' }, t('live.closed'));
  const list = h('ol', { class: 'case-list', id: 'queue', 'aria-label': t('queue.title') });
  const queueEnd = h('div', {});
  const mapEnd = h('div', {});
  const mapBox = h('div', { class: 'map', id: 'district-map', role: 'region', 'aria-label': t('map.title') });
  const problems = h('div', {});
  const places = await placeNames().catch(() => null);
  let test = () => true;
  const filters = mapFilters(places, (changed) => { test = changed; drawMarkers(); });
  test = filters.test;
  const heat = h('input', { type: 'checkbox', id: 'heat-layer' });
  const mapCount = h('p', { class: 'hint', id: 'map-count', role: 'status' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.command')), live),
    problems,
    h('div', { class: 'command-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'queue-title' },
        h('h2', { id: 'queue-title' }, t('queue.title')), h('p', { class: 'hint' }, t('queue.hint')), list, queueEnd),
      h('section', { class: 'card', 'aria-labelledby': 'map-title' },
        h('h2', { id: 'map-title' }, t('map.title')), h('p', { class: 'hint' }, t('map.hint')), filters.box,
        h('label', { class: 'inline' }, heat, ' ', t('map.heat')), mapCount, mapEnd, mapBox)));

  let fresh = new Set();
  let known = null;

  async function loadQueue() {
    const page = await readList('/api/v1/cases/queue');
    showListEnd(queueEnd, page.items.length, page.next);
    const items = [...page.items].sort((a, b) => rank(a) - rank(b));
    const ids = new Set(items.map((i) => i.case_id));
    if (known) items.forEach((i) => { if (!known.has(i.case_id)) fresh.add(i.case_id); });
    known = ids;
    clear(list);
    if (!items.length) list.append(h('li', { class: 'empty' }, t('common.none')));
    for (const item of items) {
      const tags = [];
      if (item.status === 'reported') tags.push(h('span', { class: 'badge badge-new' }, t('queue.new')));
      if (item.returned) tags.push(h('span', { class: 'badge badge-returned' }, t('queue.returned')));
      if (item.light === 'red') tags.push(h('span', { class: 'badge badge-overdue' }, t('queue.overdue')));
      if (item.suggestion?.department) tags.push(h('span', { class: 'badge' }, t('queue.suggest', { dept: departmentName(item.suggestion.department) })));
      if (item.possible_duplicates?.length) tags.push(h('span', { class: 'badge badge-dup' }, t('queue.duplicates', { n: item.possible_duplicates.length })));
      const row = caseRow(item, tags);
      if (fresh.has(item.case_id)) row.classList.add('fresh');
      list.append(row);
    }
  }

  let mapParts = null;
  let markers = null;
  let openCases = [];
  function drawMarkers() {
    if (!markers) return;
    const shown = openCases.filter((i) => i.location && test(i));
    markers.clearLayers();
    markers.addLayers(shown.map((item) => caseMarker(item, (id) => navigate(`/cases/${id}`), placeName)));
    mapCount.textContent = t('map.count', { n: shown.length });
    mapCount.dataset.count = String(shown.length);
  }
  async function loadMarkers() {
    if (!markers) return;
    const page = await readList(`/api/v1/cases?status=${OPEN.join(',')}`, { max: MAX_MAP });
    openCases = page.items;
    showListEnd(mapEnd, openCases.length, page.next);
    drawMarkers();
  }
  let heatShown = null;
  heat.addEventListener('change', async () => {
    if (!mapParts) return;
    if (heatShown) { mapParts.map.removeLayer(heatShown); heatShown = null; }
    if (heat.checked) {
      try { heatShown = (await heatLayer(mapParts)).addTo(mapParts.map); } catch (error) {
        problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
      }
    }
  });

  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      loadQueue().catch((e) => problems.replaceChildren(alertBox(t('common.error', { msg: message(e) }))));
      loadMarkers().catch(() => {});
    }, 300);
  };

  try {
    await loadQueue();
  } catch (error) {
    problems.append(alertBox(t('common.error', { msg: message(error) })));
  }
  const close = openStream(() => refresh(), (state) => {
    live.textContent = t(`live.${state}`);
    live.dataset.state = state;
    if (state === 'open') refresh(); // after a reconnect, catch up
  });
  districtMap(mapBox).then((parts) => {
    mapParts = parts;
    markers = caseMarkers(parts.map);
    return loadMarkers();
  }).catch((error) => problems.append(alertBox(t('common.error', { msg: message(error) }))));

  return () => { close(); clearTimeout(timer); mapParts?.map.remove(); };
}
