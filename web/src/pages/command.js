// 指挥中心: the live queue (overdue and returned first), and the district map with every open case.
import { get, message } from '../api.js';
import { clear, h } from '../dom.js';
import { t } from '../i18n.js';
import { caseMarker, caseMarkers, districtMap } from '../map.js';
import { departmentName, loadReference } from '../ref.js';
import { openStream } from '../stream.js';
import { alertBox, caseRow } from '../widgets.js';

const OPEN = 'reported,registered,dispatched,accepted,resolved,verified';

function rank(item) {
  if (item.light === 'red') return 0;
  if (item.returned) return 1;
  return 2;
}

export default async function command(main, _params, { navigate }) {
  await loadReference();
  const live = h('p', { class: 'live', role: 'status', 'aria-live': 'polite' }, t('live.closed'));
  const list = h('ol', { class: 'case-list', id: 'queue', 'aria-label': t('queue.title') });
  const mapBox = h('div', { class: 'map', id: 'district-map', role: 'region', 'aria-label': t('map.title') });
  const problems = h('div', {});
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.command')), live),
    problems,
    h('div', { class: 'command-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'queue-title' },
        h('h2', { id: 'queue-title' }, t('queue.title')), h('p', { class: 'hint' }, t('queue.hint')), list),
      h('section', { class: 'card', 'aria-labelledby': 'map-title' },
        h('h2', { id: 'map-title' }, t('map.title')), h('p', { class: 'hint' }, t('map.hint')), mapBox)));

  let fresh = new Set();
  let known = null;

  async function loadQueue() {
    const page = await get('/api/v1/cases/queue?limit=100');
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
  async function loadMarkers() {
    if (!markers) return;
    const page = await get(`/api/v1/cases?status=${OPEN}&limit=200`);
    markers.clearLayers();
    page.items.filter((i) => i.location).forEach((item) => markers.addLayer(caseMarker(item, (id) => navigate(`/cases/${id}`))));
  }

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
