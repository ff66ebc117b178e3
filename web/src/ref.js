// Reference data for names: categories and departments (read once per page load; kept on the device for an
// offline start, api.js getKept).
import { getKept } from './api.js';
import { localName } from './i18n.js';
import { placeNames } from './places.js';

let categories = null;
let departments = null;

export async function loadReference() {
  [categories, departments] = await Promise.all([
    categories || getKept('/api/v1/directory/categories').then(list),
    departments || getKept('/api/v1/directory/departments').then(list),
    placeNames().catch(() => null), // names of streets, communities and grids; codes if the map cannot be read
  ]);
  return { categories, departments };
}

function list(answer) { return Array.isArray(answer) ? answer : (answer?.items || []); }

export function categoryName(code) { return localName((categories || []).find((c) => c.code === code), code); }
export function departmentName(code) { return code ? localName((departments || []).find((d) => d.code === code), code) : '—'; }
export function categoryList() { return categories || []; }
export function departmentList() { return departments || []; }
