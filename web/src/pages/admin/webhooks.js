// Departments' webhooks: where a department's own system hears of its cases. A new endpoint's signing secret, and a
// rotated one, is shown once (only its last characters afterwards); a test sends one signed message now and says
// whether the endpoint took it.
import { del, get, post, put } from '../../api.js';
import { h } from '../../dom.js';
import { formatTime, localName, t } from '../../i18n.js';
import { alertBox } from '../../widgets.js';
import { button, checkbox, checked, formCard, input, labelled, select, submit, table, value } from './kit.js';

function secretBox(answer, deptName) {
  return h('section', { class: 'card', id: 'webhook-secret', role: 'status' }, h('h2', {}, t('admin.hook.secret.title', { dept: deptName(answer.department) })),
    h('p', {}, t('admin.hook.secret.once')), h('p', { class: 'secret' }, answer.secret));
}

export default async function webhooks(main) {
  const departments = await get('/api/v1/directory/departments');
  const deptName = (code) => localName(departments.find((d) => d.code === code), code);
  const listBox = h('div', {});
  const editorBox = h('div', { id: 'webhook-editor' });
  const shown = h('div', {});
  const status = h('div', { 'aria-live': 'polite' });

  const editor = (hook) => {
    const department = select('department', departments.map((d) => [d.code, localName(d, d.code)]), hook?.department);
    if (hook) department.disabled = true;
    const url = input('url', { type: 'url', required: true, maxlength: 2000, value: hook?.url || '', placeholder: 'https://…' });
    const description = input('description', { maxlength: 200, value: hook?.description || '' });
    const active = checkbox('active', hook ? hook.active : true);
    const { form, status: formStatus, card } = formCard('webhook-form', hook ? t('admin.hook.edit', { dept: deptName(hook.department) })
      : t('admin.hook.new'), [labelled('common.department', department), labelled('admin.hook.url', url, t('admin.hook.url.hint')),
      labelled('admin.hook.description', description), checked('admin.active', active)], hook ? t('admin.save') : t('admin.create'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      let answer = null;
      const ok = await submit(form, formStatus, async () => {
        answer = await put(`/api/v1/notifications/webhooks/${encodeURIComponent(department.value)}`,
          { url: url.value.trim(), description: value(description), active: active.checked });
        return t('admin.saved');
      });
      if (ok) {
        await load();
        shown.replaceChildren(answer?.secret ? secretBox(answer, deptName) : '');
        if (answer?.secret) editorBox.replaceChildren();
      }
    });
    return card;
  };

  async function load() {
    const hooks = (await get('/api/v1/notifications/webhooks')).items;
    listBox.replaceChildren(table(['common.department', 'admin.hook.url', 'admin.hook.description', 'admin.hook.secret',
      'common.status', 'admin.hook.updated', ''], hooks.map((w) => [deptName(w.department), h('span', { class: 'code' }, w.url),
      w.description || '—', h('span', { class: 'code' }, w.secret_hint || '—'),
      w.active ? t('admin.active') : h('span', { class: 'badge badge-inactive' }, t('admin.inactive')), formatTime(w.updated_at),
      h('span', { class: 'row-actions' },
        button(t('admin.hook.test'), async () => {
          shown.replaceChildren();
          await submit(h('form'), status, async () => {
            const tried = await post(`/api/v1/notifications/webhooks/${encodeURIComponent(w.department)}/test`);
            status.append(alertBox(tried.delivered ? t('admin.hook.test.ok', { url: tried.url })
              : t('admin.hook.test.failed', { url: tried.url, error: tried.error || '' }), tried.delivered ? 'ok' : 'error'));
          });
        }, { 'aria-label': `${t('admin.hook.test')} ${w.department}` }),
        button(t('admin.edit'), () => { shown.replaceChildren(); editorBox.replaceChildren(editor(w)); }, { 'aria-label': `${t('admin.edit')} ${w.department}` }),
        button(t('admin.hook.rotate'), async () => {
          if (!window.confirm(t('admin.hook.rotate.confirm', { dept: deptName(w.department) }))) return;
          await submit(h('form'), status, async () => {
            const answer = await post(`/api/v1/notifications/webhooks/${encodeURIComponent(w.department)}/secret`);
            shown.replaceChildren(secretBox(answer, deptName));
            await load();
          });
        }, { 'aria-label': `${t('admin.hook.rotate')} ${w.department}` }),
        button(t('admin.delete'), async () => {
          if (!window.confirm(t('admin.delete.confirm', { what: deptName(w.department) }))) return;
          await submit(h('form'), status, async () => {
            await del(`/api/v1/notifications/webhooks/${encodeURIComponent(w.department)}`);
            await load();
            return t('admin.deleted', { what: deptName(w.department) });
          });
        }, { 'aria-label': `${t('admin.delete')} ${w.department}` }))]), { id: 'webhooks' }));
  }
  main.append(shown, editorBox, h('section', { class: 'card' }, h('p', { class: 'hint' }, t('admin.hook.hint')),
    h('div', { class: 'buttons' }, button(t('admin.hook.new'), () => { shown.replaceChildren(); editorBox.replaceChildren(editor(null)); }, { id: 'new-webhook' })),
    status, listBox));
  await load();
}
