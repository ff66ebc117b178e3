import { ApiError, post } from '../api.js';
import { field, h } from '../dom.js';
import { t } from '../i18n.js';
import { landing, saveSession } from '../session.js';
import { alertBox } from '../widgets.js';

export default function login(main, _params, { navigate }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'card narrow', novalidate: false },
    h('h1', {}, t('login.title')),
    field(t('login.username'), username), field(t('login.password'), password), message,
    h('button', { type: 'submit', class: 'primary' }, t('login.submit')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    try {
      saveSession(await post('/api/v1/auth/token', { username: username.value.trim(), password: password.value }));
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : landing(), { replace: true });
    } catch (error) {
      const text = error instanceof ApiError && error.status === 429 ? t('login.locked') : t('login.failed');
      message.append(alertBox(text));
      password.select();
    }
  });
  main.append(form);
  username.focus();
}
