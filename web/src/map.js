// Maps: the grid polygons on a plain background (tiles only if the gateway names a tile server), case markers
// coloured by traffic light (colour and a letter), clustered when zoomed out.
import L from './leaflet-global.js';
import 'leaflet.markercluster';
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import { get } from './api.js';
import { t } from './i18n.js';
import { lightLabel } from './lights.js';

let configPromise = null;
let gridMapPromise = null;

export function uiConfig() {
  configPromise ||= fetch('/ui-config.json').then((r) => r.json()).catch(() => ({ tile_url: '' }));
  return configPromise;
}

export function gridMap() {
  gridMapPromise ||= get('/api/v1/directory/grid-map').catch((error) => { gridMapPromise = null; throw error; });
  return gridMapPromise;
}

const LETTER = { red: '!', yellow: '~', green: '✓' };



/** A map in ``element`` with the district's grids; answers {map, grids (layer), fit()}. */
export async function districtMap(element, { onlyGrids = null } = {}) {
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
  const features = collection.features.filter((f) => f.properties?.level === 'grid' && f.geometry
    && (!onlyGrids || onlyGrids.includes(f.properties.code)));
  const grids = L.geoJSON({ type: 'FeatureCollection', features }, {
    style: () => ({ color: '#1d4ed8', weight: 1, opacity: 0.7, fillColor: '#93c5fd', fillOpacity: 0.12 }),
    onEachFeature: (feature, layer) => layer.bindTooltip(`${feature.properties.name} (${feature.properties.code})`,
      { sticky: true }),
  }).addTo(map);
  const fit = () => { const bounds = grids.getBounds(); if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); };
  fit();
  return { map, grids, fit };
}

export function caseMarkers(map) {
  const cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
  map.addLayer(cluster);
  return cluster;
}

export function caseMarker(item, onOpen) {
  const light = item.light || 'none';
  const icon = L.divIcon({ className: '', html: `<span class="marker marker-${light}" aria-hidden="true">${LETTER[light] || '•'}</span>`,
    iconSize: [26, 26], iconAnchor: [13, 13] });
  const title = `${item.case_id} · ${t(`status.${item.status}`)} · ${lightLabel(item.light)}`;
  const marker = L.marker([item.location.lat, item.location.lon], { icon, title, alt: title, keyboard: true });
  marker.caseId = item.case_id;
  marker.on('click', () => onOpen(item.case_id));
  marker.on('keypress', (e) => { if (e.originalEvent?.key === 'Enter') onOpen(item.case_id); });
  return marker;
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
