// TorrentLab web interface, level with the command line: the totals bar, bulk actions on ticked rows, adding by
// magnet link or URL, the queue and seeding settings, and a torrent's own seeding limits. Uses app.js's helpers.
'use strict';

// ---------- the totals bar: rates summed over every torrent, counts by state (kept by app.js's putTorrent) ----------
function renderTotals() {
  const count = (name) => totals.counts.get(name) || 0;
  setText($('#t-down'), rate(Math.round(totals.down))); // rounded: sums kept by adding and subtracting drift by fractions
  setText($('#t-up'), rate(Math.round(totals.up)));
  const parts = [`${state.torrents.size} torrent${state.torrents.size === 1 ? '' : 's'}`];
  for (const name of ['downloading', 'seeding', 'queued', 'checking', 'moving', 'paused', 'completed', 'failed']) {
    if (count(name)) parts.push(`${count(name)} ${name}`);
  }
  if (totals.stalled) parts.push(`${totals.stalled} stalled`);
  const box = $('#t-counts');
  setText(box, parts.join(' · '));
  setProp(box.dataset, 'total', String(state.torrents.size));
  for (const name of ['downloading', 'seeding', 'queued', 'paused', 'completed', 'failed']) setProp(box.dataset, name, String(count(name)));
}

// ---------- multi-select and bulk actions ----------
let bulkCounted = { order: -1, checked: -1, ticked: 0 }; // the last count, kept until the order or the ticks change
function renderBulk() {
  const count = state.checked.size;
  setProp($('#bulk'), 'hidden', count === 0);
  setText($('#bulk-count'), `${count} selected`);
  // Against every torrent that passes the filter and search, in view or not (the list draws only the rows in view).
  if (bulkCounted.order !== list.orderVersion || bulkCounted.checked !== state.checkedVersion) {
    let ticked = 0;
    if (count > 0) for (const h of list.order) if (state.checked.has(h)) ticked++;
    bulkCounted = { order: list.orderVersion, checked: state.checkedVersion, ticked };
  }
  const ticked = bulkCounted.ticked;
  const all = $('#check-all');
  setProp(all, 'checked', ticked > 0 && ticked === list.order.length);
  setProp(all, 'indeterminate', ticked > 0 && ticked < list.order.length);
}

$('#check-all').addEventListener('change', (e) => {
  for (const hash of list.order) {
    if (e.target.checked) state.checked.add(hash); else state.checked.delete(hash);
  }
  state.checkedVersion++;
  paint(); // the order does not change: the rows in view tick their boxes
});

async function bulk(action, deleteData) {
  const hashes = [...state.checked];
  try {
    const results = await api('POST', 'api/torrents/bulk', JSON.stringify({ action, infoHashes: hashes, deleteData }),
      { 'Content-Type': 'application/json' });
    const failed = results.filter((r) => r.error);
    if (action === 'remove') {
      for (const r of results) if (!r.error) { dropTorrent(r.infoHash); state.checked.delete(r.infoHash); }
      state.checkedVersion++;
      if (state.selected && !state.torrents.has(state.selected)) closeDetail();
    }
    await refresh();
    if (failed.length) notify(`${action}: ${failed.length} failed: ${failed[0].error}`, true);
    else notify(`${action}: ${results.length} torrent${results.length === 1 ? '' : 's'}`);
  } catch (e) { notify(`${action} failed: ${e.message}`, true); }
}

for (const button of document.querySelectorAll('[data-bulk]')) {
  button.addEventListener('click', () => {
    const action = button.dataset.bulk;
    if (action !== 'remove') { bulk(action); return; }
    const dialog = $('#remove-dialog');
    $('#remove-name').textContent = `${state.checked.size} torrent${state.checked.size === 1 ? '' : 's'}`;
    $('#remove-data').checked = false;
    dialog.onclose = () => { if (dialog.returnValue === 'remove') bulk('remove', $('#remove-data').checked); };
    dialog.showModal();
  });
}

// ---------- adding by magnet link or URL ----------
$('#add-link').addEventListener('click', () => {
  $('#link-input').value = '';
  $('#link-dialog').showModal();
  $('#link-input').focus();
});
$('#link-dialog').addEventListener('close', async () => {
  const dialog = $('#link-dialog');
  const link = $('#link-input').value.trim();
  if (dialog.returnValue !== 'add' || !link) return;
  notify(link.startsWith('magnet:') ? 'fetching the magnet link\'s metadata from peers…' : 'fetching the .torrent…');
  try {
    const folder = $('#link-folder').value.trim() || null;
    const summary = await api('POST', 'api/torrents/link', JSON.stringify({ link, start: $('#link-start').checked, folder }),
      { 'Content-Type': 'application/json' });
    putTorrent(summary);
    renderList();
    notify(`added ${summary.name}`);
  } catch (e) { notify(`add failed: ${e.message}`, true); }
});

// ---------- settings: queue size and seeding defaults ----------
$('#settings').addEventListener('click', async () => {
  try {
    const s = await api('GET', 'api/settings');
    $('#s-max-active').value = s.maxActiveDownloads;
    $('#s-seed').checked = Boolean(s.seedAfterDownload);
    $('#s-seed-ratio').value = s.seedRatio ?? '';
    $('#s-seed-minutes').value = s.seedMinutes ?? '';
    $('#s-keep-free').value = Math.round((s.keepFree ?? 0) / 1048576);
    $('#s-ban-clients').value = (s.banClients || []).join('\n');
    $('#settings-dialog').showModal();
  } catch (e) { notify(e.message, true); }
});
$('#settings-dialog').addEventListener('close', async () => {
  if ($('#settings-dialog').returnValue !== 'save') return;
  const number = (id) => ($(id).value === '' ? 0 : Number($(id).value)); // 0 clears a limit
  const body = {
    maxActiveDownloads: Number($('#s-max-active').value), seedAfterDownload: $('#s-seed').checked,
    seedRatio: number('#s-seed-ratio'), seedMinutes: number('#s-seed-minutes'), keepFree: number('#s-keep-free') * 1048576,
    banClients: $('#s-ban-clients').value.split('\n').map((r) => r.trim()).filter((r) => r !== ''),
  };
  try {
    await api('PUT', 'api/settings', JSON.stringify(body), { 'Content-Type': 'application/json' });
    notify('settings saved');
  } catch (e) { notify(`settings: ${e.message}`, true); }
});

// ---------- a torrent's own seeding limits, in the detail view ----------
let seedFormFor = null;
function fillSeedForm(t) {
  if (seedFormFor === t.infoHash && document.activeElement && document.activeElement.closest('#seed-form')) return; // being edited
  seedFormFor = t.infoHash;
  const policy = t.seeding || {};
  $('#seed-mode').value = policy.seed === true ? 'on' : policy.seed === false ? 'off' : '';
  $('#seed-ratio').value = policy.ratio ?? '';
  $('#seed-minutes').value = policy.minutes ?? '';
}
$('#seed-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.selected) return;
  const mode = $('#seed-mode').value;
  const optional = (id) => ($(id).value === '' ? null : Number($(id).value));
  const body = { seed: mode === '' ? null : mode === 'on', ratio: optional('#seed-ratio'), minutes: optional('#seed-minutes') };
  try {
    const summary = await api('PUT', `api/torrents/${state.selected}/seeding`, JSON.stringify(body), { 'Content-Type': 'application/json' });
    putTorrent(summary);
    renderList();
    notify('seeding limits saved; they apply from the next start');
  } catch (err) { notify(`seeding: ${err.message}`, true); }
});
