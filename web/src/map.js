// Maps: the grid polygons, the streets' and communities' outlines and names (derived from the grid map: no tile
// server needed; tiles only if the gateway names one), case markers coloured by traffic light (colour and a
// letter), clustered when zoomed out — a cluster takes the colour of the worst light inside it.
import L from './leaflet-global.js';
import 'leaflet.markercluster';
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import { get } from './api.js';
import { t } from './i18n.js';
import { lightLabel } from './lights.js';
import { gridMap, placeNames } from './places.js';

let configPromise = null;

export { gridMap };

export function uiConfig() {
  configPromise ||= fetch('/ui-config.json').then((r) => r.json()).catch(() => ({ tile_url: '' }));
  return configPromise;
}

const LETTER = { red: '!', yellow: '~', green: '✓' };
const WORST = ['red', 'yellow', 'green', 'none']; // first is worst
// names shown by zoom: streets when the district fits, communities closer in, grids closer still
const STREET_NAMES_BELOW = 14;
const GRID_NAMES_FROM = 16;

function nameLabel(text, kind, at) {
  return L.marker([at.lat, at.lon], { interactive: false, keyboard: false,
    icon: L.divIcon({ className: '', html: `<span class="map-label map-label-${kind}"></span>`, iconSize: null }) })
    .on('add', (e) => { e.target.getElement().firstChild.textContent = text; });
}

function segmentsToLatLngs(segments) { return segments.map(([a, b]) => [[a[1], a[0]], [b[1], b[0]]]); }

/**
 * A map in ``element`` with the district's grids, street and community outlines and names. ``onlyGrids``
 * limits the grids drawn (an officer's own, drawn stronger) and ``withNeighbours`` adds the grids around them.
 * Answers {map, grids (layer), gridLayers (code → layer), places, fit()}.
 */
export async function districtMap(element, { onlyGrids = null, withNeighbours = false } = {}) {
  const config = await uiConfig();
  // markercluster needs a maxZoom even without a tile layer
  const map = L.map(element, { preferCanvas: true, zoomControl: true, attributionControl: true,
    maxZoom: config.tile_max_zoom || 19 });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: config.tile_max_zoom || 18 })
      .addTo(map);
  } else {
    element.classList.add('map-plain');
  }
  map.setView([34.27, 108.95], 12);
  const collection = await gridMap();
  const places = await placeNames();
  const own = onlyGrids ? new Set(onlyGrids) : null;
  const around = own && withNeighbours ? new Set(places.neighbours([...own])) : new Set();
  const shown = (code) => !own || own.has(code) || around.has(code);
  const features = collection.features.filter((f) => f.properties?.level === 'grid' && f.geometry && shown(f.properties.code));
  const gridLayers = new Map();
  const grids = L.geoJSON({ type: 'FeatureCollection', features }, {
    style: (feature) => (own && !own.has(feature.properties.code)
      ? { color: '#64748b', weight: 1, opacity: 0.8, dashArray: '4 3', fillColor: '#cbd5e1', fillOpacity: 0.08 }
      : { color: '#1d4ed8', weight: own ? 2 : 1, opacity: 0.7, fillColor: '#93c5fd', fillOpacity: own ? 0.2 : 0.12 }),
    onEachFeature: (feature, layer) => {
      gridLayers.set(feature.properties.code, layer);
      const community = places.place(feature.properties.parent);
      layer.bindTooltip(community ? `${feature.properties.name} · ${community.name}` : feature.properties.name, { sticky: true });
    },
  }).addTo(map);

  // outlines and names of the streets and communities that hold a drawn grid
  const drawnAreas = { street: new Set(), community: new Set() };
  for (const f of features) {
    const community = places.place(f.properties.parent);
    if (community) drawnAreas.community.add(community.code);
    if (community?.parent && places.place(community.parent)?.level === 'street') drawnAreas.street.add(community.parent);
  }
  const outlines = L.layerGroup();
  for (const code of drawnAreas.community) {
    outlines.addLayer(L.polyline(segmentsToLatLngs(places.outline(code)), { color: '#334155', weight: 1.5, opacity: 0.8, interactive: false }));
  }
  for (const code of drawnAreas.street) {
    outlines.addLayer(L.polyline(segmentsToLatLngs(places.outline(code)), { color: '#0f172a', weight: 3, opacity: 0.9, interactive: false }));
  }
  outlines.addTo(map);
  const labels = { street: L.layerGroup(), community: L.layerGroup(), grid: L.layerGroup() };
  for (const level of ['street', 'community']) {
    for (const code of drawnAreas[level]) {
      const at = places.centre(code);
      if (at) labels[level].addLayer(nameLabel(places.name(code), level, at));
    }
  }
  for (const f of features) {
    const at = places.centre(f.properties.code);
    if (at) labels.grid.addLayer(nameLabel(f.properties.name, 'grid', at));
  }
  const showLabels = () => {
    const zoom = map.getZoom();
    const wanted = { street: zoom < STREET_NAMES_BELOW, community: zoom >= STREET_NAMES_BELOW && zoom < GRID_NAMES_FROM,
      grid: zoom >= GRID_NAMES_FROM || (own && own.size + around.size <= 20) };
    for (const [level, layer] of Object.entries(labels)) {
      if (wanted[level] && !map.hasLayer(layer)) layer.addTo(map);
      if (!wanted[level] && map.hasLayer(layer)) map.removeLayer(layer);
    }
  };
  map.on('zoomend', showLabels);
  const fit = () => {
    const target = own ? L.featureGroup([...own].map((c) => gridLayers.get(c)).filter(Boolean)) : grids;
    const bounds = target.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  };
  fit();
  showLabels();
  return { map, grids, gridLayers, places, fit };
}

/** The worst light among ``lights`` (red before yellow before green before none). */
export function worstLight(lights) {
  return WORST.find((light) => lights.some((l) => (l || 'none') === light)) || 'none';
}

export function caseMarkers(map) {
  const cluster = L.markerClusterGroup({
    showCoverageOnHover: false, maxClusterRadius: 50,
    // coloured by the worst light inside, not by how many: a red case is never hidden in a yellow "20"
    iconCreateFunction: (group) => {
      const children = group.getAllChildMarkers();
      const light = worstLight(children.map((m) => m.options.light));
      const counts = children.reduce((all, m) => { all[m.options.light || 'none'] = (all[m.options.light || 'none'] || 0) + 1; return all; }, {});
      const title = `${children.length} · ${WORST.filter((l) => counts[l]).map((l) => `${lightLabel(l === 'none' ? null : l)} ${counts[l]}`).join(' · ')}`;
      return L.divIcon({ className: '', iconSize: [40, 40], iconAnchor: [20, 20],
        html: `<span class="cluster cluster-${light}" data-light="${light}" data-count="${children.length}" title="${title}">`
          + `<span aria-hidden="true">${LETTER[light] || ''}</span>${children.length}</span>` });
    },
  });
  map.addLayer(cluster);
  return cluster;
}

export function caseMarker(item, onOpen, placeName = (c) => c) {
  const light = item.light || 'none';
  const icon = L.divIcon({ className: '', html: `<span class="marker marker-${light}" aria-hidden="true">${LETTER[light] || '•'}</span>`,
    iconSize: [26, 26], iconAnchor: [13, 13] });
  const title = `${item.case_id} · ${t(`status.${item.status}`)} · ${lightLabel(item.light)} · ${placeName(item.grid)}`;
  const marker = L.marker([item.location.lat, item.location.lon], { icon, title, alt: title, keyboard: true, light });
  marker.caseId = item.case_id;
  marker.on('click', () => onOpen(item.case_id));
  marker.on('keypress', (e) => { if (e.originalEvent?.key === 'Enter') onOpen(item.case_id); });
  return marker;
}

/** Hot spots: grids filled by how many cases were reported in them this month (the hot-spots indicator). */
export async function heatLayer(parts) {
  const table = await get('/api/v1/stats/hotspots?period=month&limit=100');
  const top = Math.max(1, ...table.rows.map((r) => r.reported));
  const layer = L.layerGroup();
  for (const row of table.rows) {
    const grid = parts.gridLayers.get(row.grid);
    if (!grid || !row.reported) continue;
    const share = row.reported / top;
    layer.addLayer(L.geoJSON(grid.toGeoJSON(), { interactive: false,
      style: { stroke: false, fillColor: share > 0.66 ? '#b91c1c' : share > 0.33 ? '#f97316' : '#facc15', fillOpacity: 0.25 + 0.4 * share } }));
  }
  return layer;
}

/** A marker the person places by tapping the map. */
export function pickPoint(map, onPick) {
  let marker = null;
  const place = (latlng) => {
    if (!marker) marker = L.marker(latlng, { icon: L.divIcon({ className: '', html: '<span class="marker marker-pick" aria-hidden="true">◎</span>', iconSize: [26, 26], iconAnchor: [13, 13] }) }).addTo(map);
    else marker.setLatLng(latlng);
  };
  map.on('click', (e) => { place(e.latlng); onPick({ lat: e.latlng.lat, lon: e.latlng.lng }); });
  return { place: (point) => { place([point.lat, point.lon]); map.setView([point.lat, point.lon], Math.max(map.getZoom(), 16)); } };
}

export { L };
