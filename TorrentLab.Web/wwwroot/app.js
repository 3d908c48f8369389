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
  sortKey: 'addedAt',   // a summary field; the column headers choose it
  sortDir: -1,          // 1 ascending, -1 descending
  needsToken: false,    // the API answered 401: the list is unknown, not empty
};
const TRACE_KEEP = 400; // rows kept in the trace view

// ---------- token: ?token= in the address (printed by `torrentlab serve`), kept for this tab only ----------
(function readToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('torrentlab-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search);
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
function visibleTorrents() {
  const query = $('#search').value.trim().toLowerCase();
  const filter = $('#filter').value;
  const list = [...state.torrents.values()]
    .filter((t) => (filter === 'all' || t.state === filter || (filter === 'stalled' && t.stalled)) && (!query || t.name.toLowerCase().includes(query)));
  const key = state.sortKey;
  const value = (t) => (key === 'eta' ? (t.eta ?? Infinity) : t[key]);
  const compare = (a, b) => {
    const x = value(a), y = value(b);
    const order = typeof x === 'string' ? x.localeCompare(y) : (x === y ? 0 : x < y ? -1 : 1);
    return order * state.sortDir || a.addedAt.localeCompare(b.addedAt);
  };
  return list.sort(compare);
}

// A click on a column header sorts by it; a second click reverses the order.
for (const th of document.querySelectorAll('#torrents th[data-sort]')) {
  th.addEventListener('click', () => {
    if (state.sortKey === th.dataset.sort) state.sortDir = -state.sortDir;
    else { state.sortKey = th.dataset.sort; state.sortDir = th.dataset.sort === 'name' || th.dataset.sort === 'eta' ? 1 : -1; }
    renderList();
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

function renderList() {
  const body = $('#torrents tbody');
  const rows = visibleTorrents();
  const existing = new Map([...body.children].map((tr) => [tr.dataset.hash, tr]));
  rows.forEach((t, index) => {
    let tr = existing.get(t.infoHash);
    if (!tr) tr = makeRow(t.infoHash);
    existing.delete(t.infoHash);
    fillRow(tr, t);
    if (body.children[index] !== tr) body.insertBefore(tr, body.children[index] || null);
  });
  for (const tr of existing.values()) tr.remove();
  for (const hash of [...state.checked]) if (!state.torrents.has(hash)) state.checked.delete(hash);
  for (const th of document.querySelectorAll('#torrents th[data-sort]')) {
    th.setAttribute('aria-sort', th.dataset.sort === state.sortKey ? (state.sortDir > 0 ? 'ascending' : 'descending') : 'none');
  }
  renderTotals();
  renderBulk();
  $('#empty').hidden = state.torrents.size > 0;
  if (state.needsToken) { $('#empty').hidden = false; $('#empty').textContent = 'Enter the server\'s token above to see the torrents.'; return; }
  if (state.torrents.size > 0 && rows.length === 0) { $('#empty').hidden = false; $('#empty').textContent = 'No torrent matches.'; }
  else $('#empty').textContent = 'No torrents yet. Drop a .torrent file anywhere on this page, or use + Add torrent.';
}

function makeRow(hash) {
  const tr = el('tr');
  tr.dataset.hash = hash;
  const progress = el('div', 'progress');
  const track = el('div', 'track');
  track.append(el('div', 'fill'));
  progress.append(track, el('span', 'pct'));
  const actions = el('div', 'actions');
  for (const [action, label, cls] of [['start', 'Start', 'button tiny'], ['pause', 'Pause', 'button tiny'], ['remove', 'Remove', 'button tiny ghost']]) {
    const b = el('button', cls, label);
    b.type = 'button';
    b.dataset.action = action;
    actions.append(b);
  }
  const check = el('input', 'check');
  check.type = 'checkbox';
  check.setAttribute('aria-label', 'Select');
  check.addEventListener('change', () => { if (check.checked) state.checked.add(hash); else state.checked.delete(hash); renderBulk(); });
  const cells = [el('td', 'check-col'), el('td', 'name'), el('td', 'num size'), el('td'), el('td', 'num down'), el('td', 'num up col-up'),
    el('td', 'num eta col-eta'), el('td', 'num ratio col-ratio'), el('td', 'num peers col-peers'), el('td'), el('td', 'added col-added'), el('td')];
  cells[0].append(check);
  cells[3].append(progress);
  cells[9].append(el('span', 'state'));
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
  tr.querySelector('.name').textContent = t.name;
  tr.querySelector('.name').title = t.error ? t.name + ' — ' + t.error : t.name;
  tr.querySelector('.size').textContent = bytes(t.size);
  const pct = Math.floor(t.progress * 1000) / 10;
  const fill = tr.querySelector('.fill');
  fill.style.width = pct + '%';
  fill.className = 'fill ' + t.state;
  tr.querySelector('.pct').textContent = pct.toFixed(pct === 100 ? 0 : 1) + '%';
  tr.querySelector('.down').textContent = rate(t.downloadRate);
  tr.querySelector('.up').textContent = rate(t.uploadRate);
  tr.querySelector('.peers').textContent = t.peers;
  tr.querySelector('.eta').textContent = t.state === 'downloading' ? duration(t.eta) : '–';
  tr.querySelector('.ratio').textContent = (t.ratio || 0).toFixed(2);
  tr.querySelector('.added').textContent = t.addedAt.substring(0, 10);
  tr.querySelector('.added').title = new Date(t.addedAt).toLocaleString();
  tr.querySelector('.check').checked = state.checked.has(t.infoHash);
  const badge = tr.querySelector('.state');
  // A download waits for peers as long as it runs: "stalled", and why (tracker answer, next announce) on hover; a
  // tracker failure is shown as such, not as a download with 0 peers.
  badge.textContent = t.trackerError && t.stalled ? 'tracker error' : t.stalled ? 'stalled' : t.state;
  badge.title = [t.trackerError, t.status].filter(Boolean).join('\n');
  badge.className = 'state ' + t.state + (t.stalled ? ' stalled' : '') + (t.trackerError ? ' tracker-error' : '');
  tr.querySelector('[data-action="start"]').disabled = ['downloading', 'seeding', 'queued', 'checking'].includes(t.state);
  tr.querySelector('[data-action="pause"]').disabled = !['downloading', 'seeding', 'queued'].includes(t.state);
  tr.classList.toggle('selected', t.infoHash === state.selected);
  if (t.infoHash === state.selected) fillDetailHead(t);
}

async function act(action, hash) {
  const t = state.torrents.get(hash);
  try {
    if (action === 'remove') return confirmRemove(t);
    const summary = await api('POST', `/api/torrents/${hash}/${action}`);
    state.torrents.set(hash, summary);
    renderList();
  } catch (e) { notify(`${action} failed: ${e.message}`, true); }
}

function confirmRemove(t) {
  const dialog = $('#remove-dialog');
  $('#remove-name').textContent = t.name;
  $('#remove-data').checked = false;
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'remove') return;
    try {
      await api('DELETE', `/api/torrents/${t.infoHash}?deleteData=${$('#remove-data').checked}`);
      state.torrents.delete(t.infoHash);
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
      const summary = await api('POST', '/api/torrents', form);
      state.torrents.set(summary.infoHash, summary);
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
  upload([...e.dataTransfer.files].filter((f) => f.name.toLowerCase().endsWith('.torrent')));
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
  renderList();
  send({ op: 'subscribe', infoHash: hash, trace: $('#trace-on').checked });
  try { showDetail(await api('GET', `/api/torrents/${hash}`)); } catch (e) { notify(e.message, true); }
}

function closeDetail() {
  if (state.selected) send({ op: 'unsubscribe', infoHash: state.selected });
  state.selected = null;
  $('#detail').hidden = true;
  renderList();
}
$('#d-close').addEventListener('click', closeDetail);
$('#trace-on').addEventListener('change', () => {
  if (state.selected) send({ op: 'subscribe', infoHash: state.selected, trace: $('#trace-on').checked });
});
$('#trace-clear').addEventListener('click', () => { $('#trace').replaceChildren(); state.traceLines = 0; });

function fillDetailHead(t) {
  $('#d-name').textContent = t.name;
  const parts = [bytes(t.size), `${t.piecesDone}/${t.pieceCount} pieces`, t.state, `info hash ${t.infoHash}`];
  if (t.error) parts.push('error: ' + t.error);
  $('#d-meta').textContent = parts.join(' · ');
}

function showDetail(d) {
  if (d.summary.infoHash !== state.selected) return;
  state.torrents.set(d.summary.infoHash, d.summary);
  fillDetailHead(d.summary);
  fillSeedForm(d.summary);
  if (d.metaVersion !== undefined) {
    const v2 = d.infoHashV2 ? ` · v2 info hash ${d.infoHashV2}` : '';
    $('#d-version').textContent = `meta version ${d.metaVersion}${v2} · pieces verified by ${d.hashScheme}`;
  }
  if (d.pieces !== undefined) { state.pieces = d.pieces; drawPieces(); }
  fileTree.show(d); // files.js: the lazy file tree with selection and priorities
  fillTable('#trackers', d.trackers, (t) => [String(t.tier), t.url, t.lastAnswer || '–']);
  const s = d.peerSources || { tracker: 0, dht: 0, pex: 0, given: 0 };
  fillTable('#sources', [['Trackers', s.tracker], ['DHT', s.dht], ['PEX', s.pex], ['Given', s.given]], (r) => [r[0], String(r[1])]);
  fillTable('#peers', d.peers, (p) => [p.address + (p.connected ? '' : ' (disconnected)'), p.client, rate(p.downloadRate), rate(p.uploadRate), flags(p)]);
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
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < digits.length; i++) counts[digits.charCodeAt(i) - 48]++;
  canvas.dataset.total = digits.length;
  canvas.dataset.verified = counts[2];
  $('#piece-counts').textContent = `${counts[2]} verified · ${counts[1]} requested · ${counts[3]} failed · ${counts[0]} missing`;
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
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = state.token ? '?token=' + encodeURIComponent(state.token) : '';
  const socket = new WebSocket(`${scheme}//${location.host}/api/live${query}`);
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
      state.torrents = new Map(m.torrents.map((t) => [t.infoHash, t]));
      if (state.selected && !state.torrents.has(state.selected)) closeDetail();
      renderList();
      break;
    case 'progress':
      state.torrents.set(m.torrent.infoHash, m.torrent);
      renderList();
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

// ---------- controls ----------
for (const id of ['#search', '#filter']) $(id).addEventListener('input', renderList);
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
    const list = await api('GET', '/api/torrents');
    state.torrents = new Map(list.map((t) => [t.infoHash, t]));
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
addEventListener('DOMContentLoaded', async () => { await refresh(); connect(); });
