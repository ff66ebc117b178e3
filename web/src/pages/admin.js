// 系统管理: an administrator's pages, one per kind of thing managed, behind tabs (/admin/<section>). Each section is
// its own module; every change goes through the API, which decides again (docs/access-control.md).
import './admin/admin.css';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { loadReference } from '../ref.js';

const SECTIONS = {
  people: () => import('./admin/people.js'),
  departments: () => import('./admin/departments.js'),
  routing: () => import('./admin/routing.js'),
  escalation: () => import('./admin/escalation.js'),
  categories: () => import('./admin/categories.js'),
  webhooks: () => import('./admin/webhooks.js'),
  failures: () => import('./admin/failures.js'),
  map: () => import('./admin/gridmap.js'),
};

export default async function admin(main, params, context) {
  const section = SECTIONS[params.section] ? params.section : 'people';
  const tabs = h('nav', { class: 'admin-tabs', 'aria-label': t('admin.title') }, h('ul', {},
    Object.keys(SECTIONS).map((name) => h('li', {}, h('a', { href: `/admin/${name}`, 'data-link': true,
      'aria-current': name === section ? 'page' : null }, t(`admin.tab.${name}`))))));
  const body = h('div', { class: 'admin-body' });
  main.append(h('h1', {}, t(`admin.tab.${section}`)), tabs, body);
  await loadReference();
  const module = await SECTIONS[section]();
  return module.default(body, context);
}
