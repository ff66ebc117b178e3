// What every administration form shares: controls that check what the API checks (the same patterns, lengths and
// ranges as its schemas, so most mistakes are caught before sending), and a submit that shows the API's refusal in
// the person's language (its `reason`, else its code) and marks the fields it named.
import { ApiError, message } from '../../api.js';
import { field, h } from '../../dom.js';
import { t } from '../../i18n.js';
import { alertBox } from '../../widgets.js';

// shared/fields.py: code_field and identifier
export const CODE = '[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}';
export const IDENTIFIER = '[A-Za-z0-9][A-Za-z0-9_\\-:.]{0,127}';

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

export function checkbox(name, checked) {
  return h('input', { type: 'checkbox', name, checked: checked ? true : null });
}

/** A select of [value, label] pairs; ``blank`` adds an empty first choice with that label. */
export function select(name, options, value, { blank } = {}) {
  const el = h('select', { name },
    blank !== undefined ? h('option', { value: '' }, blank) : null,
    options.map(([v, label]) => h('option', { value: v, selected: v === value ? true : null }, label)));
  if (value !== undefined && value !== null) el.value = value;
  return el;
}

export function labelled(key, control, hint) { return field(t(key), control, hint); }

export function checked(key, control) { return h('label', { class: 'inline' }, control, ' ', t(key)); }

/** A blank-is-null text value. */
export function value(control) {
  const v = control.value.trim();
  return v === '' ? null : v;
}

/** The fields a 400 named, flattened to their top-level names (a nested field's error marks its parent). */
function namedFields(error) {
  return error instanceof ApiError ? Object.keys(error.body?.fields || {}) : [];
}

/**
 * Submit ``form`` through ``send`` (async, answers what to say on success, or nothing); a refusal shows the API's
 * error in ``status`` and marks the controls whose name it gave. Answers whether it went through.
 */
export async function submit(form, status, send) {
  status.replaceChildren();
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  if (!form.reportValidity()) return false;
  try {
    const said = await send();
    if (said) status.append(alertBox(said, 'ok'));
    return true;
  } catch (error) {
    for (const name of namedFields(error)) {
      form.querySelectorAll(`[name="${CSS.escape(name)}"], [name^="${CSS.escape(name)}."]`).forEach((el) => el.setAttribute('aria-invalid', 'true'));
    }
    status.append(alertBox(t('common.error', { msg: message(error) })));
    return false;
  }
}

export function statusBox() { return h('div', { class: 'form-status', 'aria-live': 'polite' }); }

/** A data table: ``columns`` are label keys, ``rows`` arrays of cells (a node or text). */
export function table(columns, rows, { id, empty = t('common.none') } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data admin-table', id },
    h('thead', {}, h('tr', {}, columns.map((key) => h('th', { scope: 'col' }, key ? t(key) : '')))),
    h('tbody', {}, rows.length ? rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty)))));
}

export function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', class: 'small', onclick, ...attrs }, label);
}

/** A form in a card with a heading, its controls, a status line and a submit button. */
export function formCard(id, title, controls, submitLabel, extra = []) {
  const status = statusBox();
  // novalidate: the submit handler runs first (it sets the checks a pattern cannot say), then reportValidity shows them
  const form = h('form', { id, class: 'admin-form', novalidate: true },
    controls, status, h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, submitLabel), extra));
  return { form, status, card: h('section', { class: 'card', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title), form) };
}
