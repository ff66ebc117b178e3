import { h } from '../dom.js';
import { t } from '../i18n.js';

export default function admin(main) {
  main.append(h('section', { class: 'card' }, h('h1', {}, t('admin.title')),
    h('p', {}, t('admin.hint'), ' ', h('a', { href: '/docs' }, '/docs'))));
}
