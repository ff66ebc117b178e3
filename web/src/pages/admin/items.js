// Departments, categories and routing rules share one shape in the API (list, PUT by key, DELETE by key): a list
// with edit and delete, and an editor form the section draws.
import { del, get, put } from '../../api.js';
import { h } from '../../dom.js';
import { t } from '../../i18n.js';
import { alertBox } from '../../widgets.js';
import { button, submit, table } from './kit.js';

/** Drop what the API only answers (a PUT refuses it). */
export function writable(item) {
  const { revision, ...rest } = item; // eslint-disable-line no-unused-vars
  return rest;
}

/**
 * A managed list of ``path`` (e.g. departments): ``columns`` label keys, ``cells(item)`` their cells, ``editor(item,
 * done)`` the form for one item (null: a new one), ``keyOf(item)``.
 */
export async function itemsSection(main, { path, id, columns, cells, editor, keyOf, newLabel }) {
  const listBox = h('div', {});
  const editorBox = h('div', { id: `${id}-editor` });
  const status = h('div', { 'aria-live': 'polite', id: `${id}-status` });
  // saved: the list shows it, the form closes and says so where the list is
  const saved = async () => {
    await load();
    editorBox.replaceChildren();
    status.replaceChildren(alertBox(t('admin.saved'), 'ok'));
  };
  const open = (item) => {
    status.replaceChildren();
    editorBox.replaceChildren(editor(item, saved));
    editorBox.querySelector('input:not([readonly]), select')?.focus();
  };
  async function load() {
    const items = await get(`/api/v1/directory/${path}`);
    listBox.replaceChildren(table([...columns, ''], items.map((item) => [...cells(item),
      h('span', { class: 'row-actions' },
        button(t('admin.edit'), () => open(item), { 'aria-label': `${t('admin.edit')} ${keyOf(item)}` }),
        button(t('admin.delete'), async () => {
          if (!window.confirm(t('admin.delete.confirm', { what: keyOf(item) }))) return;
          await submit(h('form'), status, async () => {
            await del(`/api/v1/directory/${path}/${encodeURIComponent(keyOf(item))}`);
            await load();
            return t('admin.deleted', { what: keyOf(item) });
          });
        }, { 'aria-label': `${t('admin.delete')} ${keyOf(item)}` }))]), { id }));
  }
  main.append(editorBox, h('section', { class: 'card' }, h('div', { class: 'buttons' },
    button(newLabel, () => open(null), { id: `new-${id}` })), status, listBox));
  await load();
  return { open, reload: load };
}

/** PUT one item; answers the saved text for the status line. */
export async function saveItem(path, key, body) {
  await put(`/api/v1/directory/${path}/${encodeURIComponent(key)}`, body);
  return t('admin.saved');
}
