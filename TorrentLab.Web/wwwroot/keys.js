// TorrentLab: the API keys dialog. Makes a key (shown once), lists them, revokes one; through /api/keys, which only
// the server's token may call. Uses api(), $() and notify() from app.js.
'use strict';

(() => {
  const dialog = $('#keys-dialog');
  const when = (at) => (at ? new Date(at).toLocaleString() : '–');

  async function refresh() {
    const rows = $('#keys-rows');
    rows.replaceChildren();
    for (const key of await api('GET', 'api/keys')) {
      const row = document.createElement('tr');
      row.dataset.keyId = key.id;
      for (const text of [key.name, when(key.createdAt), when(key.lastUsedAt)]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      const revoke = document.createElement('button');
      revoke.className = 'button tiny ghost';
      revoke.type = 'button';
      revoke.textContent = 'Revoke';
      revoke.addEventListener('click', async () => {
        try { await api('DELETE', 'api/keys/' + encodeURIComponent(key.id)); await refresh(); } catch (e) { notify(e.message, true); }
      });
      const cell = document.createElement('td');
      cell.append(revoke);
      row.append(cell);
      rows.append(row);
    }
  }

  $('#keys-open').addEventListener('click', async () => {
    $('#keys-made').hidden = true;
    $('#keys-value').value = '';
    try { await refresh(); dialog.showModal(); } catch (e) { notify(e.message, true); }
  });

  $('#keys-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const made = await api('POST', 'api/keys', JSON.stringify({ name: $('#keys-name').value }), { 'Content-Type': 'application/json' });
      $('#keys-value').value = made.key;
      $('#keys-made').hidden = false;
      $('#keys-name').value = '';
      await refresh();
    } catch (err) { notify(err.message, true); }
  });

  $('#keys-copy').addEventListener('click', () => {
    $('#keys-value').select();
    navigator.clipboard?.writeText($('#keys-value').value).catch(() => {});
  });
})();
