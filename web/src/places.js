// The grid map's places — streets, communities, grids — by code: their names, parents and outlines. The demo map
// (like most real ones) gives only the grids' polygons, so an area's outline is derived from its grids: the edges
// that belong to exactly one of its grids (an edge two of them share lies inside).
import { getKept } from './api.js';

let mapPromise = null;
let index = null;

/** The grid map (GeoJSON FeatureCollection), read once per page load; the device's copy when offline. */
export function gridMap() {
  mapPromise ||= getKept('/api/v1/directory/grid-map').catch((error) => { mapPromise = null; throw error; });
  return mapPromise;
}

function ringsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

const key = (p) => `${p[0]},${p[1]}`;

function build(collection) {
  const byCode = new Map();
  for (const feature of collection.features || []) {
    const p = feature.properties || {};
    byCode.set(p.code, { code: p.code, level: p.level, name: p.name, parent: p.parent, geometry: feature.geometry,
      officers: p.officers || [] });
  }
  const place = (code) => byCode.get(code);
  const gridsUnder = new Map(); // area code → its grids
  for (const item of byCode.values()) {
    if (item.level !== 'grid') continue;
    for (let up = place(item.parent); up; up = place(up.parent)) {
      if (!gridsUnder.has(up.code)) gridsUnder.set(up.code, []);
      gridsUnder.get(up.code).push(item);
    }
  }
  const label = (item) => {
    const parent = place(item.parent);
    return parent && parent.level !== 'district' ? `${item.name}（${parent.name}）` : item.name;
  };
  return {
    place,
    name: (code) => place(code)?.name || null,
    ofLevel: (level) => [...byCode.values()].filter((i) => i.level === level)
      .map((i) => ({ code: i.code, name: i.name, parent: i.parent, label: label(i) }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    grids: (areaCode) => gridsUnder.get(areaCode) || [],
    /** The outline of an area as line segments [[lon, lat], [lon, lat]]: its own polygon if it has one. */
    outline(areaCode) {
      const area = place(areaCode);
      if (area?.geometry) return ringsOf(area.geometry).flatMap((ring) => ring.slice(1).map((p, i) => [ring[i], p]));
      const edges = new Map();
      for (const grid of gridsUnder.get(areaCode) || []) {
        for (const ring of ringsOf(grid.geometry)) {
          for (let i = 1; i < ring.length; i += 1) {
            const a = ring[i - 1];
            const b = ring[i];
            const k = key(a) < key(b) ? `${key(a)}|${key(b)}` : `${key(b)}|${key(a)}`;
            if (edges.has(k)) edges.delete(k); else edges.set(k, [a, b]);
          }
        }
      }
      return [...edges.values()];
    },
    /** A point to write a place's name at: the middle of its grids' extent. */
    centre(code) {
      const grids = place(code)?.level === 'grid' ? [place(code)] : gridsUnder.get(code) || [];
      let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const grid of grids) {
        for (const ring of ringsOf(grid.geometry).slice(0, 1)) {
          for (const [x, y] of ring) { minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y); }
        }
      }
      return minX === Infinity ? null : { lon: (minX + maxX) / 2, lat: (minY + maxY) / 2 };
    },
    /** Grids that touch any of ``codes`` (share a corner), not counting those. */
    neighbours(codes) {
      const mine = new Set(codes);
      const corners = new Set();
      for (const code of mine) for (const ring of ringsOf(place(code)?.geometry)) ring.forEach((p) => corners.add(key(p)));
      return [...byCode.values()].filter((g) => g.level === 'grid' && !mine.has(g.code)
        && ringsOf(g.geometry).some((ring) => ring.some((p) => corners.has(key(p))))).map((g) => g.code);
    },
  };
}

/** The index of places (names, outlines); null names fall back to codes where it is used. */
export async function placeNames() {
  if (index) return index;
  index = build(await gridMap());
  return index;
}

/** The name of a place if the map has been read, else its code. */
export function placeName(code) {
  if (!code) return '—';
  return index?.name(code) || code;
}
