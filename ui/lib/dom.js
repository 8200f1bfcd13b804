// DOM and formatting helpers. Text always goes in as text (never as HTML), so data from the API cannot inject
// markup.

/**
 * Builds an element: h('td', { class: 'num', dataset: { usd: 1 } }, 'text', child, ...). Attributes named
 * on* are refused: handlers are attached with addEventListener by the caller.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className = value;
    else if (key.startsWith('on')) throw new Error(`h(): set ${key} with addEventListener`);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Dollars: cents for large amounts, four decimals below a dollar (a short job's cost). */
export function usd(amount) {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return '—';
  const digits = Math.abs(amount) < 1 ? 4 : 2;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function percent(value) {
  return value === null || value === undefined ? '—' : `${Math.round(value)}%`;
}

/** "3 min ago", from an ISO time and the page's clock. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Math.abs(s) < 60) return `${s} s ago`;
  if (Math.abs(s) < 3600) return `${Math.round(s / 60)} min ago`;
  if (Math.abs(s) < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function stateBadge(state) {
  return h('span', { class: `state state-${state}`, dataset: { state } }, state);
}

export function tile(label, value, testid, raw) {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'label' }, label),
    h(
      'div',
      { class: 'value', 'data-testid': testid, dataset: raw === undefined ? {} : { value: raw } },
      value,
    ),
  );
}

export function table(headers, rows, opts = {}) {
  if (rows.length === 0) return h('div', { class: 'empty' }, opts.empty ?? 'nothing to show');
  return h(
    'table',
    { 'data-testid': opts.testid },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { class: x.num ? 'num' : undefined }, x.label ?? x)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/** Calls fn at most once per `ms`, after the last call (bursts of events become one refresh). */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export function utilizationBar(value) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, 'no telemetry');
  const bar = h('span');
  bar.style.width = `${Math.max(0, Math.min(100, value))}%`;
  return h('div', { title: percent(value) }, h('div', { class: 'bar' }, bar), percent(value));
}
