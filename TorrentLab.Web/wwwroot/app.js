// TorrentLab web interface: the torrent list, the detail view and live updates over one WebSocket.
// Plain JavaScript, no build step, no external assets. Talks to the REST API under /api and to /api/live.
'use strict';

const $ = (selector) => document.querySelector(selector);
const state = {
  token: null,
  torrents: new Map(),  // infoHash -> summary
  selected: null,       // infoHash of the detail view
  pieces: '',           // digits of the selected torrent's piece map
  socket: null,
  retry: 500,
  traceLines: 0,
  checked: new Set(),   // infoHashes ticked for a bulk action
  checkedVersion: 0,    // grows at every change of checked
  sortKey: 'addedAt',   // a summary field; the column headers choose it
  sortDir: -1,          // 1 ascending, -1 descending
  needsToken: false,    // the API answered 401: the list is unknown, not empty
};
const TRACE_KEEP = 400; // rows kept in the trace view

// ---------- the torrents and their totals ----------
// Every change to state.torrents goes through putTorrent, dropTorrent or setTorrents, which keep the totals bar's sums
// and the filter menus' counts up to date one torrent at a time: walking 10,000 torrents on every frame with news kept
// the main thread busy.
const totals = { down: 0, up: 0, stalled: 0, counts: new Map(), trackers: new Map(), categories: new Map(), facets: 0 };

// Adds sign (1 or -1) to a count; true when the key appeared or vanished (a filter menu then changes).
function bump(map, key, sign) {
  const before = map.get(key) || 0;
  const after = before + sign;
  if (after <= 0) map.delete(key); else map.set(key, after);
  return (before === 0) !== (after <= 0);
}

function account(t, sign) {
  if (!t) return;
  totals.down += sign * t.downloadRate;
  totals.up += sign * t.uploadRate;
  if (t.stalled) totals.stalled += sign;
  bump(totals.counts, t.state, sign);
  for (const host of t.trackerHosts || []) if (bump(totals.trackers, host, sign)) totals.facets++;
  if (t.category && bump(totals.categories, t.category, sign)) totals.facets++;
}

function putTorrent(t) {
  account(state.torrents.get(t.infoHash), -1);
  state.torrents.set(t.infoHash, t);
  account(t, 1);
}

function dropTorrent(hash) {
  account(state.torrents.get(hash), -1);
  state.torrents.delete(hash);
}

function setTorrents(list) {
  state.torrents = new Map();
  Object.assign(totals, { down: 0, up: 0, stalled: 0, counts: new Map(), trackers: new Map(), categories: new Map() });
  totals.facets++;
  for (const t of list) putTorrent(t);
}

// ---------- token: ?token= in the address (printed by `torrentlab serve`), kept for this tab only ----------
(function readToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('torrentlab-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  state.token = sessionStorage.getItem('torrentlab-token');
})();

async function api(method, path, body, headers = {}) {
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  const response = await fetch(path, { method, body, headers });
  if (response.status === 401) { askForToken(); throw new Error('a token is required'); }
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try { message = (await response.json()).error || message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

function notify(text, isError) {
  const box = $('#notice');
  box.textContent = text;
  box.className = 'notice' + (isError ? ' error' : '');
  box.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 3000);
}

// ---------- formatting ----------
function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
}
const rate = (n) => (n > 0 ? bytes(n) + '/s' : '–');
const el = (tag, className, text) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---------- theme: the system's preference until the toggle is used, then the saved choice ----------
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme; else delete document.documentElement.dataset.theme;
  if (state.selected) drawPieces();
}
applyTheme(localStorage.getItem('torrentlab-theme'));
function currentTheme() {
  return document.documentElement.dataset.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

// ---------- the torrent list ----------
// It stays quick with 10,000 torrents: the filtered, sorted order is computed again only when it can have changed (a
// torrent added or removed, the sort, filter or search changed, or a live update changed a field they use), live
// updates are applied once per animation frame, and only the rows in view exist in the page (fixed-height rows between
// two spacer rows, as the file tree does). Filling a row writes only the cells whose text or state changed.
const list = {
  order: [],          // infoHashes that pass the filter and search, in display order
  orderDirty: true,
  rows: new Map(),    // infoHash -> its <tr>, for the rows in view only
  rowHeight: 44,      // measured from the first row drawn
  frame: 0,           // the pending animation frame, 0 when none
  orderVersion: 0,    // grows each time the order is computed again
  measured: false,    // rowHeight was measured since the last resize
  top: null,          // the spacer rows above and below the rows in view
  bottom: null,
};
const LIST_OVERSCAN = 8;
const collator = new Intl.Collator(); // one collator: localeCompare builds one per call, 10x slower over 10,000 rows // rows drawn above and below the view, so a quick scroll shows no gap

function matches(t, filter, query, tracker, category) {
  return (filter === 'all' || t.state === filter || (filter === 'stalled' && t.stalled)) && (!query || t.name.toLowerCase().includes(query))
    && (!tracker || (t.trackerHosts || []).includes(tracker)) && (!category || t.category === category);
}

function visibleTorrents() {
  const query = $('#search').value.trim().toLowerCase();
  const filter = $('#filter').value;
  const tracker = $('#tracker-filter').value;
  const category = $('#category-filter').value;
  const result = [];
  for (const t of state.torrents.values()) if (matches(t, filter, query, tracker, category)) result.push(t);
  const key = state.sortKey;
  const value = (t) => (key === 'eta' ? (t.eta ?? Infinity) : t[key]);
  const plain = (x, y) => (x === y ? 0 : x < y ? -1 : 1); // addedAt is ISO 8601: its text sorts as its time
  const byKey = key === 'name' || key === 'state' ? collator.compare : plain;
  return result.sort((a, b) => byKey(value(a), value(b)) * state.sortDir || plain(a.addedAt, b.addedAt));
}

// True when a live update of a torrent can move it in the list or in or out of it.
function movesInList(before, after) {
  if (!before) return true;
  const key = state.sortKey;
  return before.state !== after.state || before.stalled !== after.stalled || before.name !== after.name
    || before.category !== after.category || String(before.trackerHosts) !== String(after.trackerHosts)
    || (key === 'eta' ? (before.eta ?? Infinity) !== (after.eta ?? Infinity) : before[key] !== after[key]);
}

// A click on a column header sorts by it; a second click reverses the order.
for (const th of document.querySelectorAll('#torrents th[data-sort]')) {
  th.addEventListener('click', () => {
    if (state.sortKey === th.dataset.sort) state.sortDir = -state.sortDir;
    else { state.sortKey = th.dataset.sort; state.sortDir = th.dataset.sort === 'name' || th.dataset.sort === 'eta' ? 1 : -1; }
    renderList();
    writeView();
  });
}

function duration(seconds) {
  if (seconds === undefined || seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
}

// Writes only what differs, so an unchanged cell costs no DOM mutation (and no layout).
function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
function setProp(node, name, value) { if (node[name] !== value) node[name] = value; }

// After anything but a live update (a click, an answer of the API): the order is computed again and drawn at once.
function renderList() {
  list.orderDirty = true;
  paint();
}

// Live updates: drawn at the next animation frame, however many arrived since the last.
function schedulePaint() {
  if (!list.frame) list.frame = requestAnimationFrame(() => { list.frame = 0; paint(); });
}

function spacer() {
  const tr = el('tr', 'spacer');
  tr.setAttribute('aria-hidden', 'true');
  const td = el('td');
  td.colSpan = 12;
  tr.append(td);
  return tr;
}

function paint() {
  if (list.frame) { cancelAnimationFrame(list.frame); list.frame = 0; }
  renderFacets(); // before the order: a menu whose choice vanished falls back to all
  if (list.orderDirty) {
    list.order = visibleTorrents().map((t) => t.infoHash);
    list.orderDirty = false;
    list.orderVersion++;
    for (const hash of [...state.checked]) if (!state.torrents.has(hash)) { state.checked.delete(hash); state.checkedVersion++; }
  }
  const body = $('#torrents tbody');
  if (!list.top) { list.top = spacer(); list.bottom = spacer(); }
  // The rows in view: the list box scrolls; the rows start below the header.
  const box = $('.list');
  const head = $('#torrents thead').offsetHeight;
  const view = Math.max(box.clientHeight, innerHeight); // the box may not have grown to its full height yet
  const first = Math.max(0, Math.floor((box.scrollTop - head) / list.rowHeight) - LIST_OVERSCAN);
  const last = Math.min(list.order.length, Math.ceil((box.scrollTop + view) / list.rowHeight) + LIST_OVERSCAN);
  const wanted = new Set(list.order.slice(first, last));
  for (const [hash, tr] of list.rows) if (!wanted.has(hash)) { tr.remove(); list.rows.delete(hash); }
  // The spacers stand for the rows out of view, and are in the page only when there are some.
  if (first > 0 && body.firstChild !== list.top) body.prepend(list.top);
  if (first === 0) list.top.remove();
  let previous = first > 0 ? list.top : null;
  for (let i = first; i < last; i++) {
    const hash = list.order[i];
    let tr = list.rows.get(hash);
    if (!tr) { tr = makeRow(hash); list.rows.set(hash, tr); }
    fillRow(tr, state.torrents.get(hash));
    if (previous === null ? body.firstChild !== tr : previous.nextSibling !== tr) {
      if (previous === null) body.prepend(tr); else previous.after(tr);
    }
    previous = tr;
  }
  if (last < list.order.length && body.lastChild !== list.bottom) body.append(list.bottom);
  if (last === list.order.length) list.bottom.remove();
  // The row height is measured once (and again after a resize): reading it after the writes above would force a
  // layout on every frame.
  const sample = list.rows.values().next().value;
  if (!list.measured && sample && sample.offsetHeight > 0) {
    list.measured = true;
    if (sample.offsetHeight !== list.rowHeight) { list.rowHeight = sample.offsetHeight; schedulePaint(); }
  }
  setProp(list.top.firstChild.style, 'height', first * list.rowHeight + 'px');
  setProp(list.bottom.firstChild.style, 'height', (list.order.length - last) * list.rowHeight + 'px');
  setProp(body.dataset, 'rows', String(list.rows.size));
  setProp(body.dataset, 'listed', String(list.order.length));
  for (const th of document.querySelectorAll('#torrents th[data-sort]')) {
    const sort = th.dataset.sort === state.sortKey ? (state.sortDir > 0 ? 'ascending' : 'descending') : 'none';
    if (th.getAttribute('aria-sort') !== sort) th.setAttribute('aria-sort', sort);
  }
  renderTotals();
  renderBulk();
  const empty = $('#empty');
  let message = null;
  if (state.needsToken) message = 'Enter the server\'s token above to see the torrents.';
  else if (state.torrents.size === 0) message = 'No torrents yet. Drop a .torrent file anywhere on this page, or use + Add torrent; drop any other file or folder to share it.';
  else if (list.order.length === 0) message = 'No torrent matches.';
  setProp(empty, 'hidden', message === null);
  if (message !== null) setText(empty, message);
}
$('.list').addEventListener('scroll', schedulePaint, { passive: true });
addEventListener('resize', () => { list.measured = false; schedulePaint(); });

function makeRow(hash) {
  const tr = el('tr');
  tr.dataset.hash = hash;
  const progress = el('div', 'progress');
  const track = el('div', 'track');
  track.append(el('div', 'fill'));
  progress.append(track, el('span', 'pct'));
  const actions = el('div', 'actions');
  // Each button has a symbol and a word; a narrow screen shows the symbols only (app.css), the name stays for readers.
  for (const [action, icon, label, cls, title] of [['start', '▶', 'Start', 'button tiny'], ['pause', '❚❚', 'Pause', 'button tiny'],
    ['recheck', '⟳', '', 'button tiny ghost', 'Recheck: hash the data on disk again'], ['remove', '✕', 'Remove', 'button tiny ghost']]) {
    const b = el('button', cls);
    b.type = 'button';
    b.dataset.action = action;
    b.append(el('span', 'icon', icon));
    if (label) b.append(el('span', 'label', label));
    b.setAttribute('aria-label', label || 'Recheck');
    b.title = title || label;
    actions.append(b);
  }
  const check = el('input', 'check');
  check.type = 'checkbox';
  check.setAttribute('aria-label', 'Select');
  check.addEventListener('change', () => {
    if (check.checked) state.checked.add(hash); else state.checked.delete(hash);
    state.checkedVersion++;
    renderBulk();
  });
  const cells = [el('td', 'check-col'), el('td', 'name'), el('td', 'num size col-size'), el('td', 'progress-cell'), el('td', 'num down col-down'), el('td', 'num up col-up'),
    el('td', 'num eta col-eta'), el('td', 'num ratio col-ratio'), el('td', 'num peers col-peers'), el('td', 'state-cell'), el('td', 'added col-added'),
    el('td', 'actions-cell')];
  cells[0].append(check);
  cells[3].append(progress);
  cells[9].append(el('span', 'state'), el('span', 'tag'));
  cells[11].append(actions);
  tr.append(...cells);
  tr.addEventListener('click', (event) => {
    if (event.target.closest('.check-col')) return; // ticking a row selects it for a bulk action, not for the detail view
    const button = event.target.closest('button');
    if (button) { event.stopPropagation(); act(button.dataset.action, hash); } else select(hash);
  });
  return tr;
}

function fillRow(tr, t) {
  // A row already showing this very summary, ticked and selected as now, has nothing to change.
  const checked = state.checked.has(t.infoHash);
  const selected = t.infoHash === state.selected;
  if (tr.filled === t && tr.filledChecked === checked && tr.filledSelected === selected) return;
  tr.filled = t;
  tr.filledChecked = checked;
  tr.filledSelected = selected;
  const name = tr.querySelector('.name');
  setText(name, t.name);
  setProp(name, 'title', t.error ? t.name + ' — ' + t.error : t.name);
  setText(tr.querySelector('.size'), bytes(t.size));
  const pct = Math.floor(t.progress * 1000) / 10;
  const fill = tr.querySelector('.fill');
  setProp(fill.style, 'transform', `scaleX(${pct / 100})`);
  setProp(fill, 'className', 'fill ' + t.state);
  setText(tr.querySelector('.pct'), pct.toFixed(pct === 100 ? 0 : 1) + '%');
  setText(tr.querySelector('.down'), rate(t.downloadRate));
  setText(tr.querySelector('.up'), rate(t.uploadRate));
  setText(tr.querySelector('.peers'), String(t.peers));
  setText(tr.querySelector('.eta'), t.state === 'downloading' ? duration(t.eta) : '–');
  setText(tr.querySelector('.ratio'), (t.ratio || 0).toFixed(2));
  const added = tr.querySelector('.added');
  setText(added, t.addedAt.substring(0, 10));
  if (tr.dataset.added !== t.addedAt) { tr.dataset.added = t.addedAt; added.title = new Date(t.addedAt).toLocaleString(); }
  setProp(tr.querySelector('.check'), 'checked', state.checked.has(t.infoHash));
  const badge = tr.querySelector('.state');
  // A download waits for peers as long as it runs: "stalled", and why (tracker answer, next announce) on hover; a
  // tracker failure is shown as such, not as a download with 0 peers.
  setText(badge, t.trackerError && t.stalled ? 'tracker error' : t.stalled ? 'stalled' : t.state);
  setProp(badge, 'title', [t.trackerError, t.status].filter(Boolean).join('\n'));
  setProp(badge, 'className', 'state ' + t.state + (t.stalled ? ' stalled' : '') + (t.trackerError ? ' tracker-error' : ''));
  const tag = tr.querySelector('.tag');
  setText(tag, t.category || '');
  setProp(tag, 'hidden', !t.category);
  // Start only where it does something: a complete torrent that will not seed would stay as it is.
  const start = tr.querySelector('[data-action="start"]');
  setProp(start, 'disabled', !t.canStart);
  setProp(start, 'title', t.state === 'completed' && !t.canStart ? 'Complete, and set not to seed: nothing to start' : 'Start');
  setProp(tr.querySelector('[data-action="pause"]'), 'disabled', !['downloading', 'seeding', 'queued'].includes(t.state));
  setProp(tr.querySelector('[data-action="recheck"]'), 'disabled', ['checking', 'moving'].includes(t.state));
  if (tr.classList.contains('selected') !== (t.infoHash === state.selected)) tr.classList.toggle('selected');
  if (t.infoHash === state.selected) fillDetailHead(t);
}

async function act(action, hash) {
  const t = state.torrents.get(hash);
  try {
    if (action === 'remove') return confirmRemove(t);
    if (action === 'recheck') notify(`rechecking ${t.name}…`);
    const summary = await api('POST', `api/torrents/${hash}/${action}`);
    putTorrent(summary);
    renderList();
    if (action === 'recheck') notify(`${t.name}: ${summary.piecesDone} of ${summary.pieceCount} pieces intact`);
  } catch (e) { notify(`${action} failed: ${e.message}`, true); }
}

function confirmRemove(t) {
  const dialog = $('#remove-dialog');
  $('#remove-name').textContent = t.name;
  $('#remove-data').checked = false;
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'remove') return;
    try {
      await api('DELETE', `api/torrents/${t.infoHash}?deleteData=${$('#remove-data').checked}`);
      dropTorrent(t.infoHash);
      if (state.selected === t.infoHash) closeDetail();
      renderList();
      notify(`removed ${t.name}`);
    } catch (e) { notify(`remove failed: ${e.message}`, true); }
  };
  dialog.showModal();
}

// ---------- adding: the file picker and drag and drop both upload as multipart ----------
async function upload(files) {
  for (const file of files) {
    const form = new FormData();
    form.append('torrent', file, file.name);
    try {
      // "files are already complete": the size check behind qBittorrent's skip_checking (skipChecking), no hashing.
      const summary = await api('POST', $('#add-complete').checked ? 'api/torrents?skipChecking=true' : 'api/torrents', form);
      putTorrent(summary);
      renderList();
      notify(`added ${summary.name}`);
    } catch (e) { notify(`${file.name}: ${e.message}`, true); }
  }
}
$('#file-input').addEventListener('change', (e) => { upload([...e.target.files]); e.target.value = ''; });
let dragDepth = 0;
addEventListener('dragenter', (e) => { if (e.dataTransfer.types.includes('Files')) { dragDepth++; $('#drop').hidden = false; e.preventDefault(); } });
addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('#drop').hidden = true; } });
addEventListener('dragover', (e) => e.preventDefault());
addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('#drop').hidden = true;
  // .torrent files are added; any other file, or a folder, is offered for sharing (share.js). The entries are taken
  // now: the drop's data is gone once this handler returns.
  const torrents = [];
  const others = [];
  for (const item of [...e.dataTransfer.items].filter((i) => i.kind === 'file')) {
    const file = item.getAsFile();
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry && entry.isDirectory) others.push({ file, entry });
    else if (file && file.name.toLowerCase().endsWith('.torrent')) torrents.push(file);
    else if (file) others.push({ file, entry: null });
  }
  upload(torrents);
  if (others.length) share.dropped(others);
});

// ---------- the detail view ----------
async function select(hash) {
  if (state.selected && state.selected !== hash) send({ op: 'unsubscribe', infoHash: state.selected });
  state.selected = hash;
  state.pieces = '';
  $('#trace').replaceChildren();
  state.traceLines = 0;
  $('#trace-dropped').textContent = '';
  $('#detail').hidden = false;
  paint();
  writeView();
  send({ op: 'subscribe', infoHash: hash, trace: $('#trace-on').checked });
  whyView.open(); // why.js: the diagnosis of the torrent shown
  try { showDetail(await api('GET', `api/torrents/${hash}`)); } catch (e) { notify(e.message, true); }
}

function closeDetail() {
  if (state.selected) send({ op: 'unsubscribe', infoHash: state.selected });
  state.selected = null;
  $('#detail').hidden = true;
  paint();
  writeView();
}
$('#d-close').addEventListener('click', closeDetail);
$('#trace-on').addEventListener('change', () => {
  if (state.selected) send({ op: 'subscribe', infoHash: state.selected, trace: $('#trace-on').checked });
});
$('#trace-clear').addEventListener('click', () => { $('#trace').replaceChildren(); state.traceLines = 0; });

function fillDetailHead(t) {
  setText($('#d-name'), t.name);
  const parts = [bytes(t.size), `${t.piecesDone}/${t.pieceCount} pieces`, t.state, `info hash ${t.infoHash}`];
  if (t.error) parts.push('error: ' + t.error);
  setText($('#d-meta'), parts.join(' · '));
}

function showDetail(d) {
  if (d.summary.infoHash !== state.selected) return;
  state.magnetLink = { hash: d.summary.infoHash, link: d.magnetLink };
  putTorrent(d.summary);
  fillDetailHead(d.summary);
  fillSeedForm(d.summary);
  if (d.metaVersion !== undefined) {
    const v2 = d.infoHashV2 ? ` · v2 info hash ${d.infoHashV2}` : '';
    $('#d-version').textContent = `meta version ${d.metaVersion}${v2} · pieces verified by ${d.hashScheme}`;
  }
  if (d.pieces !== undefined) { state.pieces = d.pieces; drawPieces(); }
  fileTree.show(d); // files.js: the lazy file tree with selection and priorities
  fillTable('#trackers', d.trackers, (t) => [String(t.tier), t.url, t.lastAnswer || '–']);
  fillPlace(d); // place.js: folder, category, tracker list and peers given, each kept while being edited
  const s = d.peerSources || { tracker: 0, dht: 0, pex: 0, given: 0 };
  fillTable('#sources', [['Trackers', s.tracker], ['DHT', s.dht], ['PEX', s.pex], ['Given', s.given]], (r) => [r[0], String(r[1])]);
  fillTable('#peers', d.peers, (p) => [p.address + (p.banned ? ` (banned: ${p.banned})` : p.connected ? '' : ' (disconnected)'), p.client, rate(p.downloadRate), rate(p.uploadRate), flags(p)]);
  const log = $('#log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = d.log.join('\n');
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function fillTable(selector, items, cells) {
  const body = document.querySelector(selector + ' tbody');
  body.replaceChildren(...items.map((item) => {
    const tr = el('tr');
    for (const cell of cells(item)) {
      const td = el('td');
      if (typeof cell === 'string') td.textContent = cell; else td.append(cell);
      tr.append(td);
    }
    return tr;
  }));
  if (items.length === 0) {
    const tr = el('tr');
    const td = el('td', 'muted', 'none');
    td.colSpan = 5;
    tr.append(td);
    body.append(tr);
  }
}

function progressCell(fraction) {
  const wrap = el('div', 'progress');
  const track = el('div', 'track');
  const fill = el('div', 'fill' + (fraction >= 1 ? ' completed' : ''));
  fill.style.width = (fraction * 100).toFixed(1) + '%';
  track.append(fill);
  wrap.append(track, el('span', 'pct', Math.floor(fraction * 100) + '%'));
  return wrap;
}

// BEP 3 flags: C = the peer chokes us, i = we are interested, c = we choke the peer, I = the peer is interested.
function flags(p) {
  const wrap = el('span');
  for (const [on, letter, title] of [[p.peerChoking, 'C', 'peer is choking us'], [p.amInterested, 'i', 'we are interested'],
    [p.amChoking, 'c', 'we are choking the peer'], [p.peerInterested, 'I', 'peer is interested']]) {
    const f = el('span', 'flag' + (on ? ' on' : ''), on ? letter : '·');
    f.title = title + (on ? '' : ': no');
    wrap.append(f);
  }
  return wrap;
}

// ---------- the piece map: one cell per piece on a canvas, sized so every piece fits ----------
function drawPieces() {
  const canvas = $('#piece-map');
  const digits = state.pieces;
  const counts = countPieces(digits);
  canvas.dataset.verified = counts[2];
  $('#piece-counts').textContent = `${counts[2]} verified · ${counts[1]} requested · ${counts[3]} failed · ${counts[0]} missing`;
  const { columns, cell, gap } = drawMap(canvas, digits);
  pieceHover.drawn(columns, cell, gap, digits.length); // pieces.js: the readout of the piece under the pointer
}

// How many pieces are in each state (missing, requested, verified, failed), from one digit per piece.
function countPieces(digits) {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < digits.length; i++) counts[digits.charCodeAt(i) - 48]++;
  return counts;
}

// Draws one cell per piece (a digit each: 0 missing, 1 requested, 2 verified, 3 failed) on a canvas; the layout drawn.
// The live map and the replay of a recording (replay.js) both draw with it.
function drawMap(canvas, digits) {
  canvas.dataset.total = digits.length;
  const width = canvas.clientWidth || 600;
  const gap = 1;
  // The largest square cell (2..18 px) that fits all pieces in at most 240 px of height.
  let cell = 18;
  while (cell > 2 && Math.ceil(digits.length / Math.floor(width / (cell + gap))) * (cell + gap) > 240) cell--;
  const columns = Math.max(1, Math.floor(width / (cell + gap)));
  const height = Math.max(cell + gap, Math.ceil(digits.length / columns) * (cell + gap));
  const scale = devicePixelRatio || 1;
  canvas.style.height = height + 'px';
  canvas.width = width * scale;
  canvas.height = height * scale;
  const ctx = canvas.getContext('2d');
  ctx.scale(scale, scale);
  const css = getComputedStyle(document.documentElement);
  const colors = ['--p-missing', '--p-requested', '--p-verified', '--p-failed'].map((v) => css.getPropertyValue(v).trim());
  for (let i = 0; i < digits.length; i++) {
    ctx.fillStyle = colors[digits.charCodeAt(i) - 48];
    ctx.fillRect((i % columns) * (cell + gap), Math.floor(i / columns) * (cell + gap), cell, cell);
  }
  return { columns, cell, gap };
}
addEventListener('resize', () => { if (state.selected) drawPieces(); });
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { if (state.selected) drawPieces(); });

function appendTrace(lines) {
  const box = $('#trace');
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  const fragment = document.createDocumentFragment();
  for (const line of lines) {
    const row = el('div');
    row.append(el('span', 't', line.time.substring(11, 23) + ' '), el('span', line.dir, (line.dir === 'sent' ? '→ ' : '← ') + line.peer + ' '),
      el('span', 'msg', line.name), document.createTextNode(line.fields ? ' ' + line.fields : ''));
    row.title = `${line.length} bytes on the wire; first bytes ${line.head}`;
    fragment.append(row);
  }
  box.append(fragment);
  state.traceLines += lines.length;
  while (state.traceLines > TRACE_KEEP) { box.firstChild.remove(); state.traceLines--; }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

// ---------- live updates ----------
function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function connect() {
  if (state.needsToken) { state.socket = null; return; } // no use knocking without the token; the token form connects
  const query = state.token ? '?token=' + encodeURIComponent(state.token) : '';
  // Relative to the page, as every call here: served at a reverse proxy's sub-path (serve --base-path), it is below it.
  const socket = new WebSocket(new URL('api/live' + query, location.href).href.replace(/^http/, 'ws'));
  state.socket = socket;
  socket.onopen = () => {
    state.retry = 500;
    $('#connection').textContent = 'live';
    $('#connection').className = 'pill live';
    if (state.selected) send({ op: 'subscribe', infoHash: state.selected, trace: $('#trace-on').checked });
  };
  socket.onclose = () => {
    $('#connection').textContent = 'reconnecting';
    $('#connection').className = 'pill';
    state.retry = Math.min(state.retry * 2, 10000); // back off up to 10 s between attempts
    if (state.socket === socket) setTimeout(connect, state.retry);
  };
  socket.onmessage = (event) => onLive(JSON.parse(event.data));
}

function onLive(m) {
  switch (m.type) {
    case 'torrents':
      setTorrents(m.torrents);
      if (state.selected && !state.torrents.has(state.selected)) closeDetail();
      renderList();
      break;
    case 'rows':
      for (const t of m.torrents) {
        const before = state.torrents.get(t.infoHash);
        putTorrent(t);
        if (movesInList(before, t)) list.orderDirty = true;
      }
      schedulePaint(); // rows out of view cost nothing; rows in view are filled, cell by cell, once per frame
      break;
    case 'pieces':
      if (m.infoHash !== state.selected) break;
      if (m.pieces !== undefined) state.pieces = m.pieces;
      else {
        const digits = state.pieces.split('');
        for (const [index, value] of m.changes) digits[index] = String(value);
        state.pieces = digits.join('');
      }
      drawPieces();
      break;
    case 'detail':
      showDetail(m.details);
      break;
    case 'trace':
      if (m.infoHash === state.selected) appendTrace(m.trace);
      break;
    case 'lag':
      $('#trace-dropped').textContent = `${m.dropped} updates dropped (slow connection)`;
      break;
    case 'error': // the server refused a request (a torrent removed meanwhile, too many subscriptions)
      notify('live updates: ' + m.error, true);
      break;
  }
}

// ---------- the view in the address: #sort=name&dir=asc&filter=paused&q=linux&detail=<infohash> ----------
// A reload, a bookmark or a shared link shows the same list and detail view. The fragment never reaches the server.
function writeView() {
  const view = new URLSearchParams();
  if (state.sortKey !== 'addedAt' || state.sortDir !== -1) { view.set('sort', state.sortKey); view.set('dir', state.sortDir > 0 ? 'asc' : 'desc'); }
  if ($('#filter').value !== 'all') view.set('filter', $('#filter').value);
  if ($('#tracker-filter').value) view.set('tracker', $('#tracker-filter').value);
  if ($('#category-filter').value) view.set('category', $('#category-filter').value);
  if ($('#search').value) view.set('q', $('#search').value);
  if (state.selected) view.set('detail', state.selected);
  const fragment = view.toString();
  history.replaceState(null, '', location.pathname + location.search + (fragment ? '#' + fragment : ''));
}

// Returns the info hash of the detail view to open once the list is known, or null.
function readView() {
  const view = new URLSearchParams(location.hash.substring(1));
  const sort = view.get('sort');
  if (sort && document.querySelector(`#torrents th[data-sort="${CSS.escape(sort)}"]`)) {
    state.sortKey = sort;
    state.sortDir = view.get('dir') === 'asc' ? 1 : -1;
  }
  const filter = view.get('filter');
  if (filter && [...$('#filter').options].some((o) => o.value === filter)) $('#filter').value = filter;
  $('#search').value = view.get('q') || '';
  // The menus are filled once the list is known: the choices wait there until then.
  facetWanted.tracker = view.get('tracker') || '';
  facetWanted.category = view.get('category') || '';
  const detail = view.get('detail');
  return detail && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(detail) ? detail : null;
}

// ---------- controls ----------
for (const id of ['#search', '#filter', '#tracker-filter', '#category-filter']) $(id).addEventListener('input', () => {
  if (id === '#tracker-filter') facetWanted.tracker = $(id).value;
  if (id === '#category-filter') facetWanted.category = $(id).value;
  renderList();
  writeView();
});
$('#theme').addEventListener('click', () => {
  const next = currentTheme() === 'dark' ? 'light' : 'dark';
  localStorage.setItem('torrentlab-theme', next);
  applyTheme(next);
});
$('#token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('#token-input').value.trim();
  sessionStorage.setItem('torrentlab-token', state.token);
  $('#token-bar').hidden = true;
  state.needsToken = false;
  state.retry = 500;
  refresh().then(() => {
    if (state.needsToken) return; // still refused: the prompt says so
    if (state.socket) state.socket.close(); else connect();
  });
});

async function refresh() {
  try {
    const list = await api('GET', 'api/torrents');
    setTorrents(list);
    renderList();
  } catch (e) { if (e.message !== 'a token is required') notify(e.message, true); }
}

// The API answered 401: the token is missing or wrong. Ask for it instead of showing an empty list.
function askForToken() {
  const wrong = Boolean(state.token);
  state.needsToken = true;
  $('#token-why').textContent = wrong ? 'The token was not accepted; enter the right one:' : 'This server needs a token:';
  $('#token-bar').hidden = false;
  $('#token-input').focus();
  renderList();
}
// Once every script of the page has run (parity.js adds the totals bar and bulk actions the list calls).
addEventListener('DOMContentLoaded', async () => {
  const detail = readView();
  await refresh();
  if (detail && state.torrents.has(detail)) select(detail);
  connect();
});
