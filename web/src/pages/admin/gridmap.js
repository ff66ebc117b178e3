// The grid map (网格图): export the map in place, and import a new one in two steps — the file is checked first
// (nothing replaced) and every fault is listed and drawn on the file's own map, red; only a map without faults can
// then replace the one in place. The import is all or nothing, and an import the API refuses lists its faults too.
import L from '../../leaflet-global.js';
import { ApiError, blob, get, message, post, put } from '../../api.js';
import { h } from '../../dom.js';
import { filePicker } from '../../filepicker.js';
import { t } from '../../i18n.js';
import { uiConfig } from '../../map.js';
import { alertBox } from '../../widgets.js';
import { button, labelled } from './kit.js';

function faultText(fault) {
  const kind = t(`admin.map.fault.${fault.code}`);
  return kind === `admin.map.fault.${fault.code}` ? fault.code : kind;
}

function where(fault) {
  if (fault.feature === null || fault.feature === undefined) return t('admin.map.whole_file');
  return fault.object_code ? t('admin.map.feature_code', { n: fault.feature, code: fault.object_code })
    : t('admin.map.feature', { n: fault.feature });
}

/** The file's features on a map: faulty ones red, each with its faults; answers {focus(index)}. */
async function drawFile(element, collection, faults) {
  const config = await uiConfig();
  const map = L.map(element, { preferCanvas: true, maxZoom: config.tile_max_zoom || 19 });
  if (config.tile_url) L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '' }).addTo(map);
  else element.classList.add('map-plain');
  const byFeature = new Map();
  for (const f of faults) if (f.feature !== null && f.feature !== undefined) {
    if (!byFeature.has(f.feature)) byFeature.set(f.feature, []);
    byFeature.get(f.feature).push(f);
  }
  const layers = new Map();
  const all = L.featureGroup().addTo(map);
  (collection.features || []).forEach((feature, index) => {
    if (!feature?.geometry) return;
    let layer;
    try {
      const bad = byFeature.has(index);
      layer = L.geoJSON(feature, { style: bad ? { color: '#b91c1c', weight: 3, fillColor: '#f87171', fillOpacity: 0.45 }
        : { color: '#1d4ed8', weight: 1, opacity: 0.6, fillColor: '#93c5fd', fillOpacity: 0.1 } });
      const code = feature.properties?.code ?? '';
      layer.bindTooltip(bad ? `${code} — ${byFeature.get(index).map(faultText).join(t('error.list_separator'))}` : String(code),
        { sticky: true });
    } catch { return; } // a geometry Leaflet cannot draw is among the faults already
    layer.addTo(all);
    if (byFeature.has(index)) layer.bringToFront?.();
    layers.set(index, layer);
  });
  const bounds = all.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else map.setView([34.27, 108.95], 12);
  return { focus: (index) => {
    const layer = layers.get(index);
    if (!layer) return false;
    map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [20, 20] });
    layer.openTooltip?.(layer.getBounds().getCenter());
    return true;
  } };
}

export default async function gridmapSection(main) {
  let current = await get('/api/v1/directory/areas');
  const summary = h('p', { id: 'map-summary' });
  const summarise = () => summary.replaceChildren(t('admin.map.summary',
    { version: current.map_version, areas: current.areas.length, grids: current.grids.length }));
  summarise();
  const status = h('div', { 'aria-live': 'polite' });
  const file = h('input', { type: 'file', name: 'file', accept: '.geojson,.json,application/geo+json,application/json' });
  const result = h('div', { id: 'map-check' });
  const exportStatus = h('div', { 'aria-live': 'polite' });

  const showFaults = async (collection, faults, intro) => {
    const mapBox = h('div', { class: 'map import-map', id: 'import-map' });
    const list = h('ol', { class: 'faults', id: 'faults' });
    result.replaceChildren(h('section', { class: 'card' }, alertBox(intro),
      h('div', { class: 'case-grid' }, h('div', {}, h('h2', {}, t('admin.map.faults', { n: faults.length })), list),
        h('div', {}, mapBox))));
    const drawn = await drawFile(mapBox, collection, faults);
    faults.forEach((fault) => {
      const place = h('button', { type: 'button', class: 'small link' }, where(fault));
      place.addEventListener('click', () => { if (!drawn.focus(fault.feature)) place.disabled = true; });
      list.append(h('li', { dataset: { fault: fault.code, feature: fault.feature ?? '' } },
        h('span', { class: 'fault-kind' }, faultText(fault)), ' · ', place,
        h('details', {}, h('summary', {}, t('admin.map.detail')), h('span', { class: 'code' }, fault.message))));
    });
  };

  const check = async () => {
    status.replaceChildren();
    result.replaceChildren();
    const chosen = file.files?.[0];
    if (!chosen) { status.append(alertBox(t('admin.map.choose'))); return; }
    let collection;
    try { collection = JSON.parse(await chosen.text()); } catch {
      status.append(alertBox(t('admin.map.not_json', { name: chosen.name })));
      return;
    }
    let checked;
    try { checked = await post('/api/v1/directory/grid-map/check', collection); } catch (error) {
      status.append(alertBox(t('common.error', { msg: message(error) })));
      return;
    }
    if (!checked.importable) {
      await showFaults(collection, checked.faults, t('admin.map.refused', { n: checked.faults.length, name: chosen.name }));
      return;
    }
    const replace = h('button', { type: 'button', class: 'primary', id: 'replace-map' }, t('admin.map.replace', { version: checked.map_version }));
    const mapBox = h('div', { class: 'map import-map', id: 'import-map' });
    result.replaceChildren(h('section', { class: 'card' },
      alertBox(t('admin.map.importable', { name: chosen.name, areas: checked.areas, grids: checked.grids }), 'ok'),
      h('p', { class: 'hint' }, t('admin.map.replace.hint')), h('div', { class: 'buttons' }, replace), mapBox));
    await drawFile(mapBox, collection, []);
    replace.addEventListener('click', async () => {
      if (!window.confirm(t('admin.map.replace.confirm', { version: checked.map_version }))) return;
      replace.disabled = true;
      try {
        const done = await put('/api/v1/directory/grid-map', collection);
        result.replaceChildren(alertBox(t('admin.map.imported', { version: done.map_version, areas: done.areas, grids: done.grids }), 'ok'));
        current = await get('/api/v1/directory/areas').catch(() => current);
        summarise();
      } catch (error) {
        const faults = error instanceof ApiError ? error.body?.details?.faults : null;
        if (faults?.length) await showFaults(collection, faults, t('common.error', { msg: message(error) }));
        else { replace.disabled = false; status.append(alertBox(t('common.error', { msg: message(error) }))); }
      }
    });
  };

  const download = async () => {
    exportStatus.replaceChildren();
    try {
      const data = await blob('/api/v1/directory/grid-map');
      const link = h('a', { href: URL.createObjectURL(data), download: `grid-map-v${current.map_version}.geojson` });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) { exportStatus.append(alertBox(t('common.error', { msg: message(error) }))); }
  };

  main.append(
    h('section', { class: 'card', 'aria-labelledby': 'map-now' }, h('h2', { id: 'map-now' }, t('admin.map.current')),
      summary,
      h('div', { class: 'buttons' }, button(t('admin.map.export'), download, { id: 'export-map' })), exportStatus),
    h('section', { class: 'card', 'aria-labelledby': 'map-import' }, h('h2', { id: 'map-import' }, t('admin.map.import')),
      h('p', { class: 'hint' }, t('admin.map.import.hint')),
      h('div', { class: 'controls' }, labelled('admin.map.file', filePicker(file, 'file.file')),
        h('div', { class: 'buttons' }, button(t('admin.map.check'), check, { id: 'check-map', class: 'primary' }))), status),
    result);
}
