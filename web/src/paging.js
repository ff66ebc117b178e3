// Every list the API answers comes a page at a time, one contract for all (docs/architecture.md#paging):
// `limit` and `cursor` in, `{items, next}` out, `next` null on the last page. A page of the app shows every item
// of its list — read page after page — up to a bound that keeps a browser responsive, and says so when a list is
// longer than that (showListEnd).
import { get } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

export const PAGE_SIZE = 200; // the API's largest page
export const MAX_LIST = 1000; // rows a list page shows at most
export const MAX_MAP = 5000; // markers a map shows at most

/** The page size: the API's largest, or fewer with `?page_size=N` on the page's address (the browser tests use
 * it rather than filing hundreds of cases). */
export function pageSize() {
  const asked = Number(new URLSearchParams(location.search).get('page_size'));
  return Number.isInteger(asked) && asked >= 1 && asked <= PAGE_SIZE ? asked : PAGE_SIZE;
}

function pageOf(path, limit, cursor) {
  return `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
}

/** The list at ``path`` (its filters, no limit or cursor) from its start, page after page, until it ends, ``pages``
 * pages are read or ``max`` items are: {items, next} — ``next`` null when the whole list was read. */
export async function readList(path, { max = MAX_LIST, pages = Infinity, limit = pageSize() } = {}) {
  const items = [];
  let next = null;
  let read = 0;
  do {
    const page = await get(pageOf(path, Math.min(limit, max - items.length), next));
    items.push(...page.items);
    next = page.next;
    read += 1;
  } while (next && read < pages && items.length < max);
  return { items, next };
}

/** Fills ``box``, under a list: how many are shown when the list was cut off at its bound; nothing when whole. */
export function showListEnd(box, shown, next) {
  box.replaceChildren(...(next ? [h('p', { class: 'hint list-end', role: 'status', dataset: { shown: String(shown) } },
    t('list.first', { n: shown }))] : []));
}
