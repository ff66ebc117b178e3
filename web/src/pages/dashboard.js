// 考核统计: the indicators per department, grid or street for a period; a chart, the table, the CSV.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { blob, get, message } from '../api.js';
import { field, h } from '../dom.js';
import { lang, t } from '../i18n.js';
import { alertBox } from '../widgets.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// 接诉即办's three rates come after the closed loop's: they judge only the public's cases (Open311)
const COLUMNS = ['reported', 'due', 'closed', 'closed_on_time', 'on_time_closure_rate', 'closure_rate', 'rework_rate',
  'extension_rate', 'open', 'overdue', 'public_reported', 'response_rate', 'resolution_rate', 'rated', 'satisfaction_rate'];
const RATES = new Set(['on_time_closure_rate', 'closure_rate', 'rework_rate', 'extension_rate', 'response_rate',
  'resolution_rate', 'satisfaction_rate']);

function shanghaiToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

export default async function dashboard(main) {
  const dimension = h('select', { id: 'dash-dimension' },
    ['department', 'grid', 'street', 'district'].map((d) => h('option', { value: d }, t(`dash.dim.${d}`))));
  const period = h('select', { id: 'dash-period' },
    ['day', 'week', 'month', 'quarter'].map((p) => h('option', { value: p, selected: p === 'month' ? true : null }, t(`dash.period.${p}`))));
  const date = h('input', { id: 'dash-date', type: 'date', value: shanghaiToday() });
  const csv = h('button', { type: 'button', id: 'dash-csv' }, t('dash.csv'));
  const reload = h('button', { type: 'button', id: 'dash-reload' }, t('common.reload'));
  const canvas = h('canvas', { role: 'img', 'aria-label': t('dash.chart') });
  const table = h('table', { class: 'data', id: 'dash-table' });
  const problems = h('div', {});
  main.append(h('h1', {}, t('dash.title')),
    h('form', { class: 'card controls', onsubmit: (e) => e.preventDefault() },
      field(t('dash.dimension'), dimension), field(t('dash.period'), period), field(t('dash.date'), date),
      h('div', { class: 'buttons' }, reload, csv)),
    problems,
    h('section', { class: 'card' }, h('h2', {}, t('dash.chart')), h('div', { class: 'chart-box' }, canvas)),
    h('section', { class: 'card table-wrap' }, table));

  let chart = null;
  const query = (extra = '') => `/api/v1/stats/${dimension.value}?period=${period.value}${date.value ? `&date=${date.value}` : ''}${extra}`;

  async function load() {
    problems.replaceChildren();
    try {
      const data = await get(query());
      const rows = [...data.rows].sort((a, b) => (b.due - a.due) || (b.reported - a.reported));
      table.replaceChildren(
        h('caption', {}, `${t(`dash.dim.${dimension.value}`)} · ${data.first_day} – ${data.last_day}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('dash.col.name')), COLUMNS.map((c) => h('th', { scope: 'col' }, t(`dash.col.${c}`))))),
        h('tbody', {}, rows.map((row) => h('tr', { dataset: { key: row.key } },
          h('th', { scope: 'row' }, row.name || row.key),
          COLUMNS.map((c) => h('td', { dataset: { col: c } }, RATES.has(c) ? (row[c] == null ? '—' : `${(row[c] * 100).toFixed(1)}%`) : row[c] ?? 0))))));
      const top = rows.slice(0, 20);
      chart?.destroy();
      chart = new Chart(canvas, {
        type: 'bar',
        data: { labels: top.map((r) => r.name || r.key), datasets: [
          { label: t('dash.col.on_time_closure_rate'), data: top.map((r) => (r.on_time_closure_rate ?? 0) * 100), backgroundColor: '#15803d' },
          { label: t('dash.col.closure_rate'), data: top.map((r) => (r.closure_rate ?? 0) * 100), backgroundColor: '#1d4ed8' }] },
        options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } },
      });
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  }
  csv.addEventListener('click', async () => {
    try {
      const file = await blob(query(`&format=csv&lang=${encodeURIComponent(lang())}`)); // headers in the reader's language
      const link = h('a', { href: URL.createObjectURL(file), download: `${dimension.value}-${period.value}-${date.value || 'today'}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      problems.replaceChildren(alertBox(t('common.error', { msg: message(error) })));
    }
  });
  [dimension, period, date].forEach((control) => control.addEventListener('change', load));
  reload.addEventListener('click', load);
  await load();
  return () => chart?.destroy();
}
