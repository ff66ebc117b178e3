// A file input in the app's language: the browser draws its own button and "no file chosen" in the browser's
// language, not the person's (a zh-CN officer on an English phone read "Choose Files"). The input stays the control —
// labelled, submitted, read as before — hidden behind a button and a line saying what was chosen.
import { h } from './dom.js';
import { t } from './i18n.js';

/** ``input`` (type file) in a picker; ``chooseKey``: the button's text key (file.photos, file.file). */
export function filePicker(input, chooseKey = 'file.photos') {
  input.classList.add('visually-hidden');
  input.tabIndex = -1; // the button is the one stop for the keyboard
  const chosen = h('span', { class: 'file-chosen', 'aria-live': 'polite' });
  const show = () => {
    const files = [...(input.files || [])];
    chosen.textContent = files.length === 0 ? t('file.none') : files.length === 1 ? files[0].name : t('file.count', { n: files.length });
  };
  input.addEventListener('change', () => {
    show();
    // a form's reset() clears the files without a change event
    input.form?.addEventListener('reset', () => setTimeout(show), { once: true });
  });
  show();
  const button = h('button', { type: 'button', class: 'file-choose', onclick: () => input.click() }, t(chooseKey));
  return h('span', { class: 'file-picker' }, input, button, ' ', chosen);
}
